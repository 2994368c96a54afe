"""A preprint that names its published version only by its journal-ref (papers.journal_refs).

The preprint is arXiv 0704.0001 as the metadata snapshot gives it
(tests/fixtures/arxiv/snapshot_0704.0001.json) with its ``doi`` removed, so that only its
journal-ref "Phys.Rev.D76:013009,2007" names the published version; that version is
10.1103/PhysRevD.76.013009 as a Crossref message (tests/fixtures/arxiv/README.md).
"""

import dataclasses
import json
from pathlib import Path

import pytest
from django.test import TestCase
from django.urls import reverse

from papers import arxiv, crossref, journal_refs
from papers.ingest import ImportReport, import_works, upsert_work
from papers.models import JournalRef, Paper, VersionLink
from tests.factories import PaperFactory, UserFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv"
PREPRINT = "10.48550/arxiv.0704.0001"
PUBLISHED = "10.1103/physrevd.76.013009"

pytestmark = pytest.mark.django_db


def preprint(**changes):
    record = json.loads((FIXTURES / "snapshot_0704.0001.json").read_text())
    record["doi"] = None
    record.update(changes)
    return arxiv.parse_snapshot(record)


def published(**changes):
    work = crossref.parse_work(
        json.loads((FIXTURES / "physrevd.76.013009.crossref.json").read_text())
    )
    return dataclasses.replace(work, **changes)


def single_import(*works):
    for work in works:
        with TestCase.captureOnCommitCallbacks(execute=True):
            upsert_work(work, source=arxiv.SOURCE if work.doi == PREPRINT else "crossref")


def bulk_import(*works):
    for work in works:  # each source its own batch, as each importer writes them
        source = arxiv.SOURCE if work.doi == PREPRINT else "crossref"
        with TestCase.captureOnCommitCallbacks(execute=True):
            report = import_works([(work.doi, work)], report=ImportReport(), source=source)
        assert not report.rejected, report.rejected


PATHS = pytest.mark.parametrize("store", [single_import, bulk_import], ids=["single", "bulk"])


def paper(doi):
    return Paper.objects.with_doi(doi).get()


def group_of(doi):
    return paper(doi).version_group_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Phys.Rev.D76:013009,2007", ("76", "13009", 2007)),
        ("Nucl. Phys. B467 (1996) 369-384", ("467", "369", 1996)),
        ("Astron.Astrophys.470:L1-L4,2007", ("470", "1", 2007)),
        ("IEEE Trans. Inf. Theory 53(12), 4655-4666 (2007)", ("53", "4655", 2007)),
        ("J. Mach. Learn. Res. 12 (2011) 2825-2830", ("12", "2825", 2011)),
        ("Proceedings of ICML 2007", None),  # no volume, no page
        ("Phys. Rev. D 76", None),  # no page, no year
        ("", None),
    ],
)
def test_a_journal_ref_gives_its_volume_first_page_and_year(text, expected):
    assert journal_refs.parse(text) == expected


def test_the_snapshot_keeps_the_journal_ref_only_when_no_doi_names_the_version():
    assert preprint().journal_ref == "Phys.Rev.D76:013009,2007"
    with_doi = preprint(doi="10.1103/PhysRevD.76.013009")
    assert with_doi.journal_ref is None and with_doi.versions


@PATHS
def test_a_preprint_joins_its_published_version_already_in_the_catalogue(store, client):
    store(published(), preprint())

    assert group_of(PREPRINT) == group_of(PUBLISHED) == paper(PUBLISHED).pk
    link = VersionLink.objects.get()
    assert (link.paper, link.relation, link.related, link.source) == (
        paper(PREPRINT),
        "is-preprint-of",
        paper(PUBLISHED),
        "datacite",  # the arXiv record's own source
    )
    page = client.get(paper(PREPRINT).get_absolute_url()).text
    assert "<strong>Published version:</strong>" in page
    assert paper(PREPRINT).provenance["versions"]["source"] == "datacite"


@PATHS
def test_a_published_version_arriving_later_finds_the_preprint_waiting(store):
    store(preprint())
    assert JournalRef.objects.get().linked is None
    assert group_of(PREPRINT) is None

    store(published())

    assert JournalRef.objects.get().linked == paper(PUBLISHED)
    assert group_of(PREPRINT) == group_of(PUBLISHED) == paper(PUBLISHED).pk
    # A second import of both changes nothing.
    store(preprint(), published())
    assert VersionLink.objects.count() == 1 and JournalRef.objects.count() == 1


@PATHS
def test_another_paper_of_that_volume_page_and_year_is_not_taken(store):
    store(published(title="Weak lensing of the cosmic microwave background"), preprint())

    assert group_of(PREPRINT) is None
    assert not VersionLink.objects.exists()
    assert JournalRef.objects.get().linked is None  # waits for its real published version


def test_two_papers_that_would_both_match_link_neither():
    twin = {"volume": "76", "article_number": "013009", "published_year": 2007}
    title = "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    PaperFactory(title=title, **twin)
    PaperFactory(title=title, **twin)

    single_import(preprint())

    assert not VersionLink.objects.exists()


def test_a_curator_unlink_of_a_journal_ref_link_stands(client):
    single_import(published(), preprint())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    link = VersionLink.objects.get()

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("admin:papers_versionlink_changelist"),
            {"action": "unlink_selected", "_selected_action": [link.pk]},
        )
    bulk_import(preprint(**{"journal-ref": "Phys. Rev. D 76, 013009 (2007)"}), published())

    assert group_of(PREPRINT) is None and group_of(PUBLISHED) is None
