"""Migration 0007: keyword and category links become rows with a source, none lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from papers import search
from papers.models import Paper, PaperCategory, PaperKeyword

BEFORE = [("papers", "0006_rating_score")]
AFTER = [("papers", "0007_link_sources_and_enrichment")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_links_are_copied_with_the_source_their_provenance_names():
    apps = migrate(BEFORE)
    try:
        OldPaper = apps.get_model("papers", "Paper")
        Category = apps.get_model("papers", "Category")
        Keyword = apps.get_model("papers", "Keyword")
        ecology = Category.objects.create(name="Ecology", slug="ecology")
        data = Category.objects.create(name="Datasets", slug="datasets")
        tagged = Keyword.objects.create(name="moss", slug="moss")
        crossref = OldPaper.objects.create(doi="10.1/a", title="Mosses of the north", provenance={})
        datacite = OldPaper.objects.create(
            doi="10.1/b",
            title="A moss dataset",
            provenance={
                "categories": {"source": "datacite", "at": "2026-01-01T00:00:00+00:00"},
                "keywords": {"source": "curator admin", "at": "2026-01-01T00:00:00+00:00"},
            },
        )
        crossref.categories.add(ecology)
        crossref.keywords.add(tagged)
        datacite.categories.add(ecology, data)
        datacite.keywords.add(tagged)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert set(PaperCategory.objects.values_list("paper__doi", "category__name", "source")) == {
        ("10.1/a", "Ecology", "crossref"),
        ("10.1/b", "Ecology", "datacite"),
        ("10.1/b", "Datasets", "datacite"),
    }
    assert set(PaperKeyword.objects.values_list("paper__doi", "keyword__name", "source")) == {
        ("10.1/a", "moss", "openalex"),
        ("10.1/b", "moss", "curator"),
    }
    # The full-text index still follows edits (SQLite: the triggers were made again).
    Paper.objects.filter(doi="10.1/a").update(title="Liverworts of the north")
    assert [p.doi for p in search.search_papers(Paper.objects.all(), "liverworts")] == ["10.1/a"]
