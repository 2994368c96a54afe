"""papers.citation's list exports (BibTeX, RIS, CSL-JSON, formatted references) and
papers.citation_styles, checked by reading every output back with the libraries reference
managers use (bibtexparser, rispy, json), on every recorded Crossref record and on the
awkward cases: LaTeX and HTML specials, non-ASCII names, no year, no authors, no title."""

import json
from pathlib import Path

import bibtexparser
import pytest
import rispy

from papers import citation, citation_styles
from papers.models import Paper
from tests.factories import AuthorFactory, AuthorshipFactory, JournalFactory, PaperFactory
from tests.records import import_record

pytestmark = pytest.mark.django_db

RECORDS = sorted(
    path.name
    for path in (Path(__file__).resolve().parent.parent / "fixtures" / "crossref").glob("*.json")
    if not path.name.startswith("_")
)


def exported(*papers):
    """The papers as ``for_export()`` loads them, in the order given."""
    by_pk = Paper.objects.for_export().in_bulk([paper.pk for paper in papers])
    return [by_pk[paper.pk] for paper in papers]


def parse_bibtex(text):
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library


def parse_ris(text):
    return rispy.loads(text, list_tags=citation.RIS_LIST_TAGS)


def awkward_paper():
    """LaTeX specials, HTML specials and non-ASCII in every kind of field."""
    paper = PaperFactory(
        title="Cost & benefit of 50% {gains} in $x_1$ <b>bold</b> #tags ~ ^ back\\slash",
        abstract="Unbalanced } and { braces; <script>alert(1)</script>.",
        journal=JournalFactory(title="Journal of R&D <Studies>"),
        published_year=2020,
        published_month=2,
        volume="12",
        pages="1\u201310",
    )
    AuthorshipFactory(
        paper=paper,
        position=0,
        author=AuthorFactory(given_name="Mercè", family_name="Crosas & O'Neil"),
    )
    AuthorshipFactory(
        paper=paper,
        position=1,
        author=AuthorFactory(given_name="Søren", family_name="Ångström-Łukasz"),
    )
    return paper


# --- every recorded record, read back ---


def test_every_recorded_record_reads_back_in_every_format():
    papers = exported(*[import_record(name) for name in RECORDS])

    library = parse_bibtex(citation.bibtex_library(papers))
    records = parse_ris(citation.ris_records(papers))
    items = json.loads(citation.csl_json(papers))

    assert len(library.entries) == len(records) == len(items) == len(papers)
    keys = citation.citation_keys(papers)
    assert [entry.key for entry in library.entries] == keys
    assert [item["id"] for item in items] == keys
    for paper, entry, record, item in zip(papers, library.entries, records, items, strict=True):
        authors = [authorship.author for authorship in paper.authorships.all()]
        assert item["title"] == paper.title
        assert record["title"] == paper.title
        assert len(item.get("author", [])) == len(authors)
        assert len(record.get("authors", [])) == len(authors)
        assert entry.fields_dict["title"].value  # braced words and escapes, but there
        if paper.doi:
            assert entry.fields_dict["doi"].value == paper.doi
            assert record["doi"] == item["DOI"] == paper.doi
        if paper.published_year:
            assert entry.fields_dict["year"].value == str(paper.published_year)
            assert item["issued"]["date-parts"][0][0] == paper.published_year


def test_every_recorded_record_formats_in_every_style():
    papers = exported(*[import_record(name) for name in RECORDS])
    keys = sorted(citation.citation_keys(papers))

    for style in citation_styles.STYLES:
        references = citation.formatted_references(papers, style)

        assert sorted(reference.key for reference in references) == keys, style
        for reference in references:
            assert reference.text.strip(), (style, reference.key)


def test_non_ascii_names_survive_every_format():
    # Fenner, Crosas (Mercè), ... : a real record with non-ASCII names.
    [paper] = exported(import_record("10.1101_097196.json"))

    entry = parse_bibtex(citation.bibtex(paper)).entries[0]
    assert "Crosas, Mercè" in entry.fields_dict["author"].value
    assert "Crosas, Mercè" in parse_ris(citation.ris(paper))[0]["authors"]
    assert {"family": "Crosas", "given": "Mercè"} in citation.csl_item(paper)["author"]
    [apa] = citation.formatted_references([paper], "apa")
    assert "Crosas, M." in apa.text


# --- awkward values ---


def test_latex_and_html_specials_read_back_unchanged_where_the_format_keeps_them():
    [paper] = exported(awkward_paper())

    entry = parse_bibtex(citation.bibtex(paper)).entries[0]
    # BibTeX keeps them escaped, braces balanced: the parser reads every field.
    assert entry.fields_dict["title"].value == (
        r"Cost \& benefit of 50\% \{gains\} in \$x\_1\$ <b>bold</b> \#tags \~{} \^{} "
        r"back\textbackslash{}slash"
    )
    assert entry.fields_dict["journal"].value == r"Journal of R\&D <Studies>"
    assert entry.fields_dict["month"].value == "feb"
    [record] = parse_ris(citation.ris(paper))
    assert record["title"] == paper.title
    assert record["secondary_title"] == "Journal of R&D <Studies>"
    assert record["authors"] == ["Crosas & O'Neil, Mercè", "Ångström-Łukasz, Søren"]
    [item] = json.loads(citation.csl_json([paper]))
    assert item["title"] == paper.title
    assert item["author"][1] == {"family": "Ångström-Łukasz", "given": "Søren"}
    assert item["page"] == "1-10"
    assert item["issued"] == {"date-parts": [[2020, 2]]}


@pytest.mark.parametrize("style", citation_styles.STYLES)
def test_formatted_references_escape_html_and_keep_the_text(style):
    [paper] = exported(awkward_paper())

    [reference] = citation.formatted_references([paper], style)

    assert "<b>bold</b>" not in reference.html
    assert "&lt;b&gt;bold&lt;/b&gt;" in reference.html
    assert "R&amp;D" in reference.html
    # The text is the HTML without its markup: what a reader copies.
    assert "<b>bold</b>" in reference.text
    assert "R&D" in reference.text
    assert "Ångström-Łukasz" in reference.text


@pytest.mark.parametrize(
    "fields",
    [
        {"published_year": None, "published_month": None, "published_day": None},
        {"title": ""},
        {"journal": None, "volume": "", "issue": "", "pages": "", "publisher": ""},
        {"doi": None, "url": ""},
    ],
    ids=["no-year", "untitled", "no-journal", "no-doi"],
)
def test_a_paper_missing_fields_and_authors_still_gives_valid_output(fields):
    paper = PaperFactory(**fields)  # no authorships: no authors either
    [paper] = exported(paper)

    [entry] = parse_bibtex(citation.bibtex(paper)).entries
    [record] = parse_ris(citation.ris(paper))
    [item] = json.loads(citation.csl_json([paper]))

    assert entry.key == citation.citation_key(paper)
    assert "author" not in entry.fields_dict
    assert record["type_of_reference"] == "JOUR"
    assert "authors" not in record
    assert item["type"] == "article-journal"
    assert "author" not in item
    if paper.published_year is None:
        assert "year" not in entry.fields_dict and "issued" not in item
    for style in citation_styles.STYLES:
        [reference] = citation.formatted_references([paper], style)
        assert reference.key == item["id"]


# --- lists ---


def test_papers_with_the_same_key_get_a_letter_each():
    first = PaperFactory(title="Graphs", published_year=2020)
    second = PaperFactory(title="Graphs", published_year=2020)
    third = PaperFactory(title="Graphs", published_year=2020)
    papers = exported(first, second, third)

    library = parse_bibtex(citation.bibtex_library(papers))

    assert [entry.key for entry in library.entries] == [
        "2020graphs",
        "2020graphsa",
        "2020graphsb",
    ]


@pytest.mark.parametrize("count", [1, 6])
def test_an_export_costs_three_queries_whatever_the_number_of_papers(
    count, django_assert_num_queries
):
    papers = [import_record(name) for name in RECORDS[:count]]

    # papers+journals, authorships+authors, keywords
    with django_assert_num_queries(3):
        loaded = list(Paper.objects.for_export().filter(pk__in=[p.pk for p in papers]))
    with django_assert_num_queries(0):
        for fmt in citation.EXPORT_FORMATS:
            citation.export_papers(loaded, fmt)


def test_an_export_is_named_for_its_paper_or_for_the_list():
    [paper] = exported(import_record("10.1136_jclinpath-2020-206745.json"))
    other = exported(import_record("10.1038_srep16696.json"))[0]

    single = citation.export_papers([paper], "bibtex")
    several = citation.export_papers([paper, other], "ris")
    named = citation.export_papers([paper, other], "csl-json", name="reading-list")
    text = citation.export_papers([paper, other], "text", style="ieee")

    assert single.filename == "xu2021construction.bib"
    assert single.content_type == "text/x-bibtex; charset=utf-8"
    assert single.content == citation.bibtex(paper).encode()
    assert several.filename == "references.ris"
    assert several.content_type == "application/x-research-info-systems; charset=utf-8"
    assert several.content.count(b"ER  - \r\n") == 2
    assert named.filename == "reading-list.json"
    assert len(json.loads(named.content)) == 2
    assert text.filename == "references.txt"
    lines = text.content.decode().split("\n\n")
    assert lines[0].startswith("[1] J. Xu et al., “Construction of a reference material panel")
    assert lines[1].startswith("[2] L. Tosatto et al., “Single-molecule")


# --- the styles ---


def test_styles_that_spell_out_given_names_do(django_assert_num_queries):
    [paper] = exported(import_record("10.1136_jclinpath-2020-206745.json"))

    chicago = citation.formatted_references([paper], "chicago-author-date")[0].text
    mla = citation.formatted_references([paper], "modern-language-association")[0].text
    apa = citation.formatted_references([paper], "apa")[0].text

    assert chicago.startswith("Xu, Jun, Shoufang Qu, Nan Sun")
    assert mla.startswith("Xu, Jun, et al.")
    assert apa.startswith("Xu, J., Qu, S., Sun, N.")
    assert "<i>Journal of Clinical Pathology</i>" in (
        citation.formatted_references([paper], "apa")[0].html
    )


def test_numbered_styles_number_a_list_and_leave_one_reference_unnumbered():
    [paper] = exported(import_record("10.1038_srep16696.json"))
    [item] = citation.csl_items([paper])

    [numbered] = citation_styles.format_references([item], "vancouver-nlm")
    [single] = citation_styles.format_references([item], "vancouver-nlm", numbered=False)

    assert numbered.text.startswith("1. Tosatto L, Horrocks MH")
    assert single.text.startswith("Tosatto L, Horrocks MH")


def test_an_unknown_style_or_format_is_refused():
    with pytest.raises(KeyError):
        citation_styles.format_references([], "comic-sans")
    with pytest.raises(KeyError):
        citation.export_papers([], "docx")


def test_page_ranges_dates_and_et_al_read_as_the_styles_intend():
    chapter, article = exported(
        import_record("10.1007_978-3-319-75889-3_1.json"),  # pages 1-13
        import_record("10.1136_jclinpath-2020-206745.json"),  # May 2021, 15 authors
    )

    def text(paper, style):
        return citation.formatted_references([paper], style, numbered=False)[0].text

    # Not "1–3": the last page has more digits than the first.
    assert "pp. 1–13" in text(chapter, "modern-language-association")
    assert "p. 1–13." in text(chapter, "vancouver-nlm")
    # NLM's own date format: "2021 May", not "2021May".
    assert "Journal of Clinical Pathology. 2021 May;74(5):314–20." in text(article, "vancouver-nlm")
    # One period after "et al.", not two.
    assert text(article, "nature").startswith("Xu, J. et al. Construction of")
