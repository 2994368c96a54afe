"""Keywords from real recorded OpenAlex works."""

import json

import pytest

from papers import crossref, openalex
from papers.ingest import UNCHANGED, UPDATED, apply_keywords, upsert_work
from papers.models import Paper
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def openalex_work(name):
    return json.loads((FIXTURES / "openalex" / name).read_text())


def crossref_work(name):
    return crossref.parse_work(json.loads((FIXTURES / "crossref" / name).read_text()))


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
