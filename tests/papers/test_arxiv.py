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


# --- arXiv's metadata snapshot (arxiv-metadata-oai-snapshot.json) ---

SNAPSHOT = ROOT / "tests" / "fixtures" / "arxiv" / "snapshot_sample.jsonl"


def snapshot_lines():
    return [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]


def test_a_snapshot_line_becomes_the_same_preprint_as_its_listing():
    snapshot = snapshot_lines()[0]  # 2506.01877, built from its listing line
    listing = next(r for r in listings() if r["id"] == snapshot["id"])

    from_snapshot, from_listing = arxiv.parse_snapshot(snapshot), arxiv.parse_listing(listing)

    assert from_snapshot.doi == from_listing.doi == "10.48550/arxiv.2506.01877"
    assert from_snapshot.subjects == from_listing.subjects == ("cs.IR", "cs.CL")
    assert [a.display_name for a in from_snapshot.authors] == listing["authors"]
    assert from_snapshot.title == from_listing.title
    assert from_snapshot.abstract == from_listing.abstract
    assert from_snapshot.published == PartialDate(year=2025, month=6)


def test_authors_parsed_keep_family_names_with_particles_and_suffixes():
    snapshot = snapshot_lines()[1]  # 2504.00040: "Lin de Huybrecht"
    snapshot["authors_parsed"][0][2] = "Jr."

    work = arxiv.parse_snapshot(snapshot)

    assert (work.authors[2].given, work.authors[2].family) == ("Lin", "de Huybrecht")
    assert work.authors[0].family == "Eisinger Jr."
    assert "I.2" not in work.subjects  # ACM classes are not arXiv categories


def test_without_authors_parsed_the_authors_string_is_read():
    snapshot = snapshot_lines()[3]  # 2504.05304, written without authors_parsed
    assert "authors_parsed" not in snapshot

    work = arxiv.parse_snapshot(snapshot)

    assert [a.display_name for a in work.authors] == snapshot["authors"].split(", ")
    assert work.authors[0].family == "Chen"


def test_a_paper_with_a_journal_doi_keeps_its_arxiv_identity():
    snapshot = snapshot_lines()[4]  # 0704.0001, published in Phys. Rev. D

    work = arxiv.parse_snapshot(snapshot)

    assert work.doi == "10.48550/arxiv.0704.0001"
    assert work.url == "https://arxiv.org/abs/0704.0001"
    assert work.journal is None and work.work_type == "posted-content"
    assert arxiv.published_doi(snapshot) == "10.1103/physrevd.76.013009"
    assert work.published == PartialDate(year=2007, month=4)
    assert [a.display_name for a in work.authors][:2] == ["C. Balázs", "E. L. Berger"]
    assert arxiv.published_doi(snapshot_lines()[0]) is None


def test_the_format_is_told_line_by_line():
    snapshot, listing = snapshot_lines()[0], listings()[0]

    assert arxiv.parse_record(snapshot) == arxiv.parse_snapshot(snapshot)
    assert arxiv.parse_record(listing) == arxiv.parse_listing(listing)


def test_the_first_version_gives_the_date_when_the_id_does_not():
    snapshot = snapshot_lines()[4] | {"id": "0713.0001"}  # no 13th month in an id

    assert arxiv.parse_snapshot(snapshot).published == PartialDate(year=2007, month=4)


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"id": "not-an-id"}, "is not an arXiv id"), ({"title": "  \n "}, "has no title")],
)
def test_a_snapshot_line_without_an_id_or_title_is_refused_with_the_reason(change, reason):
    with pytest.raises(arxiv.ArxivError, match=reason):
        arxiv.parse_snapshot(snapshot_lines()[0] | change)
