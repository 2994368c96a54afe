"""`manage.py send_digests`: the digests by hand, with the same code as the workers, and the
beat task that fans them out."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import Profile
from portal.celery import app as celery_app
from recommendations import digests
from recommendations.models import Digest
from tests.factories import PaperFactory, RecommendationFactory, UserFactory

WEEK = digests.period_key("weekly")


@pytest.fixture
def readers(db):
    """Three readers with one pick each, and one reader with nothing new."""
    people = [UserFactory(username=name) for name in ("ann", "ben", "cid")]
    for person in people:
        RecommendationFactory(user=person, paper=PaperFactory(title=f"A paper for {person}"))
    UserFactory(username="idle")
    return people


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("send_digests", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_it_sends_each_reader_due_one_digest_and_sums_up(readers):
    output = run("--period", "weekly")

    assert sorted(m.to[0] for m in mail.outbox) == [
        "ann@example.org",
        "ben@example.org",
        "cid@example.org",
    ]
    assert f"weekly digests {WEEK}: sent 3, nothing new 1" in output
    assert "failed 0 (of 4 users)" in output


def test_run_again_it_sends_nothing_more(readers):
    run("--period", "weekly")
    output = run("--period", "weekly")

    assert len(mail.outbox) == 3
    assert "sent 0, nothing new 1" in output  # the three sent are no longer due


def test_dry_run_renders_and_records_nothing(readers):
    output = run("--period", "weekly", "--dry-run")

    assert mail.outbox == [] and not Digest.objects.exists()
    assert "ann@example.org: [Research Portal] Your weekly digest: 1 recommended paper" in output
    assert "would send 3" in output
    assert run("--period", "weekly").count("sent 3") == 1  # still due afterwards


def test_one_user_by_email(readers):
    output = run("--period", "weekly", "--user", "BEN@example.org")

    assert [m.to for m in mail.outbox] == [["ben@example.org"]]
    assert "sent 1" in output and "(of 1 users)" in output


def test_an_unknown_user_is_a_clear_error(readers):
    with pytest.raises(CommandError, match="No user has the email address"):
        run("--user", "nobody@example.org")


def test_a_user_not_due_that_period_gets_nothing(readers):
    Profile.objects.filter(user__username="ann").update(recommendation_frequency="monthly")

    output = run("--period", "weekly", "--user", "ann@example.org")

    assert mail.outbox == [] and "nothing new 1" in output


def test_a_backend_failure_mid_batch_is_retried_recorded_and_the_batch_goes_on(readers, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = ["ben@example.org"]  # the second of three
    settings.DIGEST_SEND_ATTEMPTS = 3

    output = run("--period", "weekly", "--retry-pause", "0")

    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "cid@example.org"]
    assert "sent 2" in output and "failed 1" in output
    failed = Digest.objects.get(user__username="ben")
    assert failed.status == "failed" and failed.attempts == 3
    assert "SMTPRecipientsRefused" in failed.error and "ben@example.org" in failed.error


@pytest.fixture
def eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_the_beat_task_fans_out_one_task_per_user_in_batches(readers, settings, eager_tasks):
    settings.DIGEST_BATCH_SIZE = 2  # 4 users due: this batch of 2, then the next run's

    enqueued = digests.send_digests.apply(args=("weekly",)).get()

    assert enqueued == 2
    assert len(mail.outbox) == 3  # both batches ran; "idle" had nothing new
    assert Digest.objects.filter(period_key=WEEK, email__status="sent").count() == 3
    assert digests.send_digests.apply(args=("weekly",)).get() == 1  # only "idle" is still due
    assert len(mail.outbox) == 3


def test_the_per_user_task_retries_a_failed_send_then_keeps_the_error(
    readers, settings, eager_tasks
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = ["ann@example.org"]
    ann = readers[0]

    result = digests.send_digest.apply(args=(ann.pk, "weekly", WEEK))

    assert isinstance(result.result, digests.DigestFailed)
    digest = Digest.objects.get(user=ann)
    assert digest.status == "failed"
    assert digest.attempts == digests.send_digest.max_retries + 1 == settings.DIGEST_SEND_ATTEMPTS
    assert mail.outbox == []
