"""The full-text GIN also holds each list order's keys (migration 0028), so that a sorted
search's key bound (papers.listing.Bounded) is answered inside the index.

The index serves a condition only if its column is the very expression the ORM writes
(papers.models LIST_POSITIONS): a sorted search asks for a bounded page, and PostgreSQL's
planner answers a bound on each order's position from the GIN. SQLite has one plan (FTS5,
then sort).
"""

import pytest
from django.db import connection
from django.db.models import BigIntegerField, Value
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThanOrEqual
from django.test.utils import CaptureQueriesContext

from papers import listing
from papers.filters import ORDERINGS, POSITIONS
from papers.models import Paper
from papers.search import sorted_search
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

SORTS = ["newest", "oldest", "best_rated", "most_rated", "most_cited"]
# The B-tree indexes that could also answer a comparison of the order's columns.
OTHER_KEY_INDEXES = [
    "papers_paper_newest_key",
    "papers_paper_oldest_key",
    "papers_paper_best_rated_key",
    "papers_paper_most_cited_key",
    "papers_paper_newest",
    "papers_paper_best_rated",
    "papers_paper_most_rated",
    "papers_paper_journal_newest",
    "papers_paper_id_dates",  # ids with the date columns: the dates orders from it alone
]


@pytest.mark.parametrize("sort", SORTS)
def test_a_sorted_search_bounds_its_pages_inside_the_search_index(monkeypatch, sort):
    for year in (1999, 2010, 2021):
        PaperFactory(title=f"Graphene in {year}", published_year=year, citation_count=year)
    PaperFactory(title="Unrelated", published_year=2030)
    monkeypatch.setattr(listing, "KEYS_PROBE", 1)  # bounded by the keys past one match
    monkeypatch.setattr(listing, "KEY_BOUND_MARGIN", 0.01)  # a bound of the first rows
    monkeypatch.setattr(listing, "KEYS_DENSE", 1)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE papers_paper")  # the table's size, which B is bound by

    papers = sorted_search(Paper.objects.all(), "graphene", ORDERINGS[sort], POSITIONS[sort])

    if connection.vendor != "postgresql":
        assert not hasattr(papers, "rows_up_to")  # SQLite: the matches, sorted
        assert papers.count() == 3
        return
    with CaptureQueriesContext(connection) as queries:
        first = list(papers.rows_up_to(1)[:1])
    assert any("@@" in q["sql"] and "17179869184" in q["sql"] for q in queries)  # bounded
    assert len(first) == 1 and first[0].title.startswith("Graphene")


@pytest.mark.parametrize("sort", SORTS)
def test_the_search_index_answers_a_bound_on_each_orders_position(sort):
    """The GIN's columns are the very expressions the ORM writes: with the other indexes
    on the order's columns dropped (for this test's transaction) and sequential scans
    discouraged, the planner answers the bound from the GIN, not by reading each row."""
    if connection.vendor != "postgresql":
        return  # SQLite has no such index: FTS5, then a sort (the test above)
    PaperFactory.create_batch(3)
    zero = Cast(Value(0), BigIntegerField())  # as listing.Bounded sends it
    bound = Paper.objects.filter(GreaterThanOrEqual(POSITIONS[sort], zero)).values("pk")
    sql, params = bound.query.sql_with_params()
    with connection.cursor() as cursor:
        for name in OTHER_KEY_INDEXES:
            cursor.execute(f"DROP INDEX {name}")  # rolled back with the test
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on papers_paper_search_keys" in plan, plan
    conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any("17179869184" in line for line in conditions), plan
