"""One write path for catalogue edits (papers.curation), whoever makes them.

A registry import (papers.ingest), a curator in the admin and a verified author on the site
each leave the same trace: the provenance names them, a keyword link carries their source,
a curator's lock binds the import and the author but not the curator, and a change the
recommender reads re-places the paper in the related-papers lists once committed.

Papers are real recorded Crossref records; the edits go through the real admin and the real
author page. The re-placing is observed in the lists themselves, with the Celery task run
in-process when the edit's on-commit callbacks run.
"""

import dataclasses

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Claim
from papers import curation, ingest, openalex
from papers.models import Paper, RelatedPaper
from papers.recommend import rebuild_related
from tests.factories import KeywordFactory
from tests.papers.test_admin import JCLINPATH, change_url, form_data, record
from tests.papers.test_recommend import BLOGS, OTHER_TOPICS, import_all, similar
from tests.records import import_record

pytestmark = pytest.mark.django_db

FAR = OTHER_TOPICS[0]  # a PLOS biology paper: far from the science blogs and newsletters
BLOG_WORDS = ["science blogs", "science newsletters"]
PATHS = ["import", "curator", "author"]


@pytest.fixture
def catalogue():
    """Every recorded work imported, and the related-papers lists built."""
    papers = import_all()
    rebuild_related()
    return papers


@pytest.fixture
def curator(django_user_model):
    """A logged-in superuser named "admin", made without a password (hashing is slow)."""
    user = django_user_model.objects.create(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def author_of(paper, django_user_model):
    """A logged-in "carol" holding a verified claim on the paper's first authorship."""
    carol = django_user_model.objects.create(username="carol")
    first = paper.authorships.get(position=0)
    Claim.objects.create(user=carol, authorship=first, paper=paper, status=Claim.Status.VERIFIED)
    client = Client()
    client.force_login(carol)
    return client


class Editor:
    """One of the three ways into the catalogue, with what it is recorded as."""

    def __init__(self, path, paper, *, curator, django_user_model):
        self.path, self.paper = path, paper
        self.client = {"curator": curator, "author": None}.get(path)
        if path == "author":
            self.client = author_of(paper, django_user_model)
        self.link_source = {"import": "openalex", "curator": "curator", "author": "author"}[path]
        self.provenance_source = {
            "import": "openalex",
            "curator": "curator admin",
            "author": "author carol",
        }[path]

    def add_keywords(self, names):
        """Add keywords to the paper; returns what the way in answered."""
        if self.path == "import":
            return ingest.apply_keywords(self.paper.doi, names, source="openalex")
        if self.path == "curator":
            data = form_data(self.client.get(change_url(self.paper)))
            count = int(data["keyword_links-TOTAL_FORMS"])
            for index, name in enumerate(names, count):
                data[f"keyword_links-{index}-keyword"] = str(KeywordFactory(name=name).pk)
            data["keyword_links-TOTAL_FORMS"] = str(count + len(names))
            return self.client.post(change_url(self.paper), data, follow=True)
        url = reverse("accounts:paper-keywords", args=[self.paper.pk])
        return self.client.post(url, {"keywords": ", ".join(names)}, follow=True)

    def edit_unrecommended_field(self):
        """Change a field the recommender does not read; returns the field's name."""
        if self.path == "import":
            enrichment = openalex.Enrichment(
                doi=self.paper.doi,
                keywords=(),
                topics=(),
                open_access_url="https://example.org/free-full-text.pdf",
                citation_count=None,
                abstract="",
                is_retracted=False,
                openalex_id=None,
            )
            assert ingest.apply_enrichment(enrichment) == ingest.UPDATED
            return "open_access_url"
        if self.path == "curator":
            data = form_data(self.client.get(change_url(self.paper)))
            data["summary"] = "What the paper found, for readers in a hurry."
            response = self.client.post(change_url(self.paper), data)
            assert response.status_code == 302, response.context["adminform"].form.errors
            return "summary"
        url = reverse("accounts:paper-summary", args=[self.paper.pk])
        response = self.client.post(url, {"summary": "What we found, briefly."})
        assert response.status_code == 302
        return "summary"


@pytest.fixture(params=PATHS)
def editor(request, catalogue, curator, django_user_model):
    return Editor(
        request.param, catalogue[FAR], curator=curator, django_user_model=django_user_model
    )


def list_row_ids(paper):
    return set(RelatedPaper.objects.filter(paper=paper).values_list("pk", flat=True))


def test_added_keywords_carry_the_editors_source_in_link_and_provenance(editor):
    editor.add_keywords(BLOG_WORDS)

    paper = Paper.objects.get(pk=editor.paper.pk)
    links = set(paper.keyword_links.values_list("keyword__name", "source"))
    assert links == {(name, editor.link_source) for name in BLOG_WORDS}
    assert paper.provenance["keywords"]["source"] == editor.provenance_source
    assert "science newsletters" in paper.search_document


def test_added_keywords_re_place_the_paper_once_the_edit_is_committed(
    editor, catalogue, tasks_in_process, django_capture_on_commit_callbacks
):
    assert catalogue[BLOGS] not in similar(editor.paper)

    with django_capture_on_commit_callbacks() as callbacks:
        editor.add_keywords(BLOG_WORDS)
    assert catalogue[BLOGS] not in similar(editor.paper)  # not before the commit
    for callback in callbacks:
        callback()

    assert catalogue[BLOGS] in similar(editor.paper)


def test_a_field_the_recommender_does_not_read_is_stamped_and_places_nothing(
    editor, tasks_in_process, django_capture_on_commit_callbacks
):
    rows = list_row_ids(editor.paper)
    assert rows

    with django_capture_on_commit_callbacks(execute=True):
        field = editor.edit_unrecommended_field()

    paper = Paper.objects.get(pk=editor.paper.pk)
    assert paper.provenance[field]["source"] == editor.provenance_source
    # Placing a paper writes its list anew: the same rows mean it was not placed.
    assert list_row_ids(paper) == rows


@pytest.mark.parametrize(
    ("path", "added"), [("import", False), ("curator", True), ("author", False)]
)
def test_a_lock_on_keywords_binds_every_editor_but_the_curator_who_set_it(
    path, added, catalogue, curator, django_user_model, django_capture_on_commit_callbacks
):
    paper = catalogue[FAR]
    Paper.objects.filter(pk=paper.pk).update(locked_fields=["keywords"])
    editor = Editor(path, paper, curator=curator, django_user_model=django_user_model)

    with django_capture_on_commit_callbacks() as callbacks:
        answer = editor.add_keywords(BLOG_WORDS)

    assert paper.keywords.exists() is added
    assert bool(callbacks) is added  # nothing to re-place when nothing changed
    assert ("keywords" in Paper.objects.get(pk=paper.pk).provenance) is added
    if path == "import":
        assert answer == ingest.UNCHANGED
    if path == "author":
        assert "A curator has locked the keywords" in answer.content.decode()


def test_an_authors_keywords_survive_a_registry_import_of_keywords(
    catalogue, curator, django_user_model
):
    paper = catalogue[FAR]
    Editor("author", paper, curator=curator, django_user_model=django_user_model).add_keywords(
        ["science blogs"]
    )

    ingest.apply_keywords(paper.doi, ["ecology"], source="openalex")
    ingest.apply_keywords(paper.doi, [], source="openalex")

    assert list(paper.keyword_links.values_list("keyword__name", "source")) == [
        ("science blogs", "author")
    ]


def test_the_date_is_stamped_and_locked_as_one_field(curator):
    paper = import_record(JCLINPATH)
    month, day = paper.published_month, paper.published_day
    data = form_data(curator.get(change_url(paper)))
    data.update(published_year="1999", locked_fields=["published"])

    response = curator.post(change_url(paper), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    paper.refresh_from_db()
    assert paper.provenance["published"]["source"] == "curator admin"
    assert "published_year" not in paper.provenance
    changed_record = dataclasses.replace(record(JCLINPATH), published=None)
    ingest.upsert_work(changed_record)
    paper.refresh_from_db()
    assert (paper.published_year, paper.published_month, paper.published_day) == (1999, month, day)


def test_the_lock_name_of_a_field():
    assert [curation.lock_name(n) for n in ("published_month", "title", "keywords")] == [
        "published",
        "title",
        "keywords",
    ]
