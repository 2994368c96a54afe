"""papers.citation (BibTeX, RIS, citation keys) and the two download views, on real records."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from papers import citation
from papers.models import Paper
from tests.factories import AuthorFactory, AuthorshipFactory, KeywordFactory, PaperFactory
from tests.records import import_record as import_crossref_record

CROSSREF = Path(__file__).resolve().parent.parent / "fixtures" / "crossref"

pytestmark = pytest.mark.django_db


def import_record(name):
    return Paper.objects.for_page().get(pk=import_crossref_record(name).pk)


def loaded(paper):
    return Paper.objects.for_page().get(pk=paper.pk)


def bibtex_fields(entry):
    """{name: value} of a BibTeX entry as bibtex() writes it: one field per line."""
    fields = {}
    for line in entry.splitlines()[1:-1]:
        name, _, value = line.strip().partition(" = ")
        fields[name] = value.rstrip(",")
    return fields


def ris_tags(record):
    return [tuple(line.split("  - ", 1)) for line in record.split("\r\n") if line]


def braces_balance(text):
    depth = 0
    previous = ""
    for char in text:
        if previous != "\\":
            depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
        previous = char
    return depth == 0


# --- BibTeX ---


def test_a_journal_article_becomes_a_bibtex_article_with_its_real_metadata():
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    entry = citation.bibtex(paper)

    assert entry.startswith("@article{xu2021construction,\n")
    fields = bibtex_fields(entry)
    assert fields["author"].startswith("{Xu, Jun and Qu, Shoufang and Sun, Nan and ")
    assert fields["author"].endswith(" and Yang, Xuexi and Huang, Jie}")
    assert fields["author"].count(" and ") == 14
    assert fields["title"] == (
        "{Construction of a reference material panel for detecting {KRAS/NRAS/EGFR/BRAF/MET} "
        "mutations in plasma {ctDNA}}"
    )
    assert fields["journal"] == "{Journal of Clinical Pathology}"
    assert fields["year"] == "{2021}"
    assert fields["month"] == "may"
    assert fields["volume"] == "{74}"
    assert fields["number"] == "{5}"
    assert fields["pages"] == "{314--320}"
    assert fields["publisher"] == "{BMJ}"
    assert fields["doi"] == "{10.1136/jclinpath-2020-206745}"
    assert fields["url"] == "{https://doi.org/10.1136/jclinpath-2020-206745}"
    assert fields["issn"] == "{0021-9746, 1472-4146}"
    # "10% concentration" in the abstract: a bare % would comment out the rest of the line.
    assert r"cfDNA at 10\% concentration" in fields["abstract"]
    assert braces_balance(entry)


def test_an_article_number_stands_in_for_pages_and_missing_fields_are_left_out():
    paper = import_record("10.1038_srep16696.json")

    fields = bibtex_fields(citation.bibtex(paper))

    assert fields["pages"] == "{16696}"
    assert fields["journal"] == "{Scientific Reports}"
    assert fields["author"].startswith("{Tosatto, Laura and Horrocks, Mathew H. and ")
    # A particle stays part of the family name.
    assert "Dalla Serra, Mauro" in fields["author"]
    assert fields["month"] == "nov"


def test_an_organisation_author_is_braced_whole():
    paper = import_record("10.1186_s13742-015-0103-4.json")

    fields = bibtex_fields(citation.bibtex(paper))

    assert "{The Genome Denmark Consortium}" in fields["author"]


@pytest.mark.parametrize(
    ("record", "entry_type", "container_field", "container"),
    [
        (
            "10.1007_978-3-319-75889-3_1.json",
            "incollection",
            "booktitle",
            "SpringerBriefs in Medical Earth Sciences",
        ),
        (
            "10.1145_3448016.3452841.json",
            "inproceedings",
            "booktitle",
            "Proceedings of the 2021 International Conference on Management of Data",
        ),
    ],
)
def test_chapters_and_proceedings_papers_name_their_book(
    record, entry_type, container_field, container
):
    paper = import_record(record)

    entry = citation.bibtex(paper)

    assert entry.startswith(f"@{entry_type}{{")
    assert bibtex_fields(entry)[container_field] == "{" + container + "}"


def test_a_book_chapter_carries_its_isbns():
    paper = import_record("10.1007_978-3-319-75889-3_1.json")

    fields = bibtex_fields(citation.bibtex(paper))

    assert fields["isbn"] == "{9783319758886, 9783319758893}"
    assert fields["pages"] == "{1--13}"


@pytest.mark.parametrize(
    ("record", "entry_type"),
    [
        ("10.1017_9781108348843.json", "book"),
        ("10.1101_097196.json", "misc"),
        ("10.1186_isrctn11093872.json", "misc"),
        ("10.2172_972169.json", "techreport"),
    ],
)
def test_other_work_types_get_a_fitting_entry_type(record, entry_type):
    paper = import_record(record)

    entry = citation.bibtex(paper)

    assert entry.startswith(f"@{entry_type}{{")
    assert braces_balance(entry)


def test_a_report_names_its_institution_not_a_publisher():
    paper = import_record("10.2172_972169.json")

    fields = bibtex_fields(citation.bibtex(paper))

    assert "institution" in fields
    assert "publisher" not in fields


def test_a_preprint_says_how_it_was_published():
    paper = import_record("10.1101_097196.json")

    fields = bibtex_fields(citation.bibtex(paper))

    assert fields["howpublished"] == "{Preprint}"
    assert fields["author"].startswith("{Fenner, Martin and Crosas, Mercè and ")


def test_latex_special_characters_are_escaped_and_braces_stay_balanced():
    paper = PaperFactory(
        title="Cost & benefit of 50% {gains} in $x_1$ #tags ~ ^ back\\slash",
        abstract="Unbalanced } and { braces.",
    )
    AuthorshipFactory(
        paper=paper, position=0, author=AuthorFactory(given_name="A_b", family_name="O'Neil & Co")
    )

    entry = citation.bibtex(loaded(paper))

    fields = bibtex_fields(entry)
    assert fields["title"] == (
        r"{Cost \& benefit of 50\% \{gains\} in \$x\_1\$ \#tags \~{} \^{} "
        r"back\textbackslash{}slash}"
    )
    assert fields["author"] == r"{O'Neil \& Co, A\_b}"
    assert fields["abstract"] == r"{Unbalanced \} and \{ braces.}"
    assert braces_balance(entry)


def test_keywords_are_exported():
    paper = PaperFactory()
    paper.keywords.add(KeywordFactory(name="lupus"), KeywordFactory(name="stem cells"))

    fields = bibtex_fields(citation.bibtex(loaded(paper)))

    assert fields["keywords"] == "{lupus, stem cells}"


# --- citation keys ---


def test_the_citation_key_is_family_name_year_and_first_title_word():
    assert citation.citation_key(import_record("10.1038_srep16696.json")) == (
        "tosatto2015singlemolecule"
    )
    # "A Data Citation Roadmap": the article "A" is skipped.
    assert citation.citation_key(import_record("10.1101_097196.json")) == "fenner2016data"


def test_the_citation_key_is_ascii_and_stable():
    paper = PaperFactory(title="Über die Ölpest", published_year=1999)
    AuthorshipFactory(
        paper=paper, position=0, author=AuthorFactory(given_name="A", family_name="Ångström")
    )

    first = citation.citation_key(loaded(paper))

    assert first == "angstrom1999uber"
    assert citation.citation_key(loaded(paper)) == first


def test_a_paper_with_no_author_year_or_title_word_still_gets_a_key():
    paper = PaperFactory(title="¿?", published_year=None)

    assert citation.citation_key(loaded(paper)) == f"paper{paper.pk}"


# --- RIS ---


def test_a_journal_article_becomes_a_jour_ris_record_with_its_real_metadata():
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    record = citation.ris(paper)

    tags = ris_tags(record)
    assert tags[0] == ("TY", "JOUR")
    assert tags[-1] == ("ER", "")
    authors = [value for tag, value in tags if tag == "AU"]
    assert authors[0] == "Xu, Jun"
    assert authors[-1] == "Huang, Jie"
    assert len(authors) == 15
    values = dict(tags)
    assert values["TI"].startswith("Construction of a reference material panel")
    assert values["T2"] == "Journal of Clinical Pathology"
    assert values["PY"] == "2021"
    assert values["DA"] == "2021/05//"
    assert (values["VL"], values["IS"], values["SP"], values["EP"]) == ("74", "5", "314", "320")
    assert values["PB"] == "BMJ"
    assert values["DO"] == "10.1136/jclinpath-2020-206745"
    assert [value for tag, value in tags if tag == "SN"] == ["0021-9746", "1472-4146"]
    # Every line is a tag: the abstract's paragraphs do not leak onto lines of their own.
    assert all(line[:2].isalnum() and line[2:6] == "  - " for line in record.split("\r\n")[:-1])
    assert record.endswith("ER  - \r\n")


def test_a_full_date_is_written_in_ris_form():
    paper = import_record("10.1038_srep16696.json")

    values = dict(ris_tags(citation.ris(paper)))

    assert values["DA"] == "2015/11/19/"
    assert values["SP"] == "16696"
    assert "EP" not in values


@pytest.mark.parametrize(
    ("record", "ris_type"),
    [
        ("10.1007_978-3-319-75889-3_1.json", "CHAP"),
        ("10.1145_3448016.3452841.json", "CONF"),
        ("10.1017_9781108348843.json", "BOOK"),
        ("10.1186_isrctn11093872.json", "DATA"),
        ("10.2172_972169.json", "RPRT"),
        ("10.1101_097196.json", "UNPB"),
        ("10.53731_avg2ykg-gdxppcd.json", "BLOG"),
        ("10.2210_pdb4hhb_pdb.json", "GEN"),
    ],
)
def test_each_work_type_gets_its_ris_type(record, ris_type):
    paper = import_record(record)

    assert ris_tags(citation.ris(paper))[0] == ("TY", ris_type)


def test_a_value_with_newlines_stays_on_one_ris_line():
    paper = PaperFactory(title="Two\nlines", abstract="First.\n\nSecond.")

    values = dict(ris_tags(citation.ris(loaded(paper))))

    assert values["TI"] == "Two lines"
    assert values["AB"] == "First. Second."


# --- page ranges ---


@pytest.mark.parametrize(
    ("pages", "article_number", "expected"),
    [
        ("519-527", "", ("519", "527")),
        ("1\u201313", "", ("1", "13")),
        ("1--13", "", ("1", "13")),
        ("27-27", "", ("27", "")),
        ("e30", "", ("e30", "")),
        ("", "16696", ("16696", "")),
        ("", "", ("", "")),
    ],
)
def test_page_ranges_split_on_any_dash(pages, article_number, expected):
    paper = Paper(pages=pages, article_number=article_number)

    assert citation.page_range(paper) == expected


# --- the download views ---


def test_the_bibtex_download_is_named_for_its_key(client, django_assert_num_queries):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    # paper+journal, authorships+authors, keywords (Paper.objects.for_export)
    with django_assert_num_queries(3):
        response = client.get(reverse("papers:paper-bibtex", args=[paper.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="xu2021construction.bib"'
    assert response.content.decode() == citation.bibtex(paper)


def test_the_ris_download_is_named_for_its_key(client):
    paper = import_record("10.1038_srep16696.json")

    response = client.get(reverse("papers:paper-ris", args=[paper.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tosatto2015singlemolecule.ris"'
    )
    assert response.content.decode().startswith("TY  - JOUR\r\nAU  - Tosatto, Laura\r\n")


def test_the_csl_json_download_is_named_for_its_key(client):
    paper = import_record("10.1038_srep16696.json")

    response = client.get(reverse("papers:paper-csl-json", args=[paper.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="tosatto2015singlemolecule.json"'
    )
    [item] = json.loads(response.content)
    assert (item["id"], item["type"], item["DOI"]) == (
        "tosatto2015singlemolecule",
        "article-journal",
        "10.1038/srep16696",
    )


def test_an_unknown_paper_has_no_export(client):
    assert client.get(reverse("papers:paper-bibtex", args=[987654])).status_code == 404
    assert client.get(reverse("papers:paper-ris", args=[987654])).status_code == 404
    assert client.get(reverse("papers:paper-csl-json", args=[987654])).status_code == 404
