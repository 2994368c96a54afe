"""papers.datacite against the real recorded DataCite responses in tests/fixtures/datacite/.

Every file is a verbatim ``GET https://api.datacite.org/dois/{doi}`` body (see the data
README). Bad inputs are real records with one part removed or changed, or obvious garbage.
"""

import copy
import json
from pathlib import Path

import pytest

from papers import datacite
from papers.crossref import CrossrefError
from papers.ingest import CREATED, UNCHANGED, upsert_work
from papers.models import Paper
from papers.records import Contributor, FunderAward, Journal, PartialDate, RecordError

DATACITE = Path(__file__).resolve().parent.parent / "fixtures" / "datacite"
RECORDS = sorted(p.name for p in DATACITE.glob("*.json"))


def load(name):
    return json.loads((DATACITE / name).read_text(encoding="utf-8"))


def work(name):
    return datacite.parse_work(load(name))


def test_all_eight_recorded_responses_are_here():
    assert len(RECORDS) == 8


@pytest.mark.parametrize("name", RECORDS)
def test_every_recorded_response_parses_to_a_work_with_its_own_doi(name):
    result = work(name)

    assert result.doi == load(name)["data"]["attributes"]["doi"].lower()
    assert result.title
    assert result.authors
    assert result.published is not None
    assert result.updates == ()


# --- the dataset -----------------------------------------------------------------------------


def test_it_parses_the_dryad_dataset():
    result = work("10.5061_dryad.8515.json")

    assert result.doi == "10.5061/dryad.8515"
    assert result.title == "Data from: A new malaria agent in African hominids."
    assert result.subtitle == ""
    assert (result.work_type, result.work_subtype) == ("dataset", None)
    assert result.publisher == "Dryad"
    # Issued is just "2011"; the "Available" timestamp is not the publication date.
    assert result.published == PartialDate(2011)
    assert result.license_url == "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
    assert result.url == "https://datadryad.org/stash/dataset/doi:10.5061/dryad.8515"
    assert (result.reference_count, result.citation_count) == (1, 1)
    assert result.language == "en"
    assert result.subjects == ("Plasmodium", "malaria", "mitochondrial genome", "Parasites")
    assert result.abstract.startswith("Plasmodium falciparum is the major human malaria agent")
    # The second description is "Other" (file notes), not part of the abstract.
    assert "Ollomo_PLoSPathog_2009" not in result.abstract
    assert (result.journal, result.volume, result.issue, result.pages) == (None, None, None, None)
    assert result.funders == () and result.isbns == ()


def test_it_keeps_the_creators_in_order_with_their_affiliations():
    authors = work("10.5061_dryad.8515.json").authors

    assert [a.display_name for a in authors] == [
        "Benjamin Ollomo",
        "Patrick Durand",
        "Franck Prugnolle",
        "Emmanuel J. P. Douzery",
        "Céline Arnathau",
        "Dieudonné Nkoghe",
        "Eric Leroy",
        "François Renaud",
    ]
    assert [a.position for a in authors] == list(range(8))
    assert authors[0] == Contributor(
        given="Benjamin",
        family="Ollomo",
        name=None,
        is_organization=False,
        orcid=None,
        orcid_authenticated=False,
        affiliations=("Centre International de Recherches Médicales de Franceville",),
        sequence=None,
        position=0,
    )
    assert authors[3].affiliations == ()


# --- the arXiv preprint ----------------------------------------------------------------------


def test_an_arxiv_preprint_is_posted_content_of_subtype_preprint():
    result = work("10.48550_arxiv.2311.16162.json")

    assert result.doi == "10.48550/arxiv.2311.16162"
    assert (result.work_type, result.work_subtype) == ("posted-content", "preprint")
    assert result.title == (
        "Leveraging Artificial Intelligence Technology for Mapping Research to Sustainable "
        "Development Goals: A Case Study"
    )
    assert result.publisher == "arXiv"
    assert result.published == PartialDate(2023)
    assert result.url == "https://arxiv.org/abs/2311.16162"
    assert result.language is None
    assert len(result.authors) == 10
    assert (result.authors[0].given, result.authors[0].family) == ("Hui", "Yin")
    assert result.authors[4].family == "Salvador-Carulla"
    assert result.authors[-1].display_name == "Wing Wah Tham"
    assert result.abstract.startswith("The number of publications related to the Sustainable")


def test_it_strips_the_fos_prefix_and_drops_a_repeated_subject():
    subjects = work("10.48550_arxiv.2311.16162.json").subjects

    # The record lists "FOS: Computer and information sciences" twice (two scheme URIs).
    assert subjects == (
        "Digital Libraries (cs.DL)",
        "Artificial Intelligence (cs.AI)",
        "Computation and Language (cs.CL)",
        "Computer and information sciences",
        "I.2.7",
    )


# --- the conference paper --------------------------------------------------------------------


def test_a_conference_paper_keeps_its_proceedings_volume_and_pages():
    result = work("10.4230_lipics.tqc.2013.93.json")

    assert result.title == "The Minimum Size of Qubit Unextendible Product Bases"
    assert (result.work_type, result.work_subtype) == ("proceedings-article", None)
    publisher = "Schloss Dagstuhl – Leibniz-Zentrum für Informatik"
    # The container's identifier is a DOI, not an ISSN; the series ISSN 1868-8969 belongs
    # to every LIPIcs volume and would merge them all into one journal row.
    assert result.journal == Journal(
        title="LIPIcs, Volume 22, TQC 2013", issns=(), publisher=publisher
    )
    assert (result.volume, result.issue, result.pages) == ("22", None, "93-105")
    assert result.article_number is None
    assert result.isbns == ("978-3-939897-55-2",)
    assert result.license_url == "https://creativecommons.org/licenses/by/3.0/legalcode"
    assert [a.display_name for a in result.authors] == ["Nathaniel Johnston"]
    # The editors are contributors, not creators.
    assert "Severini" not in {a.family for a in result.authors}
    assert result.published == PartialDate(2013)


def test_a_subject_of_semicolon_separated_keywords_becomes_several():
    subjects = work("10.4230_lipics.tqc.2013.93.json").subjects

    assert subjects == (
        "unextendible product basis",
        "quantum entanglement",
        "graph factorization",
    )


# --- the journal article ---------------------------------------------------------------------


def test_a_journal_article_takes_journal_issn_volume_issue_and_pages_from_its_container():
    result = work("10.2312_geowissenschaften.1989.7.181.json")

    assert result.title == "An Overview of the Geology of Canadian Gold Occurrences"
    assert result.work_type == "journal-article"
    assert result.journal == Journal(
        title="Die Geowissenschaften",
        issns=(("unspecified", "0933-0704"),),
        publisher="VCH Verlagsgesellschaft mbH",
    )
    assert (result.volume, result.issue, result.pages) == ("7", "7", "181-186")
    assert result.published == PartialDate(1989, 1, 1)
    assert result.authors[0].given == "David J"
    assert result.authors[0].family == "Mossman"
    # The only "Abstract" description is empty, and "rights" has no URI.
    assert result.abstract == ""
    assert result.license_url is None


def test_related_items_serve_as_the_container_when_the_summary_is_empty():
    record = load("10.2312_geowissenschaften.1989.7.181.json")
    record["data"]["attributes"]["container"] = {}

    result = datacite.parse_work(record)

    assert result.journal.title == "Die Geowissenschaften"
    assert result.journal.issns == (("unspecified", "0933-0704"),)
    assert (result.volume, result.issue, result.pages) == ("7", "7", "181-186")


# --- the Russian record with funding ---------------------------------------------------------


def test_it_keeps_a_cyrillic_title_authors_and_the_funding_with_its_award():
    result = work("10.26102_2310-6018_2019.24.1.006.json")

    assert result.doi == "10.26102/2310-6018/2019.24.1.006"
    # The first title has no titleType; the English one is a TranslatedTitle.
    assert result.title == "МОДЕЛЬ СИСТЕМНОЙ ДИНАМИКИ ПРОЦЕССА ОБУЧЕНИЯ"
    assert result.subtitle == ""
    assert result.language == "ru"
    assert result.work_type == "journal-article"  # Text, typed article-journal in citeproc
    assert result.published == PartialDate(2019, 2, 9)
    assert [(a.given, a.family) for a in result.authors] == [
        ("А.В.", "Ганичева"),
        ("А.В.", "Ганичев"),
    ]
    assert result.authors[1].affiliations == ("Тверской государственный технический университет",)
    assert result.funders == (
        FunderAward(name="РФФИ", funder_doi=None, awards=("проект № 170100728",)),
    )
    # Two abstracts, Russian then English: the first one is the work's own language.
    assert result.abstract.startswith("Актуальность данной работы обусловлена")
    assert "The relevance of this work" not in result.abstract
    assert result.subjects[:2] == ("группа обучаемых", "модель")
    assert len(result.subjects) == 10


def test_the_main_title_is_the_one_without_a_title_type_wherever_it_is_listed():
    record = load("10.26102_2310-6018_2019.24.1.006.json")
    titles = record["data"]["attributes"]["titles"]
    titles.reverse()
    titles.append({"title": "Отчёт", "titleType": "Subtitle"})

    result = datacite.parse_work(record)

    assert titles[0]["titleType"] == "TranslatedTitle"
    assert result.title == "МОДЕЛЬ СИСТЕМНОЙ ДИНАМИКИ ПРОЦЕССА ОБУЧЕНИЯ"
    assert result.subtitle == "Отчёт"


def test_a_container_title_that_is_only_an_issue_label_is_not_a_journal():
    # The record's container "title" is "№1(24) (2019)".
    result = work("10.26102_2310-6018_2019.24.1.006.json")

    assert result.journal is None
    assert (result.volume, result.issue, result.pages) == (None, None, None)


def test_funding_references_of_one_funder_are_merged_and_the_funder_id_normalised():
    record = load("10.26102_2310-6018_2019.24.1.006.json")
    attributes = record["data"]["attributes"]
    rffi = {
        "funderName": "Russian Foundation for Basic Research",
        "funderIdentifier": "https://doi.org/10.13039/501100002261",
        "funderIdentifierType": "Crossref Funder ID",
    }
    attributes["fundingReferences"] += [
        {**rffi, "awardNumber": "17-01-00728"},
        {**rffi, "funderIdentifier": "501100002261", "awardNumber": "18-00-00001"},
        {"funderName": "рффи", "awardNumber": "проект № 170100728"},
    ]

    funders = datacite.parse_work(record).funders

    assert funders == (
        FunderAward(name="РФФИ", funder_doi=None, awards=("проект № 170100728",)),
        FunderAward(
            name="Russian Foundation for Basic Research",
            funder_doi="10.13039/501100002261",
            awards=("17-01-00728", "18-00-00001"),
        ),
    )


# --- the dissertation, the blog post and the software ---------------------------------------


def test_a_text_typed_as_a_thesis_is_a_dissertation_without_a_journal():
    result = work("10.3204_desy-2014-01645.json")

    assert (result.work_type, result.work_subtype) == ("dissertation", None)
    assert result.title == (
        "Dynamics of colloids in molecular glass forming liquids studied via X-ray photon "
        "correlation spectroscopy"
    )
    assert [a.display_name for a in result.authors] == ["Heiko Conrad"]
    # The container is the series information "University of Hamburg, Diss.", not a journal.
    assert (result.journal, result.volume, result.pages) == (None, None, None)
    assert result.publisher == "Deutsches Elektronen-Synchrotron, DESY, Hamburg"
    # The abstract is the second description; its entities are decoded.
    assert result.abstract.startswith("In this work the static and dynamical properties")
    assert "free diffusion at T > 1.12 Tg" in result.abstract
    assert "&gt;" not in result.abstract


def test_a_creator_orcid_url_becomes_the_bare_orcid():
    result = work("10.5438_4k3m-nyvg.json")

    (author,) = result.authors
    assert (author.given, author.family, author.is_organization) == ("Martin", "Fenner", False)
    assert author.orcid == "0000-0003-1419-2405"
    assert author.orcid_authenticated is False


def test_a_datacite_blog_post_is_typed_as_crossref_types_blog_posts():
    result = work("10.5438_4k3m-nyvg.json")

    assert (result.work_type, result.work_subtype) == ("posted-content", "blog")
    assert result.title == "Eating your own Dog Food"
    assert result.published == PartialDate(2016, 12, 20)
    assert result.subjects == ("datacite", "doi", "metadata", "Computer and information sciences")
    # The container is the blog's series DOI, without a title: no journal.
    assert result.journal is None


def test_zenodo_software_is_other_with_subtype_software():
    result = work("10.5281_zenodo.48440.json")

    assert result.doi == "10.5281/zenodo.48440"
    assert (result.work_type, result.work_subtype) == ("other", "software")
    assert result.title == "Analysis Tools for Crossover Experiment of UI using Choice Architecture"
    assert result.publisher == "Zenodo"
    assert result.published == PartialDate(2016, 3, 27)
    assert [(a.given, a.family) for a in result.authors] == [("Kristian", "Garza")]
    # The first rights entry is the licence; the second only says "openAccess".
    assert result.license_url == "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode"
    assert result.subjects == ("choice architecture", "crossover experiment", "hci")
    assert result.language is None
    assert "<br>" not in result.abstract
    assert result.abstract.startswith("This tools are used to analyse the data produced")


# --- other shapes of the same record ---------------------------------------------------------


def test_the_data_object_and_bare_attributes_parse_to_the_same_work():
    record = load("10.5061_dryad.8515.json")

    assert datacite.parse_work(record["data"]) == datacite.parse_work(record)
    assert datacite.parse_work(record["data"]["attributes"]) == datacite.parse_work(record)


def test_a_creator_with_only_a_family_comma_given_name_is_split():
    record = load("10.5281_zenodo.48440.json")
    (creator,) = record["data"]["attributes"]["creators"]
    del creator["givenName"], creator["familyName"]

    (author,) = datacite.parse_work(record).authors

    assert (author.given, author.family) == ("Kristian", "Garza")


def test_an_organizational_creator_and_affiliation_objects_are_read():
    record = load("10.5281_zenodo.48440.json")
    record["data"]["attributes"]["creators"] = [
        {"name": "DataCite Metadata Working Group", "nameType": "Organizational"},
        {"name": ":unav", "nameType": "Personal"},
        {
            "name": "Garza, Kristian",
            "nameType": "Personal",
            "affiliation": [{"name": "University of Manchester"}, "University of Manchester"],
            "nameIdentifiers": [
                {"nameIdentifier": "0000-0003-1419-2406", "nameIdentifierScheme": "ORCID"}
            ],
        },
        {"name": "Fenner, Martin", "affiliation": "DataCite"},
    ]

    first, second, third = datacite.parse_work(record).authors

    assert (first.name, first.is_organization, first.display_name) == (
        "DataCite Metadata Working Group",
        True,
        "DataCite Metadata Working Group",
    )
    # The "unknown" placeholder is skipped; the positions stay gapless.
    assert (second.display_name, second.position) == ("Kristian Garza", 1)
    assert second.affiliations == ("University of Manchester",)
    assert second.orcid is None  # wrong check digit
    assert (third.display_name, third.affiliations, third.position) == (
        "Martin Fenner",
        ("DataCite",),
        2,
    )


def test_a_publisher_object_of_the_newer_api_gives_its_name():
    record = load("10.5281_zenodo.48440.json")
    record["data"]["attributes"]["publisher"] = {"name": "Zenodo", "publisherIdentifier": None}

    assert datacite.parse_work(record).publisher == "Zenodo"


def test_without_an_issued_date_the_publication_year_counts():
    record = load("10.5281_zenodo.48440.json")
    record["data"]["attributes"]["dates"] = []

    assert datacite.parse_work(record).published == PartialDate(2016)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "expected a JSON object"),
        ("10.5061/dryad.8515", "expected a JSON object"),
        ([], "expected a JSON object"),
        ({}, "not a DataCite DOI record"),
        ({"data": None}, "type 'dois'"),
        ({"data": []}, "list of records"),
        ({"data": {"id": "lzi.drops", "type": "clients", "attributes": {}}}, "type 'dois'"),
        ({"data": {"id": "10.1/x", "type": "dois", "attributes": "x"}}, "no attributes"),
        (
            {
                "errors": [
                    {"status": "404", "title": "The resource you are looking for doesn't exist."}
                ]
            },
            "DataCite returned an error: The resource you are looking for",
        ),
    ],
)
def test_garbage_is_refused_with_a_plain_reason(value, reason):
    with pytest.raises(datacite.DataCiteError, match=reason):
        datacite.parse_work(value)


def test_a_record_without_a_doi_is_refused():
    record = load("10.5061_dryad.8515.json")
    del record["data"]["attributes"]["doi"]
    del record["data"]["id"]

    with pytest.raises(datacite.DataCiteError, match="no DOI"):
        datacite.parse_work(record)


def test_a_record_with_a_malformed_doi_is_refused():
    record = load("10.5061_dryad.8515.json")
    record["data"]["attributes"]["doi"] = "dryad.8515"

    with pytest.raises(datacite.DataCiteError, match="no valid DOI"):
        datacite.parse_work(record)


def test_a_record_without_a_doi_is_refused_as_a_record_error_not_a_crossref_one():
    record = load("10.5061_dryad.8515.json")
    del record["data"]["attributes"]["doi"]
    del record["data"]["id"]

    # Importers that catch RecordError reject DataCite records as they reject Crossref ones;
    # a DataCite record's fault is not a Crossref one.
    with pytest.raises(RecordError, match="no DOI") as error:
        datacite.parse_work(record)
    assert not isinstance(error.value, CrossrefError)


def test_a_title_that_is_only_whitespace_counts_as_none():
    record = load("10.5061_dryad.8515.json")
    record["data"]["attributes"]["titles"] = [{"title": "  "}]

    assert datacite.parse_work(record).title == "Untitled dataset (doi:10.5061/dryad.8515)"


def test_odd_values_in_optional_fields_give_empty_values_not_errors():
    record = load("10.5061_dryad.8515.json")
    original = copy.deepcopy(record)
    attributes = record["data"]["attributes"]
    attributes.update(
        creators="Ollomo",
        subjects=None,
        dates=[{"date": "unknown", "dateType": "Issued"}],
        publicationYear=None,
        types=None,
        descriptions=[{"description": None, "descriptionType": "Abstract"}],
        rightsList=[{"rightsUri": "info:eu-repo/semantics/openAccess"}],
        url="doi:10.5061/dryad.8515",
        citationCount="1",
        fundingReferences=[{}, {"awardNumber": "123"}],
        container=[],
        relatedItems=None,
    )

    result = datacite.parse_work(record)

    assert result.authors == () and result.subjects == () and result.funders == ()
    assert result.published is None
    assert (result.work_type, result.work_subtype) == ("other", None)
    assert result.abstract == ""
    assert (result.license_url, result.url, result.citation_count) == (None, None, None)
    assert result.journal is None
    assert record != original  # the test changed what it meant to change


# --- into the catalogue ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", RECORDS)
def test_every_record_is_stored_by_the_crossref_upsert_and_a_second_run_changes_nothing(name):
    paper, outcome = upsert_work(work(name), source="datacite")
    again, second = upsert_work(work(name), source="datacite")

    assert (outcome, second) == (CREATED, UNCHANGED)
    assert again.pk == paper.pk
    assert Paper.objects.get(pk=paper.pk).provenance["title"]["source"] == "datacite"


@pytest.mark.django_db
def test_the_stored_conference_paper_has_its_authors_funding_and_proceedings():
    paper, _ = upsert_work(work("10.4230_lipics.tqc.2013.93.json"), source="datacite")
    funded, _ = upsert_work(work("10.26102_2310-6018_2019.24.1.006.json"), source="datacite")

    paper = Paper.objects.get(pk=paper.pk)
    assert paper.work_type == "proceedings-article"
    assert paper.journal.title == "LIPIcs, Volume 22, TQC 2013"
    assert (paper.volume, paper.pages, paper.published_year) == ("22", "93-105", 2013)
    assert paper.isbns == ["978-3-939897-55-2"]
    assert [a.author.name for a in paper.authorships.order_by("position")] == ["Nathaniel Johnston"]
    fundings = list(funded.fundings.select_related("funder"))
    assert [(f.funder.name, f.awards) for f in fundings] == [("РФФИ", ["проект № 170100728"])]
