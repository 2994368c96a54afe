"""Migration 0017: funders without a registry DOI whose names are equal in any case are
merged into the oldest before the unique constraint is added; no paper loses a funding."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from papers.models import Funder, Funding

BEFORE = [("papers", "0016_list_keys_cover_their_columns")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_duplicate_funders_without_a_doi_are_merged_into_the_oldest_with_their_fundings():
    apps = migrate(BEFORE)
    try:
        OldFunder = apps.get_model("papers", "Funder")
        OldFunding = apps.get_model("papers", "Funding")
        OldPaper = apps.get_model("papers", "Paper")
        oldest = OldFunder.objects.create(name="National Science Foundation")
        twin = OldFunder.objects.create(name="NATIONAL SCIENCE FOUNDATION")
        registered = OldFunder.objects.create(
            name="National Science Foundation", funder_doi="10.13039/100000001"
        )
        other = OldFunder.objects.create(name="Wellcome Trust")
        one, both = (OldPaper.objects.create(doi=f"10.1/{n}", title=f"Paper {n}") for n in range(2))
        OldFunding.objects.create(paper=one, funder=twin, awards=["A-1"])
        OldFunding.objects.create(paper=both, funder=oldest, awards=["B-1"], position=0)
        OldFunding.objects.create(paper=both, funder=twin, awards=["B-2", "B-1"], position=1)
        OldFunding.objects.create(paper=both, funder=other, awards=[], position=2)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert set(Funder.objects.values_list("pk", flat=True)) == {
        oldest.pk,
        registered.pk,
        other.pk,
    }
    assert sorted(Funding.objects.values_list("paper__doi", "funder_id", "awards")) == [
        ("10.1/0", oldest.pk, ["A-1"]),
        ("10.1/1", oldest.pk, ["B-1", "B-2"]),
        ("10.1/1", other.pk, []),
    ]
    # From now on the database itself refuses a second DOI-less funder of the same name, and
    # still takes one with a registry DOI.
    with pytest.raises(IntegrityError), transaction.atomic():
        Funder.objects.create(name="national science foundation")
    Funder.objects.create(name="National Science Foundation", funder_doi="10.13039/x")
