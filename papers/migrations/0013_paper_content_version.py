"""Paper.content_version: the version of what the paper page shows, the key of its cached
fragments (portal.paper_fragments); every write that changes the page bumps it."""

import importlib

from django.db import migrations, models

# Adding a column makes Django rebuild papers_paper on SQLite, which drops the full-text
# triggers of 0002: create them again (they are IF NOT EXISTS).
search_index = importlib.import_module("papers.migrations.0002_search_index")


def recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in search_index.FORWARD_SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0012_author_link_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="content_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
