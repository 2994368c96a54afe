"""Migration 0014: journals that share an ISSN (or, without ISSNs, a title) are merged into
the oldest before the unique constraints are added; no paper loses its journal."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from papers.models import Journal, Paper

BEFORE = [("papers", "0013_paper_content_version")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_duplicate_journals_are_merged_into_the_oldest_and_their_papers_follow():
    apps = migrate(BEFORE)
    try:
        OldJournal = apps.get_model("papers", "Journal")
        OldPaper = apps.get_model("papers", "Paper")
        oldest = OldJournal.objects.create(title="PLOS ONE", issn_print="1932-6203")
        twin = OldJournal.objects.create(
            title="PLoS ONE", issn_print="1932-6203", issn_electronic="1932-6203", publisher="PLOS"
        )
        untitled = OldJournal.objects.create(title="Field Notes")
        same_title = OldJournal.objects.create(title="FIELD NOTES", publisher="Society")
        other = OldJournal.objects.create(title="Heredity", issn_print="0018-067X")
        for n, journal in enumerate((oldest, twin, untitled, same_title, other)):
            OldPaper.objects.create(doi=f"10.1/{n}", title=f"Paper {n}", journal=journal)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert set(Journal.objects.values_list("pk", flat=True)) == {oldest.pk, untitled.pk, other.pk}
    merged = Journal.objects.get(pk=oldest.pk)
    assert (merged.issn_electronic, merged.publisher) == ("1932-6203", "PLOS")  # gaps filled
    assert Journal.objects.get(pk=untitled.pk).publisher == "Society"
    assert dict(Paper.objects.values_list("doi", "journal_id")) == {
        "10.1/0": oldest.pk,
        "10.1/1": oldest.pk,
        "10.1/2": untitled.pk,
        "10.1/3": untitled.pk,
        "10.1/4": other.pk,
    }
    # From now on the database itself refuses a second journal with the same ISSN.
    with pytest.raises(IntegrityError), transaction.atomic():
        Journal.objects.create(title="PLOS One again", issn_print="1932-6203")
