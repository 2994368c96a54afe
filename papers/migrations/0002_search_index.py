"""The full-text search index (see papers/search.py) and the list's sort indexes.

Only SQL: the model does not declare these, so that it stays portable. Each step acts on
its own database vendor only and has a reverse.

- PostgreSQL: a stored generated tsvector column papers_paper.search_vector (title A,
  search_document B, abstract C) with a GIN index; indexes matching the catalogue's sorts
  (newest, best rated, most rated), whose DESC NULLS LAST a plain index cannot serve.
  Note: a later ALTER of title, search_document or abstract must drop and re-add the
  generated column around it (PostgreSQL refuses to alter a column a generated one uses).
- SQLite: an FTS5 external-content table papers_paper_fts with triggers keeping it in step,
  filled once with 'rebuild'. Note: Django remakes a SQLite table for many ALTERs and the
  triggers go with the old table; a later migration that alters papers_paper on SQLite must
  run FORWARD_SQLITE_TRIGGERS again (tests/papers/test_search.py notices if it does not).
"""

from django.db import migrations

FORWARD_POSTGRESQL = [
    """
    ALTER TABLE papers_paper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', left(coalesce(search_document, ''), 100000)), 'B')
        || setweight(to_tsvector('english', left(coalesce(abstract, ''), 100000)), 'C')
    ) STORED
    """,
    "CREATE INDEX papers_paper_search_vector ON papers_paper USING gin (search_vector)",
    """
    CREATE INDEX papers_paper_newest ON papers_paper (
        published_year DESC NULLS LAST, published_month DESC NULLS LAST,
        published_day DESC NULLS LAST, id DESC
    )
    """,
    """
    CREATE INDEX papers_paper_best_rated ON papers_paper (
        rating_average DESC NULLS LAST, rating_count DESC, id DESC
    )
    """,
    "CREATE INDEX papers_paper_most_rated ON papers_paper (rating_count DESC, id DESC)",
]
REVERSE_POSTGRESQL = [
    "DROP INDEX IF EXISTS papers_paper_most_rated",
    "DROP INDEX IF EXISTS papers_paper_best_rated",
    "DROP INDEX IF EXISTS papers_paper_newest",
    "DROP INDEX IF EXISTS papers_paper_search_vector",
    "ALTER TABLE papers_paper DROP COLUMN IF EXISTS search_vector",
]

FORWARD_SQLITE_TABLE = [
    """
    CREATE VIRTUAL TABLE papers_paper_fts USING fts5(
        title, search_document, abstract,
        content='papers_paper', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
]
FORWARD_SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER IF NOT EXISTS papers_paper_fts_insert AFTER INSERT ON papers_paper BEGIN
        INSERT INTO papers_paper_fts (rowid, title, search_document, abstract)
        VALUES (new.id, new.title, new.search_document, new.abstract);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS papers_paper_fts_delete AFTER DELETE ON papers_paper BEGIN
        INSERT INTO papers_paper_fts (papers_paper_fts, rowid, title, search_document, abstract)
        VALUES ('delete', old.id, old.title, old.search_document, old.abstract);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS papers_paper_fts_update
    AFTER UPDATE OF title, search_document, abstract ON papers_paper BEGIN
        INSERT INTO papers_paper_fts (papers_paper_fts, rowid, title, search_document, abstract)
        VALUES ('delete', old.id, old.title, old.search_document, old.abstract);
        INSERT INTO papers_paper_fts (rowid, title, search_document, abstract)
        VALUES (new.id, new.title, new.search_document, new.abstract);
    END
    """,
    # Index whatever rows exist already.
    "INSERT INTO papers_paper_fts (papers_paper_fts) VALUES ('rebuild')",
]
REVERSE_SQLITE = [
    "DROP TRIGGER IF EXISTS papers_paper_fts_update",
    "DROP TRIGGER IF EXISTS papers_paper_fts_delete",
    "DROP TRIGGER IF EXISTS papers_paper_fts_insert",
    "DROP TABLE IF EXISTS papers_paper_fts",
]

STATEMENTS = {
    "postgresql": (FORWARD_POSTGRESQL, REVERSE_POSTGRESQL),
    "sqlite": (FORWARD_SQLITE_TABLE + FORWARD_SQLITE_TRIGGERS, REVERSE_SQLITE),
}


def forwards(apps, schema_editor):
    _execute(schema_editor, 0)


def backwards(apps, schema_editor):
    _execute(schema_editor, 1)


def _execute(schema_editor, direction):
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:
        return  # other databases search without an index (papers.search falls back)
    for statement in statements[direction]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
