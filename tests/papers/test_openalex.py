"""Keywords from real recorded OpenAlex works."""

import json

import pytest

from papers import crossref, openalex
from papers.ingest import UNCHANGED, UPDATED, apply_keywords, upsert_work
from papers.models import Paper
from tests.conftest import ROOT
from tests.records import crossref_record

FIXTURES = ROOT / "tests" / "fixtures"


def openalex_work(name):
    return json.loads((FIXTURES / "openalex" / name).read_text())


def crossref_work(name):
    return crossref.parse_work(crossref_record(name))


def test_it_parses_the_doi_and_the_confident_keywords_best_first():
    doi, keywords = openalex.parse_keywords(openalex_work("W2121398592.json"))

    assert doi == "10.7554/elife.01567"
    assert keywords[:3] == ["Hypocotyl", "Secondary growth", "Arabidopsis"]
    # Scored below the threshold in the record: noise such as "Beach morphodynamics".
    assert "Beach morphodynamics" not in keywords


def test_a_work_without_a_doi_is_refused():
    sample = openalex_work("works_sample_5.json")
    without_doi = next(work for work in sample["results"] if not work.get("doi"))

    with pytest.raises(openalex.OpenAlexError, match="no usable DOI"):
        openalex.parse_keywords(without_doi)


@pytest.mark.django_db
def test_keywords_are_set_once_and_survive_a_crossref_reimport():
    paper, _ = upsert_work(crossref_work("10.7554_elife.01567.json"))
    doi, keywords = openalex.parse_keywords(openalex_work("W2121398592.json"))

    assert apply_keywords(doi, keywords, source="openalex") == UPDATED
    assert apply_keywords(doi, keywords, source="openalex") == UNCHANGED
    upsert_work(crossref_work("10.7554_elife.01567.json"))

    paper = Paper.objects.get(pk=paper.pk)
    assert set(paper.keywords.values_list("name", flat=True)) == set(keywords)
    assert paper.provenance["keywords"]["source"] == "openalex"
    assert "Hypocotyl" in paper.search_document


@pytest.mark.django_db
def test_locked_keywords_are_left_alone():
    paper, _ = upsert_work(crossref_work("10.7554_elife.01567.json"))
    Paper.objects.filter(pk=paper.pk).update(locked_fields=["keywords"])
    doi, keywords = openalex.parse_keywords(openalex_work("W2121398592.json"))

    assert apply_keywords(doi, keywords, source="openalex") == UNCHANGED
    assert not paper.keywords.exists()


@pytest.mark.django_db
def test_keywords_for_a_paper_not_in_the_catalogue_are_skipped():
    doi, keywords = openalex.parse_keywords(openalex_work("W2054094521.json"))

    assert apply_keywords(doi, keywords, source="openalex") is None


# --- parse_enrichment: everything else OpenAlex adds to a work ---------------------------------


def test_the_enrichment_rebuilds_the_abstract_from_the_inverted_index():
    enrichment = openalex.parse_enrichment(openalex_work("W2121398592.json"))

    # Positions 0..12 of the index: "Among" at 0, "various" at 1, ... "investigation." at 12.
    assert enrichment.abstract.startswith(
        "Among various advantages, their small size makes model organisms preferred subjects "
        "of investigation. Yet,"
    )
    assert enrichment.abstract.endswith("DOI: http://dx.doi.org/10.7554/eLife.01567.001.")
    assert len(enrichment.abstract.split()) == 151  # one word per position 0..150


def test_the_enrichment_of_the_elife_paper_has_its_ids_counts_and_links():
    enrichment = openalex.parse_enrichment(openalex_work("W2121398592.json"))

    assert enrichment.doi == "10.7554/elife.01567"
    assert enrichment.openalex_id == "W2121398592"
    assert enrichment.citation_count == 45
    assert enrichment.is_retracted is False
    assert enrichment.open_access_url == "https://doi.org/10.7554/elife.01567"
    # The same keywords as parse_keywords, as a tuple.
    assert (
        list(enrichment.keywords) == openalex.parse_keywords(openalex_work("W2121398592.json"))[1]
    )
    assert enrichment.keywords[:3] == ("Hypocotyl", "Secondary growth", "Arabidopsis")


def test_topics_come_primary_first_as_domain_field_subfield_topic():
    topics = openalex.parse_enrichment(openalex_work("W1982728624.json")).topics

    assert topics == (
        ("Health Sciences", "Medicine", "Physiology", "Erythrocyte Function and Pathophysiology"),
        ("Health Sciences", "Medicine", "Surgery", "Pancreatic function and diabetes"),
        (
            "Life Sciences",
            "Biochemistry, Genetics and Molecular Biology",
            "Cell Biology",
            "Endoplasmic Reticulum Stress and Disease",
        ),
    )


def test_the_primary_topic_leads_even_when_the_topic_list_has_another_order():
    data = openalex_work("W3174427814.json")
    data["topics"].reverse()

    topics = openalex.parse_enrichment(data).topics

    assert [topic[-1] for topic in topics] == [
        "Caching and Content Delivery",
        "Advanced Data Storage Technologies",
    ]


def test_a_book_chapter_without_an_abstract_or_open_access_gives_empty_values():
    enrichment = openalex.parse_enrichment(openalex_work("W2800740883.json"))

    assert enrichment.doi == "10.1007/978-3-319-75889-3_1"
    assert enrichment.abstract == ""
    assert enrichment.open_access_url is None  # closed access, best_oa_location is null
    assert enrichment.citation_count == 4
    assert enrichment.topics[0][-1] == "Climate Change and Health Impacts"


def test_the_open_access_url_falls_back_to_the_pdf_and_then_to_oa_url():
    data = openalex_work("W1982728624.json")
    # Both are given: the landing page is what a reader should open first.
    assert openalex.parse_enrichment(data).open_access_url == (
        "https://doi.org/10.1371/journal.pone.0000030"
    )
    data["best_oa_location"]["landing_page_url"] = None
    pdf = "https://journals.plos.org/plosone/article/file?id=10.1371/journal.pone.0000030&type=printable"

    assert openalex.parse_enrichment(data).open_access_url == pdf
    data["best_oa_location"] = None
    assert openalex.parse_enrichment(data).open_access_url == data["open_access"]["oa_url"]


def test_the_abstract_heading_carried_over_from_the_pdf_is_dropped():
    # The bioRxiv preprint's index has "Abstract" at position 0.
    enrichment = openalex.parse_enrichment(openalex_work("W2581393460.json"))

    assert enrichment.abstract.startswith("This article presents a practical roadmap")


def test_a_retracted_flag_is_read_as_a_bool():
    data = openalex_work("W2157853701.json")
    data["is_retracted"] = True

    assert openalex.parse_enrichment(data).is_retracted is True


def test_a_list_response_is_refused_not_read_as_its_first_work():
    sample = openalex_work("works_sample_5.json")

    with pytest.raises(openalex.OpenAlexError, match="list response"):
        openalex.parse_enrichment(sample)
    with pytest.raises(openalex.OpenAlexError, match="list response"):
        openalex.parse_enrichment(sample["results"])


@pytest.mark.parametrize("value", [None, "W2121398592", 42])
def test_an_enrichment_of_something_not_a_work_is_refused(value):
    with pytest.raises(openalex.OpenAlexError, match="expected an OpenAlex work object"):
        openalex.parse_enrichment(value)


def test_an_enrichment_of_a_work_without_a_doi_is_refused():
    sample = openalex_work("works_sample_5.json")
    without_doi = next(work for work in sample["results"] if not work.get("doi"))

    with pytest.raises(openalex.OpenAlexError, match="no usable DOI"):
        openalex.parse_enrichment(without_doi)


def test_odd_values_in_an_enrichment_give_empty_values_not_errors():
    data = openalex_work("W2121398592.json")
    data.update(
        abstract_inverted_index={"word": "not positions", "other": [True]},
        topics=None,
        primary_topic="T10184",
        cited_by_count="45",
        open_access=None,
        best_oa_location={"landing_page_url": "doi.org/10.7554/elife.01567"},
        id=None,
    )

    enrichment = openalex.parse_enrichment(data)

    assert enrichment.abstract == ""
    assert enrichment.topics == ()
    assert (enrichment.citation_count, enrichment.open_access_url) == (None, None)
    assert enrichment.openalex_id is None


# --- whole works (openalex.parse_work) ---


def test_a_whole_work_is_parsed_with_its_journal_authors_funders_and_topics():
    work = openalex.parse_work(openalex_work("W2955786964.json"))

    assert work.doi == "10.3389/fpls.2019.00816"
    assert work.title.startswith("Transcriptional Modulation of Polyamine Metabolism")
    assert (work.work_type, work.published.isoformat()) == ("journal-article", "2019-07-02")
    assert work.journal.title == "Frontiers in Plant Science"
    assert ("", "1664-462X") in work.journal.issns
    assert (work.volume, work.pages) == ("10", "816")
    assert work.authors[0].display_name == "Ana Margarida Fortes"
    assert work.authors[0].orcid == "0000-0001-7552-0164"
    assert work.authors[0].affiliations[0].startswith("Faculdade de Ciências de Lisboa")
    funders = {f.name: f.awards for f in work.funders}
    assert funders["European Cooperation in Science and Technology"] == ("CA17111",)
    assert "Forskningsrådet om Hälsa, Arbetsliv och Välfärd" in funders
    assert work.subjects[:2] == ("Life Sciences", "Biochemistry, Genetics and Molecular Biology")
    assert work.abstract and work.citation_count == 32 and work.reference_count == 70
    assert work.updates == ()


def test_the_crossref_type_openalex_recorded_wins_over_its_own():
    proceedings = openalex.parse_work(openalex_work("W3174427814.json"))  # "conference-paper"
    preprint = openalex.parse_work(openalex_work("W2581393460.json"))

    assert proceedings.work_type == "proceedings-article"
    assert (preprint.work_type, preprint.work_subtype) == ("posted-content", "preprint")
    assert preprint.journal is None  # bioRxiv is a repository, not the container


def test_a_work_without_a_doi_is_refused_with_the_reason():
    sample = openalex_work("works_sample_5.json")["results"]

    with pytest.raises(openalex.OpenAlexError, match="W2600965442 has no DOI"):
        openalex.parse_work(sample[0])
    assert openalex.parse_work(sample[2]).doi == "10.5580/1cbc"
    with pytest.raises(openalex.OpenAlexError, match="list response"):
        openalex.parse_work(openalex_work("works_sample_5.json"))


def test_a_work_openalex_marks_retracted_is_stored_retracted():
    work = openalex.parse_work(openalex_work("W2121398592.json") | {"is_retracted": True})

    assert work.is_retracted
    assert work.updates[0].doi == "10.7554/elife.01567"
