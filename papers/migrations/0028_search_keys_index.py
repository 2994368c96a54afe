"""The full-text GIN also holds each list order's position (PostgreSQL only, btree_gin).

A search sorted by anything but relevance needs "the first page of matches in this order".
With a GIN of the words alone, PostgreSQL must visit every match's row to learn where it
sorts (thousands of heap pages for a mid-frequency search at 1,000,000 papers). With each
order's position (papers.models.position: one bigint that sorts like the order) in the
same GIN, "the matches at or before the order's B-th row" is one range answered inside
the index, and only about a page of rows is visited (papers.listing.Bounded).

The index replaces migration 0002's ``papers_paper_search_vector``: a GIN answers any
subset of its columns, so ``search_vector @@ q`` alone is served as before. It is built
from papers.models.LIST_POSITIONS, the expressions the queries use, so the two cannot
differ; tests/papers/test_search_keys.py checks that the planner uses it. On a large
catalogue build it by hand first with ``CREATE INDEX CONCURRENTLY`` and the statement
``index_sql`` prints (~3 min at 1,000,000 papers); ``IF NOT EXISTS`` then skips it here.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations
from django.db.models.expressions import RawSQL

NAME = "papers_paper_search_keys"


def index_sql(model, schema_editor):
    """CREATE INDEX IF NOT EXISTS for ``model`` (papers.Paper, current or historical)."""
    from papers.models import LIST_POSITIONS

    index = GinIndex(RawSQL("search_vector", ()), *LIST_POSITIONS, name=NAME)
    statement = str(index.create_sql(model, schema_editor))
    return statement.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    schema_editor.execute(index_sql(apps.get_model("papers", "Paper"), schema_editor))
    schema_editor.execute("DROP INDEX IF EXISTS papers_paper_search_vector")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS papers_paper_search_vector ON papers_paper "
        "USING gin (search_vector)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0027_rebuild_chunks"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
