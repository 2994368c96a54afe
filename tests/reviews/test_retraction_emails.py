"""When a refresh finds a new retraction notice, the readers who rated the paper are told."""

import dataclasses

import pytest
from django.core import mail

from papers.ingest import upsert_work
from portal.celery import app as celery_app
from reviews.models import Review
from reviews.notifications import tell_raters_of_retraction
from reviews.ratings import submit_review
from tests.factories import UserFactory
from tests.papers.test_ingest import list_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated():
    """A real recorded paper (with a correction notice), rated by two readers."""
    corrected = list_item(6)
    paper, _ = upsert_work(corrected)
    for name, rating in (("ana", 5), ("ben", 2)):
        submit_review(user=UserFactory(username=name), paper=paper, rating=rating)
    return corrected, paper


def retracted(record):
    notice = dataclasses.replace(record.updates[0], kind="retraction", label="Retraction")
    return dataclasses.replace(record, updates=(notice,))


@pytest.fixture
def tasks_run_here():
    """Tasks run in this process when sent (the real task code, without a worker)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_a_refresh_that_finds_a_retraction_emails_each_rater_once(
    rated, tasks_run_here, django_capture_on_commit_callbacks
):
    record, paper = rated

    with django_capture_on_commit_callbacks(execute=True):
        upsert_work(retracted(record))
    with django_capture_on_commit_callbacks(execute=True):
        upsert_work(retracted(record))  # the next refresh: nothing new

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "ben@example.org"]
    body = mail.outbox[0].body
    assert "has been retracted" in body and paper.title in body
    assert paper.get_absolute_url() in body
    assert Review.objects.filter(retraction_told_at__isnull=True).count() == 0


def test_an_import_without_a_new_retraction_tells_nobody(
    rated, tasks_run_here, django_capture_on_commit_callbacks
):
    record, _ = rated
    with django_capture_on_commit_callbacks(execute=True):
        upsert_work(dataclasses.replace(record, title="A corrected title"))
    assert mail.outbox == []


def test_telling_again_sends_nothing_more_and_skips_deleted_accounts(rated):
    record, paper = rated
    upsert_work(retracted(record))  # on_commit callbacks not run: told by hand below
    Review.objects.get(user__username="ben").user.delete()

    assert tell_raters_of_retraction(paper.pk) == 1
    assert tell_raters_of_retraction(paper.pk) == 0
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
