"""GET /api/v1/papers/{id}/cite/: a paper as CSL-JSON, BibTeX, RIS or a formatted reference,
chosen with ?format= (or the Accept header) and ?style=, on real recorded records."""

import json

import bibtexparser
import pytest
import rispy

from papers import citation
from tests.records import import_record

pytestmark = pytest.mark.django_db


def cite_url(paper):
    return f"/api/v1/papers/{paper.pk}/cite/"


@pytest.fixture
def paper():
    return import_record("10.1136_jclinpath-2020-206745.json")


def test_it_answers_csl_json_by_default_in_three_queries(client, paper, django_assert_num_queries):
    # paper+journal, authorships+authors, keywords
    with django_assert_num_queries(3):
        response = client.get(cite_url(paper))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="xu2021construction.json"'
    [item] = json.loads(response.content)
    assert item["id"] == "xu2021construction"
    assert item["type"] == "article-journal"
    assert item["DOI"] == "10.1136/jclinpath-2020-206745"
    assert item["author"][0] == {"family": "Xu", "given": "Jun"}


def test_format_bibtex_gives_an_entry_bibtexparser_reads(client, paper):
    response = client.get(cite_url(paper), {"format": "bibtex"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
    library = bibtexparser.parse_string(response.content.decode())
    assert library.failed_blocks == []
    [entry] = library.entries
    assert (entry.entry_type, entry.key) == ("article", "xu2021construction")
    assert entry.fields_dict["journal"].value == "Journal of Clinical Pathology"


def test_format_ris_gives_a_record_rispy_reads(client, paper):
    response = client.get(cite_url(paper), {"format": "ris"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    [record] = rispy.loads(response.content.decode(), list_tags=citation.RIS_LIST_TAGS)
    assert record["type_of_reference"] == "JOUR"
    assert record["authors"][0] == "Xu, Jun"
    assert record["issn"] == ["0021-9746", "1472-4146"]


@pytest.mark.parametrize(
    ("style", "start"),
    [
        (None, "Xu, J., Qu, S., Sun, N."),  # APA by default
        ("ieee", "J. Xu et al., “Construction of a reference material panel"),
        ("chicago-author-date", "Xu, Jun, Shoufang Qu, Nan Sun, et al. 2021."),
        ("vancouver-nlm", "Xu J, Qu S, Sun N, Zhang W, Zhang J, Song Q, et al."),
    ],
)
def test_format_text_gives_the_reference_in_a_style(client, paper, style, start):
    query = {"format": "text"} | ({"style": style} if style else {})

    response = client.get(cite_url(paper), query)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(start)


def test_the_accept_header_chooses_the_format_too(client, paper):
    response = client.get(cite_url(paper), HTTP_ACCEPT="application/x-research-info-systems")

    assert response.status_code == 200
    assert response.content.startswith(b"TY  - JOUR\r\n")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"format": "docx"}, "format"),
        ({"format": "json"}, "format"),
        ({"format": "text", "style": "comic-sans"}, "style"),
        ({"style": ""}, "style"),
    ],
)
def test_an_unknown_format_or_style_is_a_400_in_json_that_lists_the_choices(
    client, paper, query, field
):
    response = client.get(cite_url(paper), query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    [message] = response.json()[field]
    assert message.startswith(f"Unknown {field}; one of: ")
    assert ("bibtex" in message) if field == "format" else ("chicago-author-date" in message)


def test_an_unknown_paper_is_a_404_in_json_whatever_the_format(client):
    response = client.get("/api/v1/papers/987654/cite/", {"format": "bibtex"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_paper_without_authors_year_or_journal_still_cites(client):
    paper = import_record("10.1007_10452.1573-5125.json")  # a journal record: no authors

    for fmt in ("csl-json", "bibtex", "ris", "text"):
        response = client.get(cite_url(paper), {"format": fmt})
        assert response.status_code == 200, fmt
        assert response.content.strip(), fmt
