"""The admin's "Refresh metadata" action and the read-only Metadata fieldset of a paper.

Requests go through the real admin; the fetches the action enqueues after commit are
captured (``django_capture_on_commit_callbacks``), never sent.
"""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from papers.models import Paper
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

PAPERS = reverse("admin:papers_paper_changelist")
Status = Paper.MetadataStatus


@pytest.fixture
def admin_client(client, django_user_model):
    """A logged-in superuser, made without a password: hashing one is slow and not tested."""
    user = django_user_model.objects.create(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def refresh(client, papers):
    data = {"action": "refresh_metadata", ACTION_CHECKBOX_NAME: [p.pk for p in papers]}
    return client.post(PAPERS, data, follow=True)


def messages_of(response):
    return [(m.level_tag, m.message) for m in response.context["messages"]]


def test_refreshing_marks_the_papers_pending_and_enqueues_their_fetch(
    admin_client, django_capture_on_commit_callbacks
):
    failed = PaperFactory(metadata_status=Status.FAILED, metadata_error="Crossref timed out")
    fetched = PaperFactory(metadata_status=Status.FETCHED)
    untouched = PaperFactory(metadata_status=Status.FETCHED)

    with django_capture_on_commit_callbacks() as callbacks:
        response = refresh(admin_client, [failed, fetched])

    assert response.status_code == 200
    assert messages_of(response) == [("success", "Metadata refresh requested for 2 papers.")]
    # One task fetches both (papers.metadata.fetch_metadata_batch: one Crossref request).
    assert len(callbacks) == 1
    statuses = dict(Paper.objects.values_list("pk", "metadata_status"))
    assert statuses == {
        failed.pk: Status.PENDING,
        fetched.pk: Status.PENDING,
        untouched.pk: Status.FETCHED,
    }
    # Pending with a time after which a lost task is enqueued again.
    assert Paper.objects.get(pk=failed.pk).metadata_retry_at > timezone.now()


def test_papers_without_a_doi_are_skipped_with_a_warning(
    admin_client, django_capture_on_commit_callbacks
):
    with_doi = PaperFactory(metadata_status=Status.FETCHED)
    without = PaperFactory.create_batch(2, doi=None)

    with django_capture_on_commit_callbacks() as callbacks:
        response = refresh(admin_client, [with_doi, *without])

    assert messages_of(response) == [
        ("success", "Metadata refresh requested for 1 paper."),
        ("warning", "Skipped 2 papers without a DOI: there is no record to fetch."),
    ]
    assert len(callbacks) == 1
    assert {p.metadata_status for p in Paper.objects.filter(doi=None)} == {Status.CURATED}


def test_only_papers_without_a_doi_enqueue_nothing(
    admin_client, django_capture_on_commit_callbacks
):
    paper = PaperFactory(doi=None)

    with django_capture_on_commit_callbacks() as callbacks:
        response = refresh(admin_client, [paper])

    assert messages_of(response) == [
        ("warning", "Skipped 1 paper without a DOI: there is no record to fetch."),
    ]
    assert callbacks == []


def test_a_curator_who_may_only_view_papers_has_no_refresh_action(
    client, django_user_model, django_capture_on_commit_callbacks
):
    viewer = django_user_model.objects.create(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_paper"))
    client.force_login(viewer)
    paper = PaperFactory(metadata_status=Status.FETCHED)

    listed = client.get(PAPERS)
    with django_capture_on_commit_callbacks() as callbacks:
        refresh(client, [paper])

    assert listed.status_code == 200
    assert "refresh_metadata" not in listed.content.decode()
    assert callbacks == []
    assert Paper.objects.get(pk=paper.pk).metadata_status == Status.FETCHED


def test_the_paper_list_offers_the_action_and_filters_by_metadata_status(admin_client):
    PaperFactory(metadata_status=Status.NOT_FOUND)
    PaperFactory(metadata_status=Status.FETCHED)

    html = admin_client.get(PAPERS).content.decode()
    filtered = admin_client.get(PAPERS, {"metadata_status__exact": "not_found"})

    assert '<option value="refresh_metadata">Refresh metadata</option>' in html
    assert [p.metadata_status for p in filtered.context["cl"].result_list] == [Status.NOT_FOUND]


def test_the_change_form_shows_the_metadata_read_only(admin_client):
    retry_at = timezone.now() + datetime.timedelta(days=1)
    paper = PaperFactory(
        metadata_status=Status.FAILED,
        metadata_source="crossref",
        metadata_fetched_at=timezone.now() - datetime.timedelta(days=30),
        metadata_retry_at=retry_at,
        metadata_error="Crossref answered 503 three times",
    )

    response = admin_client.get(reverse("admin:papers_paper_change", args=[paper.pk]))

    html = response.content.decode()
    fieldsets = {fs.name: fs for fs in response.context["adminform"]}
    shown = [field for line in fieldsets["Metadata"] for field in line]
    assert [f.field["name"] for f in shown] == [
        "metadata_status",
        "metadata_source",
        "metadata_fetched_at",
        "metadata_retry_at",
        "metadata_error",
        "enrichment_status",
        "enriched_at",
        "enrichment_error",
    ]
    assert all(f.is_readonly for f in shown)
    form_fields = response.context["adminform"].form.fields
    assert not {f.field["name"] for f in shown} & set(form_fields)
    assert "Fetch failed" in html  # the status label, not the stored value
    assert "Crossref answered 503 three times" in html
    assert 'name="metadata_status"' not in html


def test_saving_the_form_leaves_the_metadata_status_alone(admin_client):
    paper = PaperFactory(metadata_status=Status.FETCHED, metadata_source="datacite")
    url = reverse("admin:papers_paper_change", args=[paper.pk])
    # Posted anyway, as a tampered form would: read-only fields are not taken.
    data = {
        "title": "A curated title",
        "work_type": "journal-article",
        "doi": paper.doi,
        "metadata_status": "pending",
        "isbns": "[]",
    }
    inlines = [
        "authorships",
        "keyword_links",
        "category_links",
        "fundings",
        "notices",
        "references",
    ]
    for prefix in inlines:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    paper.refresh_from_db()
    assert paper.title == "A curated title"
    assert (paper.metadata_status, paper.metadata_source) == (Status.FETCHED, "datacite")
