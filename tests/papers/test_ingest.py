"""papers.ingest.upsert_work on real recorded Crossref records."""

import dataclasses
import json

import pytest
from django.db import IntegrityError

from papers import crossref, records
from papers.ingest import CREATED, UNCHANGED, UPDATED, import_records, upsert_work
from papers.models import (
    Author,
    Authorship,
    Category,
    Funder,
    Funding,
    Journal,
    Notice,
    Paper,
)
from tests.conftest import ROOT
from tests.records import crossref_record

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "tests" / "fixtures"
ALL_MODELS = (Paper, Journal, Author, Authorship, Funder, Funding, Category, Notice)


def work(name):
    return crossref.parse_work(crossref_record(name))


def list_item(line_number):
    path = FIXTURES / "crossref-lists" / "work_list_items_selected.jsonl"
    line = path.read_text().splitlines()[line_number - 1]
    return crossref.parse_work(json.loads(line)["item"])


def row_counts():
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def test_it_creates_a_paper_with_every_field_of_a_real_record():
    paper, outcome = upsert_work(work("10.1136_jclinpath-2020-206745.json"))

    assert outcome == CREATED
    paper = Paper.objects.for_page().get(pk=paper.pk)
    assert paper.doi == "10.1136/jclinpath-2020-206745"
    assert paper.title.startswith("Construction of a reference material panel")
    assert paper.work_type == "journal-article"
    assert paper.journal.title == "Journal of Clinical Pathology"
    assert paper.abstract and "<" not in paper.abstract
    authorships = list(paper.authorships.all())
    assert len(authorships) == 15
    assert [a.position for a in authorships] == list(range(15))
    assert any(a.author.orcid for a in authorships)
    assert any(a.affiliations for a in authorships)
    assert paper.fundings.count() >= 1
    assert paper.published_year == 2021
    # Every imported field says where it came from.
    assert paper.provenance["title"]["source"] == "crossref"
    assert paper.provenance["authors"]["source"] == "crossref"


def test_importing_the_same_record_twice_changes_nothing():
    first, _ = upsert_work(work("10.1016_j.ffa.2015.10.008.json"))
    counts, stamp = row_counts(), Paper.objects.get(pk=first.pk).updated_at

    second, outcome = upsert_work(work("10.1016_j.ffa.2015.10.008.json"))

    assert outcome == UNCHANGED
    assert second.pk == first.pk
    assert row_counts() == counts
    assert Paper.objects.get(pk=first.pk).updated_at == stamp


def test_a_doi_in_another_case_is_the_same_paper():
    original = work("10.1038_srep16696.json")
    upsert_work(original)

    _, outcome = upsert_work(
        dataclasses.replace(original, doi=records.normalize_doi("10.1038/SREP16696"))
    )

    assert outcome == UNCHANGED
    assert Paper.objects.count() == 1


def test_reimporting_an_updated_record_updates_only_what_changed():
    original = work("10.3389_fpls.2019.00816.json")
    paper, _ = upsert_work(original)
    before = Paper.objects.get(pk=paper.pk).provenance
    fewer_authors = original.authors[:-1]

    paper, outcome = upsert_work(
        dataclasses.replace(original, title="A corrected title", authors=fewer_authors)
    )

    assert outcome == UPDATED
    paper.refresh_from_db()
    assert paper.title == "A corrected title"
    assert paper.authorships.count() == len(original.authors) - 1
    # Provenance moves only for what changed (the clock may not tick between two imports).
    assert paper.provenance["abstract"] == before["abstract"]
    assert set(paper.provenance) == set(before)


def test_an_author_with_the_same_orcid_is_one_author_across_papers():
    for name in (
        "10.53731_avg2ykg-gdxppcd.json",
        "10.53731_ybhah-9jy85.json",
        "10.54900_rckn8ey-1fm76va-qsrnf.json",
    ):
        upsert_work(work(name))

    author = Author.objects.get(orcid="0000-0003-1419-2405")
    assert author.authorships.count() == 3
    assert Author.objects.filter(name="Martin Fenner").count() == 1
    assert Author.objects.count() == 4  # Martin Fenner and three co-authors of one post


def test_papers_of_one_journal_share_it_by_issn():
    for name in ("10.1371_journal.pone.0000030.json", "10.1371_journal.pone.0214986.json"):
        upsert_work(work(name))

    assert Journal.objects.count() == 1
    journal = Journal.objects.get()
    assert "1932-6203" in journal.issns
    assert journal.papers.count() == 2


def test_a_locked_field_is_never_overwritten_by_a_reimport():
    paper, _ = upsert_work(work("10.1038_hdy.2013.26.json"))
    Paper.objects.filter(pk=paper.pk).update(title="Curated title", locked_fields=["title"])

    paper, outcome = upsert_work(work("10.1038_hdy.2013.26.json"))

    assert outcome == UNCHANGED
    paper.refresh_from_db()
    assert paper.title == "Curated title"


def test_locked_authors_keep_a_curators_corrections():
    paper, _ = upsert_work(work("10.1038_hdy.2013.26.json"))
    Authorship.objects.filter(paper=paper, position=1).delete()
    Paper.objects.filter(pk=paper.pk).update(locked_fields=["authors"])

    upsert_work(dataclasses.replace(work("10.1038_hdy.2013.26.json"), title="New title"))

    assert paper.authorships.count() == 1


def test_a_retraction_notice_marks_the_paper_retracted_and_its_removal_clears_it():
    corrected = list_item(6)  # a real record with an updated-by correction notice
    paper, _ = upsert_work(corrected)
    assert not Paper.objects.get(pk=paper.pk).is_retracted
    assert Notice.objects.get(paper=paper).kind == "correction"

    retraction = dataclasses.replace(corrected.updates[0], kind="retraction", label="Retraction")
    upsert_work(dataclasses.replace(corrected, updates=(retraction,)))
    assert Paper.objects.get(pk=paper.pk).is_retracted

    upsert_work(corrected)
    assert not Paper.objects.get(pk=paper.pk).is_retracted


def test_subjects_become_categories_shared_by_name():
    paper, _ = upsert_work(work("10.1016_j.ffa.2015.10.008.json"))

    names = set(paper.categories.values_list("name", flat=True))
    assert names == set(work("10.1016_j.ffa.2015.10.008.json").subjects)
    assert all(c.slug for c in Category.objects.all())


def test_the_search_document_holds_authors_journal_and_doi():
    paper, _ = upsert_work(work("10.1136_jclinpath-2020-206745.json"))

    document = Paper.objects.get(pk=paper.pk).search_document
    assert "10.1136/jclinpath-2020-206745" in document
    assert "Journal of Clinical Pathology" in document
    first = paper.authorships.order_by("position").first().author.name
    assert first in document


def test_a_record_that_fails_half_way_leaves_nothing_behind():
    original = work("10.1136_jclinpath-2020-206745.json")
    # Two authors claiming the same position: the authorship insert fails after the paper row
    # and several authors were written; the whole record must roll back.
    clash = original.authors[:3] + (dataclasses.replace(original.authors[3], position=0),)

    with pytest.raises(IntegrityError):
        upsert_work(dataclasses.replace(original, authors=clash))

    assert row_counts() == {model.__name__: 0 for model in ALL_MODELS}


def test_bad_records_are_rejected_with_their_reason_and_the_rest_imported():
    good = json.loads((FIXTURES / "crossref" / "10.1038_srep16696.json").read_text())
    untitled = json.loads((FIXTURES / "crossref" / "10.6002_ect.2015.0371.json").read_text())
    records = [
        ("good", good),
        ("untitled", untitled),
        ("not a dict", ["a list"]),
        ("bad doi", {**good["message"], "DOI": "not-a-doi"}),
    ]

    report = import_records(records)

    # A record without a title is not a bad one (issue 15): it is stored under a made-up title.
    assert report.created == 2
    reasons = dict(report.rejected)
    assert set(reasons) == {"not a dict", "bad doi"}
    assert "is not a DOI" in reasons["bad doi"]
    assert Paper.objects.count() == 2
    assert Paper.objects.filter(doi="10.6002/ect.2015.0371", title__startswith="Untitled").exists()
