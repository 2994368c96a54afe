"""Full-text search over the catalogue: one function, ``search_papers``, backend-aware.

What is searched, weighted high to low: the title (A), ``Paper.search_document`` (B:
authors, keywords, categories, journal title and DOI, kept by ``papers.curation``) and the
abstract (C). The index itself is made by migration ``0002_search_index``:

- PostgreSQL: a stored generated ``tsvector`` column ``papers_paper.search_vector`` with a
  GIN index (since migration 0028 it also holds each list order's position, for sorted
  searches), queried with ``websearch_to_tsquery('english', ...)``, which accepts any text.
- SQLite: an FTS5 external-content table ``papers_paper_fts`` kept in sync by triggers,
  queried with a MATCH string we build from word tokens only (never the user's syntax).

The model does not declare the column or the FTS table (the model stays portable); the SQL
here names them, always with the user's text passed as a query parameter.
"""

import re
import unicodedata

from django.db import connections
from django.db.models import BooleanField, Case, Expression, FloatField, Q, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from papers import listing, records

# How many matches the relevance ordering ranks; see search_papers. Measured on PostgreSQL
# at 1M papers (bench/search.py queries, candidates + ranking as raw SQL): p95 47 ms with
# 500 candidates from title+abstract, 39 ms with 500 title-first, 22 ms with 200 title-first.
RANKED_CANDIDATES = 200
# Longer text is cut here: nobody types more, and it bounds the work a query can ask for.
MAX_QUERY_CHARS = 1000
# A pasted DOI of the paper itself beats any text match.
DOI_MATCH_RANK = 1000.0

# Weights of title, search_document, abstract: 1 : 0.4 : 0.1 on both backends.
_PG_VECTOR = "{table}.search_vector"
_PG_QUERY = "websearch_to_tsquery('english', %s)"
_PG_MATCH = f"{_PG_VECTOR} @@ {_PG_QUERY}"
# Served by the GIN index of migration 0005, whose expression this must repeat exactly.
_PG_TITLE_MATCH = f"to_tsvector('english', {{table}}.title) @@ {_PG_QUERY}"
_PG_RANK = f"ts_rank_cd('{{{{0.0, 0.1, 0.4, 1.0}}}}', {_PG_VECTOR}, {_PG_QUERY})"
_SQLITE_MATCH = "{table}.id IN (SELECT rowid FROM papers_paper_fts WHERE papers_paper_fts MATCH %s)"
# bm25 is lower-is-better; negated so that on both backends a higher search_rank is better.
_SQLITE_RANK = (
    "(SELECT -bm25(papers_paper_fts, 10.0, 4.0, 1.0) FROM papers_paper_fts"
    " WHERE papers_paper_fts MATCH %s AND papers_paper_fts.rowid = {table}.id)"
)
_WORD = re.compile(r"\w+")


def search_papers(queryset, text, *, candidates=RANKED_CANDIDATES):
    """Restrict a Paper ``queryset`` to papers matching ``text``, annotated ``search_rank``.

    ``search_rank`` is a float, higher is better: a title match outranks a match in the
    authors/keywords/journal/DOI text, which outranks an abstract-only match; stemmed
    ("mutations" finds "mutation"). A text that is a DOI (``10.1234/x``, ``doi:...``,
    ``https://doi.org/...``) also finds the paper with that DOI, ranked first.

    Blank text (after ``clean_query``) returns ``queryset`` unchanged and unannotated.
    Any other text, whatever its characters (quotes, ``&``, ``:``, ``*``, ``NEAR``, ``-``,
    parentheses, SQL, NUL), gives results or none, never an error: PostgreSQL's
    websearch_to_tsquery accepts any input, and for SQLite only word tokens reach FTS5,
    each quoted. Text beyond MAX_QUERY_CHARS is ignored. With bounded candidates (the
    default) one or two queries run here, for the candidates' ids; the result is a queryset.

    The trade-off for speed: ranking every match is what makes a common word slow on a
    large catalogue (measured at 1M papers: p95 1.2 s ranked vs 39 ms unranked). So with
    ``candidates=N`` (default RANKED_CANDIDATES, 200) the result holds at most N matching
    papers, taken unranked from the index *after* the queryset's own filters (matches in
    the title first, see _candidate_ids), and only those are ranked; a common word then
    returns "the best of N matches" rather than the best of all, and its count stops at N
    (a narrower search or filter finds the rest).
    Pass ``candidates=None`` for every match, e.g. when sorting by date, not relevance.
    Apply other filters before calling this, so that the candidates obey them.
    """
    text = clean_query(text)
    if not text:
        return queryset
    vendor = connections[queryset.db].vendor
    title_match = None
    if vendor == "postgresql":
        match = _PaperTableSQL(_PG_MATCH, [text], BooleanField())
        title_match = _PaperTableSQL(_PG_TITLE_MATCH, [text], BooleanField())
        rank = _PaperTableSQL(_PG_RANK, [text], FloatField())
    elif vendor == "sqlite":
        fts_query = sqlite_match_string(text)
        if not fts_query:
            return queryset.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
        match = _PaperTableSQL(_SQLITE_MATCH, [fts_query], BooleanField())
        title_match = _PaperTableSQL(_SQLITE_MATCH, [f"title : ({fts_query})"], BooleanField())
        rank = _PaperTableSQL(_SQLITE_RANK, [fts_query], FloatField())
    else:
        match, rank = _substring_match(text), Value(0.0, output_field=FloatField())

    if candidates is None:
        condition = Q(match)
    else:
        # The candidates' ids are fetched here, once, so that ranking, counting and paging
        # look up N rows by primary key rather than each scanning the index again.
        ids = _candidate_ids(queryset, title_match, match, candidates)
        if vendor == "postgresql":  # one array parameter instead of N placeholders
            condition = Q(_PaperTableSQL("{table}.id = ANY(%s)", [ids], BooleanField()))
        else:
            condition = Q(pk__in=ids)
    doi = _as_doi(text)
    if doi:
        same_doi = Exact(Lower("doi"), doi)  # Lower() so the unique index on lower(doi) serves
        condition |= Q(same_doi)
        rank = Case(When(same_doi, then=Value(DOI_MATCH_RANK)), default=rank)
    return queryset.filter(condition).annotate(search_rank=rank)


def sorted_search(queryset, text, ordering, position=None):
    """Every paper of ``queryset`` matching ``text``, in ``ordering`` (any order but
    relevance: newest, oldest, best rated, ...), planned by ``papers.listing.narrow``.

    The same matches as ``search_papers(queryset, text, candidates=None)`` (the DOI rule
    included), but on PostgreSQL a page costs a bounded amount whatever the number of
    matches: up to EXACT_COUNT_LIMIT matching ids are read from the GIN index and, if that
    is all of them, they alone are sorted; more matches are read a page at a time from the
    GIN, which also holds the order's ``position`` (papers.filters.POSITIONS; without it,
    the order's index is walked and each row tested: ``listing.narrow``).
    Blank text: ``queryset`` in ``ordering``. Not annotated with ``search_rank``.
    """
    text = clean_query(text)
    vendor = connections[queryset.db].vendor
    if not text or vendor != "postgresql":
        return search_papers(queryset, text, candidates=None).order_by(*ordering)
    match = _PaperTableSQL(_PG_MATCH, [text], BooleanField())
    condition, row_test = Q(match), listing.per_row(match)
    doi = _as_doi(text)
    if doi:  # a pasted DOI: its paper whatever its words (few other matches, if any)
        same_doi = Exact(Lower("doi"), doi)
        condition, row_test = condition | Q(same_doi), row_test | Q(same_doi)

    def within(bound):
        # The words and a bound on the position, answered by one GIN (migration 0028).
        return Q(match) & bound

    return listing.narrow(
        queryset,
        matching_ids=queryset.filter(condition).values_list("pk", flat=True),
        row_test=row_test,
        ordering=ordering,
        within=None if doi or position is None else within,
        position=position,
    )


def _candidate_ids(queryset, title_match, match, limit):
    """Up to ``limit`` ids of matching papers, unranked, papers matching in the title first.

    Each is one index scan that stops after ``limit`` rows. A title's index (PostgreSQL:
    migration 0005; SQLite: the FTS5 title column) is asked first: on a large catalogue it
    is several times cheaper than title+abstract, and title matches are what ranks first
    anyway. Only when titles give fewer than ``limit`` is the whole text asked for the rest.
    """
    ids = []
    if title_match is not None:
        ids = list(queryset.filter(title_match).order_by().values_list("pk", flat=True)[:limit])
        if len(ids) == limit:
            return ids
    rest = queryset.filter(match).exclude(pk__in=ids) if ids else queryset.filter(match)
    return ids + list(rest.order_by().values_list("pk", flat=True)[: limit - len(ids)])


def sqlite_match_string(text):
    """An FTS5 MATCH string for ``text``: every word token quoted, all required ("a" "b").

    Only ``\\w+`` runs survive, so FTS5 operators (NEAR, AND, *, -, :, parentheses, quotes)
    typed by a user are plain words or gone and can never be a syntax error. "" when the
    text has no word at all.
    """
    return " ".join(f'"{token}"' for token in _WORD.findall(text))


def clean_query(text):
    """``text`` as searched: cut at MAX_QUERY_CHARS, control characters (PostgreSQL refuses
    a NUL) and lone surrogates (not encodable) turned into spaces, then stripped. Blank
    means no search."""
    text = (text or "")[:MAX_QUERY_CHARS]
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text).strip()


def _as_doi(text):
    try:
        return records.normalize_doi(text)
    except records.RecordError:
        return ""


def _substring_match(text):
    # Other databases have no index of ours: every word must appear somewhere (slow, correct).
    condition = Q()
    for token in _WORD.findall(text)[:10]:
        condition &= (
            Q(title__icontains=token)
            | Q(search_document__icontains=token)
            | Q(abstract__icontains=token)
        )
    return condition


class _PaperTableSQL(Expression):
    """A parameterised SQL fragment about the paper row; ``{table}`` becomes its alias.

    Django renames tables inside subqueries (papers_paper -> U0), so a fixed table name in
    raw SQL would silently point at the outer query; the alias is looked up when compiling.
    """

    def __init__(self, template, params, output_field):
        super().__init__(output_field=output_field)
        self.template, self.params = template, tuple(params)

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(_paper_alias(compiler.query))
        return self.template.format(table=table), list(self.params)


def _paper_alias(query):
    table_name = query.model._meta.db_table
    aliases = [a for a, t in query.alias_map.items() if t.table_name == table_name]
    # The query's own base table (no join type) if papers_paper is also joined elsewhere.
    base = [a for a in aliases if query.alias_map[a].join_type is None]
    return (base or aliases or [query.get_initial_alias()])[0]
