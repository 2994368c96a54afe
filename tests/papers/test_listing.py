"""Lists bounded at any size (papers.listing): every order, both plans of a narrowed list,
counts that say when they are estimates, page numbers then a cursor in the API, the home
page's cached categories. Runs on SQLite and PostgreSQL; PostgreSQL-only plans are chosen
by ``connection.vendor`` inside the tests (SQLite has one plan, so both give its answer).
"""

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from papers import listing
from papers.filters import ORDERINGS, POSITIONS
from papers.models import Paper
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    KeywordFactory,
    PaperFactory,
)

pytestmark = pytest.mark.django_db

SORTS = ["newest", "oldest", "best_rated", "most_rated", "most_cited"]


@pytest.fixture
def dated():
    """Papers of every date precision, rating and citation state; all match "graphene"
    but two unrelated ones, which match nothing and must never appear."""
    rows = [
        # title, (year, month, day), rating_average, rating_count, citation_count
        ("graphene full date", (2021, 9, 14), 4.5, 10, 5),
        ("graphene same month no day", (2021, 9, None), 3.0, 2, None),
        ("graphene same year no month", (2021, None, None), None, 0, 50),
        ("graphene earlier day", (2021, 9, 2), 5.0, 1, 0),
        ("graphene old", (1999, 1, 1), 2.0, 30, 7),
        ("graphene undated", (None, None, None), None, 0, None),
        ("graphene newest", (2024, 2, 29), 4.0, 4, 5),
    ]
    papers = []
    for title, (year, month, day), average, count, cited in rows:
        papers.append(
            PaperFactory(
                title=title,
                published_year=year,
                published_month=month,
                published_day=day,
                rating_average=average,
                rating_count=count if average is not None else 0,
                citation_count=cited,
            )
        )
    PaperFactory(title="Unrelated ecology", published_year=2030, citation_count=999)
    # First in every other order, so that a walk bounded to one row finds no match.
    PaperFactory(
        title="Unrelated classic",
        published_year=1900,
        rating_average=5.0,
        rating_count=1000,
        citation_count=10_000,
    )
    return papers


def expected(papers, sort):
    """The order each sort promises, computed here from the fields (undated, unrated and
    unknown last; ties by id)."""

    def date(p, missing):
        parts = (p.published_year, p.published_month, p.published_day)
        return tuple(missing if part is None else part for part in parts)

    if sort == "newest":
        key = [(date(p, -1), p.pk) for p in papers]
        return [p.title for _, p in sorted(zip(key, papers, strict=True), reverse=True)]
    if sort == "oldest":
        return [p.title for p in sorted(papers, key=lambda p: (date(p, 10**6), p.pk))]
    if sort == "best_rated":
        return [
            p.title
            for p in sorted(
                papers,
                key=lambda p: (
                    -(p.rating_score if p.rating_score is not None else -1),
                    -p.rating_count,
                    -p.pk,
                ),
            )
        ]
    if sort == "most_rated":
        return [p.title for p in sorted(papers, key=lambda p: (-p.rating_count, -p.pk))]
    return [
        p.title
        for p in sorted(
            papers,
            key=lambda p: (-(p.citation_count if p.citation_count is not None else -1), -p.pk),
        )
    ]


# The plans of papers.listing.narrow on PostgreSQL, forced: "walk" (the estimate says
# many matches: walk the order's index, testing each row), "walk-gives-way" (the walk
# finds no page within WALK_BOUND rows: the estimate was wrong, sort the probe instead),
# "probe" (few: sort the probed ids), "probe-then-walk" (the estimate said few, the probe
# found more than PROBE).
PLANS = ["walk", "walk-gives-way", "probe", "probe-then-walk"]


def force_plan(monkeypatch, plan):
    if plan.startswith("walk"):  # every estimate is "many" against 0 rows a page
        monkeypatch.setattr(listing, "PAGE_ROWS", 0)
    else:  # no estimate is "many" against this many rows a page
        monkeypatch.setattr(listing, "PAGE_ROWS", 10**15)
    if plan == "walk-gives-way":  # the first paper in every order is an unrelated one
        monkeypatch.setattr(listing, "WALK_BOUND", 0)
    if plan == "probe-then-walk":
        monkeypatch.setattr(listing, "PROBE", 1)


# The plans of a sorted search on PostgreSQL (narrow with within), forced: "probe" (few
# matches: sort the probed ids, count exactly), "keys" (the probe found more: each page
# read inside the GIN that holds the order's positions, listing.Bounded). (A first bound
# that holds a first page skips the probe: test_a_dense_search_is_not_probed.)
SEARCH_PLANS = ["probe", "keys"]


def force_search_plan(monkeypatch, plan):
    monkeypatch.setattr(listing, "KEYS_PROBE", 1 if plan == "keys" else 10**15)


def titles(response):
    return [paper.title for paper in response.context["papers"]]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("plan", SEARCH_PLANS)
def test_a_sorted_search_gives_every_match_in_its_order_by_every_plan(
    client, dated, monkeypatch, sort, plan
):
    force_search_plan(monkeypatch, plan)  # SQLite has one plan

    response = client.get("/papers/", {"q": "graphene", "sort": sort})

    assert titles(response) == expected(dated, sort)
    if connection.vendor == "postgresql":
        count = response.context["page"].paginator.list_count
        estimated = plan != "probe"
        assert count.is_estimate == estimated
        # Sorting the probe counts exactly; bounded by the keys, the planner's estimate,
        # never below what is known: more than the numbered rows' limit.
        assert count.value > listing.EXACT_COUNT_LIMIT if estimated else count.value == 7


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("margin", [1, 0.01])
def test_a_search_bounded_by_its_keys_pages_through_every_match_in_order(
    client, dated, monkeypatch, sort, margin
):
    """Pages of two rows, so that the bound, not the whole set, gives them: with margin 1
    the first bound mostly holds the page; with 0.01 it never does at first and grows."""
    force_search_plan(monkeypatch, "keys")
    monkeypatch.setattr(listing, "KEY_BOUND_MARGIN", margin)
    monkeypatch.setattr(listing, "KEYS_DENSE", 1)  # the planner's estimate as it is
    monkeypatch.setattr(listing, "MAX_NUMBERED_ROWS", 8)  # four numbered pages of two
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE papers_paper")  # the table's size bounds B

    seen, urls = follow(client, "/api/v1/papers/", {"q": "graphene", "sort": sort, "page_size": 2})

    assert [Paper.objects.get(pk=pk).title for pk in seen] == expected(dated, sort)
    assert all("page=" in url for url in urls[:3])  # numbered pages, then a cursor


@pytest.mark.parametrize("sort", SORTS)
def test_a_position_never_sorts_a_paper_after_one_its_order_puts_later(dated, sort):
    """papers.models.position: one number per order that a bound can be one range of. It
    must never increase along the order (descending orders; never decrease ascending),
    ties and missing values included, or a bound would leave out a row it must hold."""
    PaperFactory.create_batch(3, published_year=2021, citation_count=5)  # ties: by id
    PaperFactory(rating_count=3, rating_score=None)  # counted but no score (by hand)
    PaperFactory(rating_count=2, rating_average=4.0)
    PaperFactory(rating_count=9, rating_average=4.0)  # the same score bucket, more ratings
    PaperFactory(citation_count=10**9, rating_count=10**9)  # past the cap

    ordered = Paper.objects.order_by(*ORDERINGS[sort]).annotate(position=POSITIONS[sort])
    positions = list(ordered.values_list("position", flat=True))

    steps = list(zip(positions, positions[1:], strict=False))
    if ORDERINGS[sort][0].descending:
        assert all(earlier >= later for earlier, later in steps), positions
    else:
        assert all(earlier <= later for earlier, later in steps), positions
    assert len(set(positions)) >= len(positions) - 3  # ties only where the order allows


def test_a_search_bounded_by_its_keys_visits_about_a_page_of_rows(dated, monkeypatch):
    """The first page's bound holds the page, not every match: with twice the rows a page
    needs before the bound, the bounded query gives the page and reads no further."""
    monkeypatch.setattr(listing, "KEY_BOUND_MARGIN", 1)
    monkeypatch.setattr(listing, "KEYS_DENSE", 1)  # the estimate below is taken as it is
    ordering = ORDERINGS["newest"]
    queryset = Paper.objects.order_by(*ordering)
    everything = list(queryset.values_list("pk", flat=True))
    matching = set(Paper.objects.filter(title__startswith="graphene").values_list("pk", flat=True))

    def within(bound):
        return Q(title__startswith="graphene") & bound

    bounded = listing.Bounded(
        queryset, within, ordering, POSITIONS["newest"], len(everything), len(everything)
    ).narrowed()
    with CaptureQueriesContext(connection) as queries:
        first_two = list(bounded.rows_up_to(2)[:2])

    wanted = [pk for pk in everything if pk in matching][:2]
    assert [paper.pk for paper in first_two] == wanted
    # One try: the position of the third row of the order ("graphene full date"), the ids
    # at or before it (the second and third rows: "graphene newest" and itself), the rows.
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_a_dense_search_is_not_probed(dated, monkeypatch):
    """When one bound for a first page holds it, the set is dense: no probe of every
    match, the page comes from that bound, and the count is an estimate at least as
    dense as that."""
    monkeypatch.setattr(listing, "PAGE_ROWS", 2)
    monkeypatch.setattr(listing, "KEY_BOUND_MARGIN", 1)
    monkeypatch.setattr(listing, "KEYS_DENSE", 1)
    ordering = ORDERINGS["newest"]
    queryset = Paper.objects.order_by(*ordering)
    everything = list(queryset.values_list("pk", flat=True))
    matching = set(Paper.objects.filter(title__startswith="graphene").values_list("pk", flat=True))
    bounded = listing.Bounded(
        queryset,
        lambda bound: Q(title__startswith="graphene") & bound,
        ordering,
        POSITIONS["newest"],
        expected=len(everything),  # the bound: the order's first two rows
        papers=len(everything),
    )

    with CaptureQueriesContext(connection) as tried:
        first = bounded.first_page()
    narrowed = bounded.narrowed()
    with CaptureQueriesContext(connection) as read:
        page = list(narrowed.rows_up_to(2)[:2])

    wanted = [pk for pk in everything if pk in matching][:2]
    assert first == wanted and [paper.pk for paper in page] == wanted
    assert len(tried) == 2 and len(read) == 1  # the bound's position and ids; the rows
    # Two of the first two rows: about one paper in one, at least.
    assert narrowed.known_count.is_estimate and narrowed.known_count.value >= len(everything)


def test_a_first_bound_that_falls_short_says_where_to_look_next(dated, monkeypatch):
    """A first bound of the order's first two rows holds one match: the set is about one
    in two, so the next bound is where a page should be (margin 4 / 2: four rows for two
    matches) and holds the page, with no probe."""
    monkeypatch.setattr(listing, "PAGE_ROWS", 2)
    ordering = ORDERINGS["newest"]
    queryset = Paper.objects.order_by(*ordering)
    everything = list(queryset.values_list("pk", flat=True))
    matching = set(Paper.objects.filter(title__startswith="graphene").values_list("pk", flat=True))
    papers = len(everything)
    bounded = listing.Bounded(
        queryset,
        lambda bound: Q(title__startswith="graphene") & bound,
        ordering,
        POSITIONS["newest"],
        # An estimate eight times the catalogue: the first bound is the order's first row
        # and the one after it (B = 4 * 2 / 8 = 1).
        expected=max(listing.KEYS_DENSE, 8 * papers),
        papers=max(listing.KEYS_DENSE, 8 * papers) // 8,
    )

    with CaptureQueriesContext(connection) as tried:
        first = bounded.first_page()

    assert first == [pk for pk in everything if pk in matching][:2]
    assert len(tried) == 4  # two bounds: the position of row 1, ids; of row 4, ids


@pytest.mark.parametrize("sort", SORTS)
def test_the_catalogue_without_a_search_is_in_each_order(client, dated, sort):
    everything = [*dated, *Paper.objects.filter(title__startswith="Unrelated")]

    assert titles(client.get("/papers/", {"sort": sort})) == expected(everything, sort)


@pytest.mark.parametrize("plan", PLANS)
@pytest.mark.parametrize("kind", ["category", "keyword", "author"])
def test_term_and_author_pages_list_their_papers_newest_first_by_every_plan(
    client, dated, monkeypatch, plan, kind
):
    force_plan(monkeypatch, plan)
    mine = dated[:4]
    if kind == "author":
        author = AuthorFactory()
        for paper in mine:
            AuthorshipFactory(paper=paper, author=author, position=0)
        AuthorshipFactory(paper=mine[0], author=author, position=1)  # listed twice: once
        url = author.get_absolute_url()
    else:
        term = (CategoryFactory if kind == "category" else KeywordFactory)()
        for paper in mine:
            getattr(paper, f"{'categories' if kind == 'category' else 'keywords'}").add(term)
        url = term.get_absolute_url()

    assert titles(client.get(url)) == expected(mine, "newest")


def test_a_probe_full_of_one_papers_links_is_not_taken_for_the_whole_set(
    client, dated, monkeypatch
):
    """An author listed three times on their first paper: the probe's PROBE + 1 link rows
    (PROBE = 2) may all be that paper's, which is not all of the author's papers."""
    force_plan(monkeypatch, "probe")
    monkeypatch.setattr(listing, "PROBE", 2)
    mine = sorted(dated[:4], key=lambda paper: paper.pk)
    author = AuthorFactory()
    for position in range(3):  # the lowest paper id first: the link index's first rows
        AuthorshipFactory(paper=mine[0], author=author, position=position)
    for paper in mine[1:]:
        AuthorshipFactory(paper=paper, author=author, position=0)

    assert titles(client.get(author.get_absolute_url())) == expected(mine, "newest")


@pytest.mark.parametrize("plan", PLANS)
def test_the_catalogue_filtered_by_a_category_or_keyword_lists_its_papers_by_every_plan(
    client, dated, monkeypatch, plan
):
    force_plan(monkeypatch, plan)
    ecology, soil = CategoryFactory(), KeywordFactory()
    for paper in dated[:5]:
        paper.categories.add(ecology)
    for paper in dated[2:]:
        paper.keywords.add(soil)
    params = {"category": ecology.slug, "keyword": soil.slug, "year_min": 2000}

    only = client.get("/papers/", {"category": ecology.slug})
    both = client.get("/papers/", params)

    assert titles(only) == expected(dated[:5], "newest")
    passing = [p for p in dated[2:5] if (p.published_year or 0) >= 2000]
    assert titles(both) == expected(passing, "newest")
    assert both.context["page"].paginator.count == len(passing) == 2


@pytest.mark.parametrize("plan", SEARCH_PLANS)
@pytest.mark.parametrize("sort", ["newest", "best_rated"])
def test_a_sorted_search_runs_the_same_queries_by_every_plan(
    client, dated, monkeypatch, django_assert_num_queries, plan, sort
):
    force_search_plan(monkeypatch, plan)
    # The table's size (reltuples) is whatever an earlier test's ANALYZE left (it is not
    # rolled back): no bound is tried here, so that the count does not depend on it.
    monkeypatch.setattr(listing, "KEY_BOUND_MAX_ROWS", 0)
    # SQLite: count, rows, first authors, categories. PostgreSQL: the estimate, the table's
    # size, the probe (which counts if it finds them all), then (probe) the page's ids
    # sorted, rows, first authors, categories. (The bounded tries are counted in
    # test_a_search_bounded_by_its_keys_visits_about_a_page_of_rows.)
    queries = {"probe": 7, "keys": 6}[plan]
    with django_assert_num_queries(queries if connection.vendor == "postgresql" else 4):
        client.get("/papers/", {"q": "graphene", "sort": sort})


@pytest.mark.parametrize("kind", ["category", "keyword"])
@pytest.mark.parametrize("papers", [1, 30])
def test_a_term_page_runs_the_same_queries_for_one_or_thirty_papers(
    client, django_assert_num_queries, kind, papers
):
    term = (CategoryFactory if kind == "category" else KeywordFactory)()
    for paper in PaperFactory.create_batch(papers):
        getattr(paper, "categories" if kind == "category" else "keywords").add(term)
        AuthorshipFactory.create_batch(5, paper=paper)

    # 1 the term, 2 the count (PostgreSQL: the estimate, the table's size, the probe,
    # which counts, then the page's ids sorted), 3 rows with journals, 4 first
    # authorships+authors, 5 categories.
    with django_assert_num_queries(8 if connection.vendor == "postgresql" else 5):
        response = client.get(term.get_absolute_url())
    assert len(response.context["papers"]) == min(papers, 20)


def test_a_card_loads_four_authors_and_names_three(client, django_assert_num_queries):
    paper = PaperFactory(title="Many authors")
    names = [AuthorshipFactory(paper=paper, position=n).author.name for n in range(12)]

    response = client.get("/papers/")

    (card,) = response.context["papers"]
    assert [a.author.name for a in card.card_authorships] == names[:4]
    html = response.content.decode()
    assert all(name in html for name in names[:3]) and names[3] not in html
    assert "et al." in html


# --- counts ---


@pytest.mark.parametrize(
    ("value", "words"),
    [(1_234_567, "1.2 million"), (1_000_000, "1 million"), (45_321, "45,000"), (1001, "1,000")],
)
def test_an_estimate_is_said_in_two_significant_figures(value, words):
    assert listing.about(value) == words
    assert listing.Count(value, is_estimate=True).phrase() == f"about {words} papers"


def test_an_exact_count_is_said_exactly():
    assert listing.Count(1).phrase() == "1 paper"
    assert listing.Count(1234).phrase() == "1,234 papers"


def test_the_api_count_says_whether_it_is_an_estimate(client, monkeypatch):
    PaperFactory.create_batch(8)
    monkeypatch.setattr(listing, "EXACT_COUNT_LIMIT", 5)

    body = client.get("/api/v1/papers/").json()

    if connection.vendor == "postgresql":  # more than the limit: the planner's estimate
        assert body["count_is_estimate"] is True and body["count"] > 5
    else:
        assert body == body | {"count": 8, "count_is_estimate": False}
    monkeypatch.setattr(listing, "EXACT_COUNT_LIMIT", 1000)
    assert client.get("/api/v1/papers/").json()["count_is_estimate"] is False


# --- the API: page numbers, then a cursor ---


def follow(client, url, params):
    """Every id the list gives by following next links; and the URLs followed."""
    seen, urls = [], []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        urls.append(body["next"])
        if not body["next"]:
            return seen, urls
        response = client.get(body["next"])


@pytest.mark.parametrize("sort", SORTS)
def test_the_api_pages_by_number_then_by_cursor_through_every_paper_once(
    client, dated, monkeypatch, sort
):
    monkeypatch.setattr(listing, "MAX_NUMBERED_ROWS", 4)  # two numbered pages of 2
    PaperFactory.create_batch(3, published_year=2021, citation_count=5)  # ties: by id

    seen, urls = follow(client, "/api/v1/papers/", {"sort": sort, "page_size": 2})

    everything = list(Paper.objects.all())
    order = expected(everything, sort)
    assert [Paper.objects.get(pk=pk).title for pk in seen] == order
    assert len(set(seen)) == len(everything)
    assert "page=2" in urls[0] and all("cursor=" in url for url in urls[1:-1])


@pytest.mark.parametrize("sort", SORTS)
def test_a_probed_search_pages_by_number_through_every_match_in_order(
    client, dated, monkeypatch, sort
):
    """Pages of two: on PostgreSQL each is the first rows' ids sorted, then those rows
    (listing._sorted_first), sliced."""
    force_search_plan(monkeypatch, "probe")

    seen, urls = follow(client, "/api/v1/papers/", {"q": "graphene", "sort": sort, "page_size": 2})

    assert [Paper.objects.get(pk=pk).title for pk in seen] == expected(dated, sort)
    assert len(urls) == 4 and all("page=" in url for url in urls[:-1])


def test_a_cursor_follows_a_sorted_search_by_either_plan(client, dated, monkeypatch):
    monkeypatch.setattr(listing, "MAX_NUMBERED_ROWS", 2)
    for plan in SEARCH_PLANS:
        force_search_plan(monkeypatch, plan)
        seen, _ = follow(
            client, "/api/v1/papers/", {"q": "graphene", "sort": "oldest", "page_size": 2}
        )
        assert [Paper.objects.get(pk=pk).title for pk in seen] == expected(dated, "oldest")


def test_a_page_number_past_the_numbered_rows_is_a_404_that_says_why(client, dated, monkeypatch):
    monkeypatch.setattr(listing, "MAX_NUMBERED_ROWS", 4)

    response = client.get("/api/v1/papers/", {"page": 3, "page_size": 2})

    assert response.status_code == 404
    assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize("cursor", ["", "nonsense", "W10", "WyJhIiwgMV0", "WzEsMiwzXQ"])
def test_a_bad_cursor_is_a_400(client, dated, cursor):
    # "W10" is [], "WyJhIiwgMV0" ["a", 1], "WzEsMiwzXQ" [1, 2, 3]: not this order's values.
    response = client.get("/api/v1/papers/", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()


def test_the_schema_documents_the_estimate_and_the_cursor(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/papers/"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in page:
        page = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]

    assert "cursor" in parameters
    assert page["properties"]["count_is_estimate"]["type"] == "boolean"


# --- the home page ---


def test_the_home_page_reads_its_category_counts_from_the_cache(client, django_assert_num_queries):
    ecology = CategoryFactory(name="Ecology")
    PaperFactory().categories.add(ecology)
    client.get("/")  # counts and caches
    PaperFactory().categories.add(ecology)

    # newest papers+journals, first authors, categories: the counts come from the cache
    with django_assert_num_queries(3):
        stale = client.get("/").content.decode()
    listing.refresh_home_categories()  # what beat runs
    fresh = client.get("/").content.decode()

    assert 'Ecology <span class="muted">(1)</span>' in stale
    assert 'Ecology <span class="muted">(2)</span>' in fresh


# --- the plans (PostgreSQL): each order is read from its index ---


@pytest.mark.parametrize("sort", SORTS)
def test_each_order_walks_its_own_index_on_postgresql(dated, sort):
    if connection.vendor != "postgresql":
        # SQLite reads small catalogues whole; the indexes exist there too.
        names = {index.name for index in Paper._meta.indexes}
        assert {"papers_paper_newest_key", "papers_paper_most_cited_key"} <= names
        return
    queryset = Paper.objects.order_by(*ORDERINGS[sort])[:20]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A table this small would be sorted in memory; forbid that to see what serves.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan" in plan and "Sort" not in plan, plan


# Orders whose leading key is an expression (most rated is a plain column, its own key).
EXPRESSION_SORTS = [sort for sort in SORTS if not isinstance(ORDERINGS[sort][0].expression, F)]


@pytest.mark.parametrize("sort", EXPRESSION_SORTS)
def test_each_order_index_holds_every_column_its_key_reads(sort):
    """The key of the Nth row of an order (the walk's bound, listing._bounded_walk) is read
    from the index alone only if the index holds the columns its expression is made of;
    without them PostgreSQL reads a heap row per index entry (10,000 rows, up to 0.4 s at
    1,000,000 papers)."""
    leading = ORDERINGS[sort][0].expression
    index = next(
        index
        for index in Paper._meta.indexes
        if index.expressions and index.expressions[0].expression == leading
    )
    columns = {Paper._meta.get_field(ref.name).column for ref in _column_refs(leading)}
    if connection.vendor == "postgresql":  # what was built
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index.name])
            (definition,) = cursor.fetchone()
        held = definition.partition(" INCLUDE ")[2]
    else:  # SQLite has no INCLUDE: what PostgreSQL builds from the declaration
        held = " ".join(Paper._meta.get_field(name).column for name in index.include)

    assert columns and all(column in held for column in columns), (columns, held)


def _column_refs(expression):
    """The F() references inside ``expression``, at any depth."""
    if isinstance(expression, F):
        return [expression]
    return [ref for source in expression.get_source_expressions() for ref in _column_refs(source)]
