"""A GIN index on the title's own tsvector (PostgreSQL only), for papers.search.

A relevance search takes its bounded candidates from title matches first: a title's
posting lists are a fraction of title+abstract's, so finding them is several times cheaper
on a large catalogue, and title matches are what ranks first anyway. The expression must
stay exactly the one in papers/search.py (_PG_TITLE_MATCH) for the index to serve it.
"""

from django.db import migrations

FORWARD = (
    "CREATE INDEX IF NOT EXISTS papers_paper_title_vector ON papers_paper "
    "USING gin (to_tsvector('english', title))"
)
REVERSE = "DROP INDEX IF EXISTS papers_paper_title_vector"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0004_undated_papers_last"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
