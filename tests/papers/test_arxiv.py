"""papers.arxiv on real lines of the arXiv listing corpus (tests/fixtures/arxiv)."""

import gzip
import json

import pytest

from papers import arxiv
from papers.ingest import ImportReport
from papers.models import Paper
from papers.records import PartialDate
from tests.conftest import ROOT

LISTINGS = ROOT / "tests" / "fixtures" / "arxiv" / "listings_sample.jsonl.gz"


def listings():
    with gzip.open(LISTINGS, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def test_a_listing_becomes_a_preprint_with_its_datacite_doi_and_everything_in_order():
    record = listings()[0]  # 1812.06145, listed again on 2025-10-13
    work = arxiv.parse_listing(record)

    assert work.doi == "10.48550/arxiv.1812.06145"
    assert work.title.startswith("Improving the Performance of Unimodal Dynamic Hand-Gesture")
    assert (work.work_type, work.work_subtype) == ("posted-content", "preprint")
    assert work.published == PartialDate(year=2018, month=12)  # from the id, not the listing
    assert work.url == "https://arxiv.org/abs/1812.06145"
    assert [(a.given, a.family, a.position) for a in work.authors] == [
        ("Mahdi", "Abavisani", 0),
        ("Hamid Reza Vaezi", "Joze", 1),
        ("Vishal M.", "Patel", 2),
    ]
    assert not any(a.is_organization or a.orcid for a in work.authors)
    assert work.subjects[:2] == ("cs.CV", "cs.AI")  # the primary category first
    assert "\n" not in work.abstract
    assert work.abstract.startswith("We present an efficient approach for leveraging the knowledge")
    assert "multiple modalities in training" in work.abstract  # a line break became a space


def test_every_line_of_the_sample_parses():
    works = [arxiv.parse_listing(record) for record in listings()]

    assert len({w.doi for w in works}) == len(works) == 598
    assert all(w.title and w.abstract and w.authors and w.subjects for w in works)
    assert all(w.published and 2000 < w.published.year < 2030 for w in works)


def test_family_name_particles_written_in_lower_case_stay_with_the_family_name():
    record = listings()[0] | {"authors": ["Ludwig van Beethoven", "Anh Van Le", "Plato"]}
    authors = arxiv.parse_listing(record).authors

    assert [(a.given, a.family) for a in authors] == [
        ("Ludwig", "van Beethoven"),
        ("Anh Van", "Le"),
        (None, "Plato"),
    ]


def test_a_version_suffix_names_the_same_paper():
    record = listings()[1] | {"id": listings()[1]["id"] + "v3"}

    assert arxiv.parse_listing(record).doi == f"10.48550/arxiv.{listings()[1]['id']}"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": "not-an-id"}, "is not an arXiv id"),
        ({"id": None}, "is not an arXiv id"),
        ({"title": "  "}, "has no title"),
    ],
)
def test_a_listing_without_an_id_or_title_is_refused_with_the_reason(change, reason):
    with pytest.raises(arxiv.ArxivError, match=reason):
        arxiv.parse_listing(listings()[2] | change)


@pytest.mark.django_db
def test_listings_are_stored_through_the_ingest_path_and_a_second_import_changes_nothing():
    records = listings()[:5] + [{"id": "garbage"}]
    report = arxiv.import_listings(records, report=ImportReport(), batch_size=2)

    assert report.created == 5
    assert report.rejected == [
        ("arXiv garbage", "'garbage' is not an arXiv id: one looks like 2107.01234")
    ]
    paper = Paper.objects.get(doi="10.48550/arxiv.1812.06145")
    assert paper.work_type == "posted-content"
    assert [a.author.family_name for a in paper.authorships.order_by("position")] == [
        "Abavisani",
        "Joze",
        "Patel",
    ]
    assert list(paper.categories.order_by("name").values_list("name", flat=True))[:2] == [
        "68T45, 62H30",
        "I.5.3; I.2.10",
    ]
    assert "cs.CV" in set(paper.categories.values_list("name", flat=True))
    assert paper.provenance["title"]["source"] == "datacite"

    again = arxiv.import_listings(listings()[:5], report=ImportReport())
    assert (again.created, again.unchanged) == (0, 5)
