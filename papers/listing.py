"""Lists of papers whose cost does not grow with the catalogue: rows, counts and depth.

Every list (home, catalogue, search in any order, journal, author, category and keyword
pages, the API) is a queryset in one of the orders of ``papers.filters.ORDERINGS``, each of
which has an index the query walks in order. Three things keep a page bounded at
1,000,000 papers:

- **Narrowed lists** (``narrow``): a list restricted to a set of papers (a text search, a
  category, an author) is planned here, not left to the planner's guess. Up to ``PROBE``
  ids of the set are read from its own index; if that is all of them, only those are
  sorted (exact, cheap: their ids first, from an index of ids with the date keys, then the
  page's rows, ``_sorted_first``). If there are more, the set is common enough that walking the
  order's index and testing each row (``row_test``, written so that the planner cannot
  turn it into a scan of the whole set) finds a page within a bounded number of rows:
  at least PROBE of N papers match, so a page of P rows at depth D needs about
  (D + P) * N / PROBE rows of the walk. A text search sorted by date, rating or citations
  does better: its GIN also holds each order's position (migration 0028), so a page asks
  the index for the matches at or before the order's B-th row and visits only those
  (``Bounded``), instead of visiting thousands of rows to sort or test them.
- **Counts** (``count``): exact up to ``EXACT_COUNT_LIMIT``; above it PostgreSQL's planner
  estimate (EXPLAIN), flagged ``is_estimate`` and shown as "about 1.2 million". Other
  databases (SQLite, the embedded default for small catalogues) count exactly.
- **Depth**: page numbers reach ``MAX_NUMBERED_ROWS`` rows (OFFSET is bounded by it); the
  API goes deeper with a cursor (``papers.api.CataloguePagination``), which seeks into the
  order's index: (key, id) < (k, i).
"""

import functools
import json
import math
from dataclasses import dataclass

from celery import shared_task
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    OrderBy,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models import Count as CountOf
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.functional import cached_property

from papers.models import Category, PaperCategory
from papers.rows import ColumnIn

EXACT_COUNT_LIMIT = 1000
PROBE = 5000
# The rows of a first page, for choosing a narrowed list's plan (narrow).
PAGE_ROWS = 20
# A walk whose first page is not within this many rows of its order gives way to sorting
# the matches (narrow): ~4 us a row hot, so ~40 ms at worst.
WALK_BOUND = 10_000
# A set whose index holds the order's position (narrow's within) is bounded by it when a
# probe of KEYS_PROBE ids finds more: below, sorting the probed ids is exact and visits at
# most that many rows (measured at 1M: 13-16 ms warm for a probe that fills). A set
# estimated at KEYS_DENSE and KEYS_DENSE_SHARE of the catalogue or more is not probed (a
# probe of a common word's matches costs up to 90 ms at 1M): an estimate that high comes
# from the word statistics, not from the planner's default for a word it does not know
# (0.5 % of the rows).
KEYS_PROBE = EXACT_COUNT_LIMIT
KEYS_DENSE = 20 * KEYS_PROBE
KEYS_DENSE_SHARE = 0.02
# Bounded: the order's B-th row bounds a page of `top` rows when B is this many times
# the rows that should hold them; a page that comes up short tries B this many times
# larger, up to KEY_BOUND_MAX_ROWS (the index reads ~0.3 us per position in the bound).
KEY_BOUND_MARGIN = 4
KEY_BOUND_GROWTH = 8
KEY_BOUND_MAX_ROWS = 50_000
# Page numbers go this many rows deep (50 pages of 20): an OFFSET never passes more.
MAX_NUMBERED_ROWS = 1000
# The home page's biggest categories with their counts: counting every link row is ~0.5 s
# at 1,000,000 papers, so a beat task does it (every HOME_CATEGORIES_REFRESH seconds, see
# CELERY_BEAT_SCHEDULE) and the page reads the cache. A count is that many seconds old.
HOME_CATEGORIES = 16
HOME_CATEGORIES_KEY = "papers:home-categories"
HOME_CATEGORIES_TIMEOUT = 60 * 60


@dataclass(frozen=True)
class Count:
    """How many rows a list has: ``value`` exactly, or about that many (``is_estimate``)."""

    value: int
    is_estimate: bool = False

    def phrase(self, noun="paper"):
        """ "1 paper", "12 papers", "about 45,000 papers", "about 1.2 million papers"."""
        if not self.is_estimate:
            return f"{self.value:,} {noun}{'' if self.value == 1 else 's'}"
        return f"about {about(self.value)} {noun}s"


def about(value):
    """A large number to two significant figures in words: 1,234,567 -> "1.2 million",
    45,321 -> "45,000"."""
    if value >= 1_000_000:
        return f"{_two_figures(value / 1_000_000):g} million"
    rounded = int(_two_figures(value))
    return f"{rounded:,}"


def _two_figures(x):
    if x <= 0:
        return 0
    digits = 1 - int(math.floor(math.log10(x)))
    return round(x, digits)


def narrow(queryset, *, matching_ids, row_test, ordering, within=None, position=None):
    """``queryset`` restricted to the papers whose ids ``matching_ids`` gives, in
    ``ordering``, planned so that a page costs a bounded amount (see the module docstring).

    ``matching_ids``: a flat ``values_list`` queryset of paper ids, served by an index of
    the set (a GIN match, a term's link rows); ``row_test``: a Q or boolean expression that
    holds for exactly those papers, tested per row of the order's index. On PostgreSQL it
    runs one or two queries here (the planner's estimate of the set, then the probe when
    the set looks small); the result is a queryset whose count ``count()`` knows without
    counting again. Other databases get ``pk__in`` and the planner.

    Which plan: both cost a row visit per row they read. Walking the order's index reads
    about PAGE_ROWS * N / M rows for M matches of N papers; sorting the matches reads M.
    So the walk wins when M * M > PAGE_ROWS * N (at 1,000,000 papers: above ~4,500
    matches), and each plan's worst case is that crossover, not the catalogue's size.

    ``within`` and ``position``: for a set whose index also holds the order's position
    (a text search: migration 0028), a function of a bound (a Q on ``position``) that
    returns the set's condition with that bound, answered inside the index. Then the set
    is probed for KEYS_PROBE ids (unless estimated as dense, KEYS_DENSE); if it has more
    it is neither sorted whole nor walked: each page asks the index for the set's rows at
    or before the order's B-th row (``Bounded``), about a page of rows whatever M is.
    """
    if connections[queryset.db].vendor != "postgresql":
        return queryset.filter(pk__in=matching_ids).order_by(*ordering)
    expected = estimate(matching_ids)
    # (A table never analysed says 0 rows: then the set is at least the table.)
    papers = max(table_size(queryset.model), expected)
    probe = PROBE
    if within is not None:
        bounded = Bounded(queryset, within, ordering, position, expected, papers)
        if expected >= max(KEYS_DENSE, KEYS_DENSE_SHARE * papers):
            return bounded.narrowed()
        # A text search's estimate is often far off (words that go together, rare words
        # the planner has no statistics for): bounds for a first page tell whether the
        # set is dense (first_page); if not, it is probed.
        if bounded.first_page() is not None:
            return bounded.narrowed()
        probe = KEYS_PROBE
    elif expected * expected > PAGE_ROWS * papers:
        walked = _bounded_walk(queryset, row_test, ordering)
        if walked is not None:
            walked.known_count = Count(max(expected, EXACT_COUNT_LIMIT + 1), is_estimate=True)
            return walked
    # The set is complete only when the probe read fewer rows than it asked for: a link
    # table gives a paper once per link (an author listed twice on one paper), so PROBE + 1
    # rows may hold PROBE or fewer distinct papers and still not be all of them.
    rows = list(matching_ids.order_by()[: probe + 1])
    ids = list(dict.fromkeys(rows))
    if len(rows) <= probe:
        # Sorted by expressions no index serves: else the planner walks the order's index
        # testing "id = ANY(...)" per row (measured: 14,600 rows, 640 ms at 1M) instead of
        # fetching the few ids and sorting them.
        narrowed = queryset.filter(ColumnIn("id", ids)).order_by(*_unindexed(ordering))
        narrowed.known_count = Count(len(ids))
        narrowed.rows_up_to = functools.partial(_sorted_first, queryset, narrowed, ordering)
    elif within is not None:  # more than the probe: bound by the position
        bounded.expected = max(expected, probe + 1)
        narrowed = bounded.narrowed()
    else:  # the estimate was far too low: there are many, so the walk is short
        narrowed = queryset.filter(row_test).order_by(*ordering)
        narrowed.known_count = Count(max(expected, PROBE + 1), is_estimate=True)
    return narrowed


class Bounded:
    """A set in ``ordering`` whose index also holds the order's ``position``
    (papers.models.position: one number that sorts like the order), read a page at a time
    inside that index: ``within(bound)`` is the set's condition with a bound on
    ``position``. See ``narrowed``."""

    def __init__(self, queryset, within, ordering, position, expected, papers):
        self.queryset, self.within, self.ordering = queryset, within, ordering
        self.position, self.expected, self.papers = position, expected, papers
        self.compare = GreaterThanOrEqual if ordering[0].descending else LessThanOrEqual
        self.sorted = _unindexed(ordering)
        self.first = None  # the ids of first_page's page
        self.tried = 0  # the widest bound first_page tried (rows of the order)

    def narrowed(self):
        """The set in order; its pages (``rows_up_to``, which BoundedPaginator calls) are
        read inside the index.

        For the first ``top`` rows: about ``top * papers / M`` rows of the whole order hold
        ``top`` of the set's M rows (if they spread like the catalogue), so the position P
        of the order's B-th row, B = KEY_BOUND_MARGIN times that, bounds the set:
        ``within(P or before)`` is every row of the set up to that row (the index answers
        both conditions at once and only those rows are visited), and if they are ``top``
        or more, the first ``top`` of them sorted are the page's. Exact: the bound holds a
        prefix of the order. M is taken as at least KEYS_DENSE (estimates of a text search
        are often far too low); when a bound holds too few rows, B grows KEY_BOUND_GROWTH
        times while it stays within KEY_BOUND_MAX_ROWS, then the whole set is read from the
        index and sorted (never a walk of the order testing each row: for a set much
        smaller than estimated that walk is the catalogue). Each try is two queries: the
        B-th row's position (index-only), the ids. The count is an estimate, said as one:
        an exact count would visit every row of the set, which is what this avoids.
        """
        narrowed = self.queryset.filter(self.within(Q())).order_by(*self.ordering)
        narrowed.rows_up_to = self.rows_up_to
        narrowed.known_count = Count(max(self.expected, EXACT_COUNT_LIMIT + 1), is_estimate=True)
        return narrowed

    def first_page(self):
        """The first PAGE_ROWS ids if a bound holds them, else None. A first bound that
        falls short but holds some of the set tells how dense it is, so one more bound is
        tried where a page should be (KEY_BOUND_MARGIN / 2 times that, within
        KEY_BOUND_MAX_ROWS); none (the set is sparse) means a probe is cheaper. On success
        the set is at least about that dense, and ``expected`` says so."""
        rows = self._first_rows(PAGE_ROWS)
        for _ in range(2):
            if rows > KEY_BOUND_MAX_ROWS or rows >= self.papers:
                break
            ids = self._ids_before(rows, PAGE_ROWS)
            self.tried = rows
            if len(ids) == PAGE_ROWS:
                self.first = ids
                self.expected = max(self.expected, math.ceil(PAGE_ROWS * self.papers / rows))
                return ids
            if not ids:
                break
            rows = math.ceil(KEY_BOUND_MARGIN / 2 * PAGE_ROWS * rows / len(ids))
        return None

    def rows_up_to(self, top):
        """A queryset whose first ``top`` rows are the set's first ``top`` in order."""
        rows = self._first_rows(top)
        if top == PAGE_ROWS and self.first is not None:
            return self._rows(self.first)
        if top == PAGE_ROWS and self.tried:  # first_page tried up to there already
            rows = max(rows, self.tried * KEY_BOUND_GROWTH)
        while rows <= KEY_BOUND_MAX_ROWS and rows < self.papers:
            ids = self._ids_before(rows, top)
            if len(ids) == top:
                return self._rows(ids)
            rows *= KEY_BOUND_GROWTH
        return self.queryset.filter(self.within(Q())).order_by(*self.sorted)

    def _first_rows(self, top):
        share = max(self.expected, KEYS_DENSE) / max(self.papers, 1)
        return math.ceil(KEY_BOUND_MARGIN * top / share)

    def _ids_before(self, rows, top):
        """The set's first ``top`` ids (fewer if there are fewer) among the order's first
        ``rows`` rows, in order."""
        order = self.queryset.model.objects.order_by(*self.ordering)
        boundary = order.annotate(position=self.position).values_list("position", flat=True)
        value = next(iter(boundary[rows : rows + 1]), None)
        if value is None:  # the order is shorter than that: no bound (callers read whole)
            return []
        # Cast: the index's operators compare bigint with bigint only, and a small number is
        # sent as an integer literal, which PostgreSQL reads as int4.
        bound = self.compare(self.position, Cast(Value(value), BigIntegerField()))
        bounded = self.queryset.filter(self.within(Q(bound))).order_by(*self.sorted)
        return list(bounded.values_list("pk", flat=True)[:top])

    def _rows(self, ids):
        return self.queryset.filter(ColumnIn("id", ids)).order_by(*self.sorted)


def _sorted_first(queryset, narrowed, ordering, top):
    """The first ``top`` rows of a probed list (``narrowed``) in two steps: their ids,
    sorted where the order's keys and the filters need only the indexed columns of
    ``papers_paper_id_dates`` (the dates orders, one card per work) from that index alone;
    then those ``top`` rows. Sorting the rows themselves would visit each probed paper in
    the table (measured at 1M: 3,880 papers of an author, 17-29 ms against 9-11 ms)."""
    first = list(narrowed.values_list("pk", flat=True)[:top])
    return queryset.filter(ColumnIn("id", first)).order_by(*_unindexed(ordering))


def _bounded_walk(queryset, row_test, ordering):
    """The walk of the order's index, or None if its first page is not within the first
    WALK_BOUND rows of the order (the estimate was wrong: words common alone but rarely
    together), so that a wrong estimate costs a bounded walk, not the whole index.

    Two queries: the order's WALK_BOUND-th row (from the index alone), then the first
    page's ids among the rows before it."""
    walked = queryset.filter(row_test).order_by(*ordering)
    order = cursor_order(walked)
    if order is None:
        return walked
    boundary, _ = cursor_page(
        queryset.model.objects.only("pk").order_by(*ordering)[WALK_BOUND:],
        order,
        after=None,
        size=1,
    )
    first = walked
    if boundary:
        values = [getattr(boundary[0], f"cursor_{n}") for n in range(len(order))]
        up_to = _RowAfter([part.expression for part in order], values, order[0].descending)
        up_to.operator = ">=" if order[0].descending else "<="  # the boundary row or before
        first = walked.filter(up_to)
    wanted = max(PAGE_ROWS, 1)
    if len(first.values_list("pk", flat=True)[:wanted]) < wanted:
        return None
    return walked


def _unindexed(ordering):
    """The same order, each part as ``(expression + 0)``: equal values, but no index on
    the bare expression matches it."""
    return [
        OrderBy(
            ExpressionWrapper(part.expression + Value(0), output_field=FloatField()),
            descending=part.descending,
        )
        for part in ordering
    ]


def table_size(model):
    """PostgreSQL's estimate of the rows of ``model``'s table (pg_class, no scan)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    return max(row[0] if row else 0, 0)


def count(queryset):
    """The ``Count`` of a list: exact up to EXACT_COUNT_LIMIT rows, else on PostgreSQL the
    planner's estimate (never below the limit + 1: there are more than that). A queryset
    from ``narrow`` already knows its count (no query). At most two small queries."""
    known = getattr(queryset, "known_count", None)
    if known is not None:
        return known
    if connections[queryset.db].vendor != "postgresql":
        return Count(queryset.order_by().count())
    counted = queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1].count()
    if counted <= EXACT_COUNT_LIMIT:
        return Count(counted)
    return Count(max(estimate(queryset), counted), is_estimate=True)


def estimate(queryset):
    """PostgreSQL's estimate of how many rows ``queryset`` gives (EXPLAIN, no execution)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class BoundedPaginator(Paginator):
    """A Paginator over a list whose count may be an estimate (``count_is_estimate``) and
    whose page numbers stop at MAX_NUMBERED_ROWS rows (``truncated`` says rows were left
    past the last page)."""

    @cached_property
    def list_count(self):
        return count(self.object_list)

    @cached_property
    def count(self):
        return self.list_count.value

    @property
    def count_is_estimate(self):
        return self.list_count.is_estimate

    @cached_property
    def num_pages(self):
        pages = super().num_pages
        return min(pages, max(1, MAX_NUMBERED_ROWS // self.per_page))

    def page(self, number):
        """As Paginator.page, but an estimated count never cuts a page short (the
        estimate may be below the real number of rows)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.count_is_estimate and top + self.orphans >= self.count:
            top = self.count
        rows_up_to = getattr(self.object_list, "rows_up_to", None)  # Bounded, probed lists
        rows = rows_up_to(top) if rows_up_to else self.object_list
        return self._get_page(rows[bottom:top], number, self)

    @property
    def truncated(self):
        # An estimate is only given above EXACT_COUNT_LIMIT (or PROBE) rows: past the pages.
        return self.count_is_estimate or self.count > self.num_pages * self.per_page


def linked(links):
    """A row test "this paper has a row in ``links``" (a queryset of a link table with a
    ``paper`` foreign key) that PostgreSQL checks per row with one index lookup: a scalar
    subquery, since an EXISTS is planned as a hash of every link row (measured at 1M: a
    keyword's 106,000 links hashed, 146 ms, against 0.6 ms for the lookups)."""
    first = links.filter(paper=OuterRef("pk")).annotate(linked=Value(True)).values("linked")
    return per_row(Subquery(first[:1], output_field=BooleanField()))


def per_row(q_or_expression):
    """A Q for a row test that the planner keeps per row: ``(test) IS TRUE``."""
    return Q(_IsTrue(q_or_expression))


class _IsTrue(Expression):
    conditional = True

    def __init__(self, condition):
        from django.db.models import BooleanField

        super().__init__(output_field=BooleanField())
        self.condition = condition

    def get_source_expressions(self):
        return [self.condition]

    def set_source_expressions(self, exprs):
        (self.condition,) = exprs

    def resolve_expression(self, *args, **kwargs):
        clone = self.copy()
        clone.condition = self.condition.resolve_expression(*args, **kwargs)
        return clone

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.condition)
        return f"({sql}) IS TRUE", params


@dataclass(frozen=True)
class CategoryCount:
    """A category as the home page shows it (what the cache holds: plain values)."""

    name: str
    slug: str
    paper_count: int

    def get_absolute_url(self):
        return Category(name=self.name, slug=self.slug).get_absolute_url()


def home_categories():
    """The HOME_CATEGORIES categories with the most papers, biggest first (ties by name),
    each with its count: from the cache, else counted now and cached (one query)."""
    cached = cache.get(HOME_CATEGORIES_KEY)
    if cached is None:
        cached = refresh_home_categories()
    return [CategoryCount(*row) for row in cached]


@shared_task
def refresh_home_categories():
    """Beat (and a cache miss): count every category's papers (one GROUP BY over the link
    table's (category, paper) index), cache the biggest HOME_CATEGORIES as
    [(name, slug, count)], return them. Safe to run twice: it only overwrites the cache."""
    biggest = (
        PaperCategory.objects.values("category")
        .annotate(paper_count=CountOf("paper_id"))
        .order_by("-paper_count", "category__name")
        .values_list("category__name", "category__slug", "paper_count")[:HOME_CATEGORIES]
    )
    rows = [tuple(row) for row in biggest]
    cache.set(HOME_CATEGORIES_KEY, rows, HOME_CATEGORIES_TIMEOUT)
    return rows


# --- cursors: deeper than page numbers ---


def cursor_order(queryset):
    """The OrderBy parts of ``queryset``'s order if a cursor can follow it (every part in
    the same direction, no relevance rank), else None."""
    parts = list(queryset.query.order_by)
    if not parts or not all(isinstance(part, OrderBy) for part in parts):
        return None
    if len({part.descending for part in parts}) != 1:
        return None
    if any(
        isinstance(part.expression, F) and part.expression.name == "search_rank" for part in parts
    ):
        return None
    return parts


def cursor_page(queryset, order, *, after, size):
    """Up to ``size`` rows of ``queryset`` (ordered by ``order``, see cursor_order) that
    come after the row whose order values are ``after`` (None: from the start), and the
    order values of the last row if more rows follow (else None). One seek into the
    order's index: ``(key, ..., id) < (k, ..., i)`` (``>`` ascending); no OFFSET."""
    names = [f"cursor_{n}" for n in range(len(order))]
    keys = dict(zip(names, (part.expression for part in order), strict=True))
    keyed = queryset.annotate(**keys)
    if after is not None:
        keyed = keyed.filter(
            _RowAfter([part.expression for part in order], after, order[0].descending)
        )
    rows = list(keyed[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = [getattr(rows[-1], name) for name in names] if more and rows else None
    return rows, last


class _RowAfter(Expression):
    """``(e1, e2, ...) < (v1, v2, ...)`` (``>`` when ascending): a row comparison, which a
    btree index on (e1, e2, ...) in that direction serves as a start position."""

    conditional = True
    operator = None  # set ">=" / "<=" for "up to and including the row"

    def __init__(self, expressions, values, descending):
        from django.db.models import BooleanField, Value

        super().__init__(output_field=BooleanField())
        self.expressions = list(expressions)
        self.values = [Value(v) for v in values]
        self.descending = descending

    def get_source_expressions(self):
        return self.expressions + self.values

    def set_source_expressions(self, exprs):
        n = len(self.expressions)
        self.expressions, self.values = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection):
        left, right, params = [], [], []
        for expression in self.expressions:
            sql, sql_params = compiler.compile(expression)
            left.append(sql)
            params += sql_params
        for value in self.values:
            sql, sql_params = compiler.compile(value)
            right.append(sql)
            params += sql_params
        operator = self.operator or ("<" if self.descending else ">")
        return f"({', '.join(left)}) {operator} ({', '.join(right)})", params
