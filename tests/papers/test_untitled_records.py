"""No real record is refused for lack of an English title (issue 15, part 8).

Real records, copied verbatim into tests/fixtures/crossref-lists/work_list_items_untitled.jsonl
(lines of the shared data's crossref_work_list_items.jsonl.gz: items of real Crossref
work-list responses): two Japanese articles whose ``title`` is [""] and whose title is in
``original-title``; a PLOS table and an Optica media file (``component``s, no title, no
``relation``: the parent work is named only by the DOI they extend); a Springer article with
no title at all. The journal issue 10.6002/ect.2015.0371 (``"title": []``) is a recorded
/works response. The shared data holds no DataCite record without a title: the tests take
the closest real ones and remove their titles (``edited_without_titles``), and no Crossref
component with an ``is-part-of`` relation: one real component gets that relation added.
"""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from papers import crossref, datacite
from papers.ingest import import_records, upsert_work
from papers.models import Paper

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def untitled_item(doi):
    path = FIXTURES / "crossref-lists" / "work_list_items_untitled.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)["item"]
        if item["DOI"] == doi:
            return item
    raise LookupError(doi)


def recorded(name):
    return json.loads((FIXTURES / "crossref" / name).read_text(encoding="utf-8"))


def edited_without_titles(name):
    """A real DataCite response with its titles removed (the only edit)."""
    record = json.loads((FIXTURES / "datacite" / name).read_text(encoding="utf-8"))
    record["data"]["attributes"]["titles"] = []
    return record


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doi", "title"),
    [
        ("10.3775/jie.6.509a", "五、乾餾及瓦斯化"),
        (
            "10.3412/jsb1917.18.1_111",
            "頸部交感神經節ヲ切除シタル家兎ノ耳殻ニ施セル創傷治癒機轉ノ形態學的研究 (其ノ二)",
        ),
    ],
)
def test_an_empty_title_gives_way_to_the_original_title(doi, title):
    work = crossref.parse_work(untitled_item(doi))

    assert work.title == title
    assert work.journal is not None and work.published is not None  # the rest as usual


@pytest.mark.parametrize(
    ("doi", "title"),
    [
        (
            "10.1371/journal.pone.0008767.t004",
            "Untitled component of doi:10.1371/journal.pone.0008767",
        ),
        ("10.1364/oe.20.010242.m002", "Untitled component of doi:10.1364/oe.20.010242"),
        ("10.1023/a:1001832310939", "Untitled journal article in Computers and the Humanities"),
    ],
)
def test_a_record_without_any_title_is_named_by_its_type_and_what_it_is_part_of(doi, title):
    work = crossref.parse_work(untitled_item(doi))

    assert (work.doi, work.title) == (doi, title)


def test_the_recorded_journal_issue_without_a_title_is_named_by_its_journal():
    work = crossref.parse_work(recorded("10.6002_ect.2015.0371.json"))

    assert work.title == "Untitled journal issue in Experimental and Clinical Transplantation"


def test_a_component_names_the_work_its_is_part_of_relation_names():
    # Edited: a real component with the relation Crossref defines for it added.
    item = untitled_item("10.1364/oe.20.010242.m002")
    item["relation"] = {
        "is-part-of": [{"id-type": "doi", "id": "10.1364/OE.20.010242", "asserted-by": "subject"}]
    }

    assert crossref.parse_work(item).title == "Untitled component of doi:10.1364/oe.20.010242"


def test_a_journal_article_without_a_title_or_journal_is_named_by_its_doi():
    item = untitled_item("10.1023/a:1001832310939")
    del item["container-title"]

    title = crossref.parse_work(item).title
    assert title == "Untitled journal article (doi:10.1023/a:1001832310939)"


def test_a_datacite_record_without_titles_is_named_by_the_work_it_is_part_of():
    work = datacite.parse_work(edited_without_titles("10.4230_lipics.tqc.2013.93.json"))

    assert work.title == "Untitled proceedings article of doi:10.4230/lipics.tqc.2013"
    assert work.work_type == "proceedings-article"


def test_a_datacite_dataset_without_titles_is_named_by_its_doi():
    work = datacite.parse_work(edited_without_titles("10.5061_dryad.8515.json"))

    assert work.title == "Untitled dataset (doi:10.5061/dryad.8515)"


# --- stored, and shown everywhere ---------------------------------------------------------


@pytest.fixture
def stored(db):
    """The real untitled records, imported as a researcher's DOIs or an import would be."""
    report = import_records(
        [
            ("japanese", untitled_item("10.3775/jie.6.509a")),
            ("table", untitled_item("10.1371/journal.pone.0008767.t004")),
            ("issue", recorded("10.6002_ect.2015.0371.json")),
        ]
    )
    assert report.rejected == [] and report.created == 3
    upsert_work(
        datacite.parse_work(edited_without_titles("10.5061_dryad.8515.json")), source="datacite"
    )
    return {paper.doi: paper for paper in Paper.objects.all()}


EXPECTED = {
    "10.3775/jie.6.509a": "五、乾餾及瓦斯化",
    "10.1371/journal.pone.0008767.t004": "Untitled component of doi:10.1371/journal.pone.0008767",
    "10.6002/ect.2015.0371": "Untitled journal issue in Experimental and Clinical Transplantation",
    "10.5061/dryad.8515": "Untitled dataset (doi:10.5061/dryad.8515)",
}


def test_each_is_stored_with_its_title(stored):
    assert {doi: paper.title for doi, paper in stored.items()} == EXPECTED


def test_each_has_a_page_with_its_title(client, stored):
    for doi, paper in stored.items():
        response = client.get(paper.get_absolute_url())

        assert response.status_code == 200, doi
        assert EXPECTED[doi] in response.content.decode(), doi


def test_the_cards_of_the_catalogue_list_show_them(client, stored):
    response = client.get(reverse("papers:list"))

    assert response.status_code == 200
    for title in EXPECTED.values():
        assert title in response.content.decode()


def test_the_api_gives_their_titles(client, stored):
    listed = client.get("/api/v1/papers/").json()
    assert {row["doi"]: row["title"] for row in listed["results"]} == EXPECTED
    for doi, paper in stored.items():
        detail = client.get(f"/api/v1/papers/{paper.pk}/")
        assert detail.status_code == 200 and detail.json()["title"] == EXPECTED[doi]


def test_the_citation_exports_carry_them(client, stored):
    for doi, paper in stored.items():
        bib = client.get(reverse("papers:paper-bibtex", args=[paper.pk]))
        ris = client.get(reverse("papers:paper-ris", args=[paper.pk]))

        assert bib.status_code == ris.status_code == 200, doi
        bib_text, ris_text = bib.content.decode(), ris.content.decode()
        assert bib_text.startswith("@") and "title = {" in bib_text, bib_text
        assert f"TI  - {EXPECTED[doi]}\r\n" in ris_text, ris_text
        assert f"doi = {{{doi}}}" in bib_text.replace("\\_", "_"), bib_text
    japanese = client.get(reverse("papers:paper-bibtex", args=[stored["10.3775/jie.6.509a"].pk]))
    assert "五、乾餾及瓦斯化" in japanese.content.decode()
