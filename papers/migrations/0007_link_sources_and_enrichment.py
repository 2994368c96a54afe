"""Keyword and category links record their source; the OpenAlex enrichment's fields.

The automatic many-to-many tables become PaperKeyword and PaperCategory, with a ``source``
column, so that each import replaces only its own links. Existing links are copied over:
categories take the source recorded in the paper's provenance (Crossref unless it says
DataCite or a curator), keywords likewise (OpenAlex unless it says a curator).
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

# Adding columns with a default makes Django rebuild papers_paper on SQLite, which drops
# the full-text triggers of 0002: create them again.
search_index = importlib.import_module("papers.migrations.0002_search_index")

SOURCES = [
    ("crossref", "Crossref"),
    ("datacite", "DataCite"),
    ("openalex", "OpenAlex"),
    ("curator", "Curator"),
]


def recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in search_index.FORWARD_SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def _source(provenance, name, default):
    entry = (provenance or {}).get(name)
    recorded = entry.get("source", "") if isinstance(entry, dict) else ""
    if recorded.startswith("curator"):
        return "curator"
    return recorded if recorded in {"crossref", "datacite", "openalex"} else default


def copy_links_forward(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    PaperKeyword = apps.get_model("papers", "PaperKeyword")
    PaperCategory = apps.get_model("papers", "PaperCategory")
    provenance = dict(Paper.objects.values_list("pk", "provenance"))
    for old, new, name, other, default in (
        (Paper.keywords.through, PaperKeyword, "keywords", "keyword_id", "openalex"),
        (Paper.categories.through, PaperCategory, "categories", "category_id", "crossref"),
    ):
        rows = old.objects.values_list("paper_id", other).order_by("pk").iterator()
        batch = []
        for paper_id, other_id in rows:
            source = _source(provenance.get(paper_id), name, default)
            batch.append(new(paper_id=paper_id, source=source, **{other: other_id}))
            if len(batch) >= 1000:
                new.objects.bulk_create(batch)
                batch = []
        new.objects.bulk_create(batch)


def copy_links_backward(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    PaperKeyword = apps.get_model("papers", "PaperKeyword")
    PaperCategory = apps.get_model("papers", "PaperCategory")
    for old, new, other in (
        (Paper.keywords.through, PaperKeyword, "keyword_id"),
        (Paper.categories.through, PaperCategory, "category_id"),
    ):
        old.objects.bulk_create(
            old(paper_id=paper_id, **{other: other_id})
            for paper_id, other_id in new.objects.values_list("paper_id", other).iterator()
        )


class Migration(migrations.Migration):

    dependencies = [
        ("papers", "0006_rating_score"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaperKeyword",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(choices=SOURCES, default="curator", max_length=20)),
                ("keyword", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="paper_links", to="papers.keyword")),
                ("paper", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="keyword_links", to="papers.paper")),
            ],
            options={
                "constraints": [models.UniqueConstraint(models.F("paper"), models.F("keyword"), name="papers_paperkeyword_unique")],
            },
        ),
        migrations.CreateModel(
            name="PaperCategory",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(choices=SOURCES, default="curator", max_length=20)),
                ("category", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="paper_links", to="papers.category")),
                ("paper", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="category_links", to="papers.paper")),
            ],
            options={
                "verbose_name_plural": "paper categories",
                "constraints": [models.UniqueConstraint(models.F("paper"), models.F("category"), name="papers_papercategory_unique")],
            },
        ),
        migrations.RunPython(copy_links_forward, copy_links_backward),
        migrations.RemoveField(model_name="paper", name="keywords"),
        migrations.RemoveField(model_name="paper", name="categories"),
        migrations.AddField(
            model_name="paper",
            name="keywords",
            field=models.ManyToManyField(blank=True, related_name="papers", through="papers.PaperKeyword", to="papers.keyword"),
        ),
        migrations.AddField(
            model_name="paper",
            name="categories",
            field=models.ManyToManyField(blank=True, related_name="papers", through="papers.PaperCategory", to="papers.category"),
        ),
        migrations.AddField(
            model_name="paper",
            name="open_access_url",
            field=models.URLField(blank=True, max_length=1000, verbose_name="open-access full text"),
        ),
        migrations.AddField(
            model_name="paper",
            name="enrichment_status",
            field=models.CharField(blank=True, choices=[("", "Not enriched yet"), ("enriched", "Enriched from OpenAlex"), ("skipped", "Skipped"), ("not_found", "Not found in OpenAlex"), ("failed", "Enrichment failed")], default="", max_length=20),
        ),
        migrations.AddField(
            model_name="paper",
            name="enriched_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="paper",
            name="enrichment_error",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
