"""Digests on the send log of every email (accounts.emails): the digest task claims its
SentEmail row in the transaction that records what the digest holds, and delivers after
commit, so that it sends once however often it runs, and fails as every other email does."""

import pytest
from django.core import mail

from accounts.emails import send_once
from accounts.models import SentEmail
from portal.celery import app as celery_app
from recommendations import digests
from recommendations.models import Digest, EmailedPaper
from tests.factories import PaperFactory, RecommendationFactory, UserFactory
from tests.mail_backends import WorkerDied

WEEK = digests.period_key("weekly")


@pytest.fixture
def reader(db):
    dana = UserFactory(username="dana")
    for rank, title in enumerate(["Snarks and their colourings", "Paradoxes"], start=1):
        RecommendationFactory(user=dana, paper=PaperFactory(title=title), rank=rank)
    return dana


@pytest.fixture
def eager_tasks():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_the_digest_task_run_twice_sends_one_email_logged_as_every_email(reader, eager_tasks):
    first = digests.send_digest.apply(args=(reader.pk, "weekly", WEEK)).get()
    second = digests.send_digest.apply(args=(reader.pk, "weekly", WEEK)).get()

    assert (first, second) == ("sent", "skipped")
    assert [m.to for m in mail.outbox] == [["dana@example.org"]]
    logged = SentEmail.objects.get()
    assert (logged.kind, logged.key, logged.recipient, logged.status, logged.attempts) == (
        "digest",
        f"weekly:{WEEK}",
        reader,
        "sent",
        1,
    )
    assert logged.sent_at is not None
    # The content record points at its send-log row; its papers are recorded as emailed.
    digest = Digest.objects.get()
    assert digest.email == logged and len(digest.items) == 2
    assert EmailedPaper.objects.filter(user=reader, digest=digest).count() == 2


def test_a_task_redelivered_after_the_claim_sends_nothing_more(reader, settings):
    # The worker claimed, wrote the digest and its papers, committed, handed the message to
    # the server, and was killed before it could mark the row: the message may be out.
    settings.EMAIL_BACKEND = "tests.mail_backends.DyingBackend"
    with pytest.raises(WorkerDied):
        digests.send(reader.pk, "weekly", WEEK)
    assert len(mail.outbox) == 1
    claimed = SentEmail.objects.get(kind="digest")
    assert claimed.status == "sending"
    # The claim committed with the papers recorded as emailed, not without them.
    assert Digest.objects.get().email == claimed
    assert EmailedPaper.objects.filter(user=reader).count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert digests.send(reader.pk, "weekly", WEEK) == "skipped"  # the redelivered task

    assert len(mail.outbox) == 1  # at most once
    claimed.refresh_from_db()
    assert claimed.status == "sending" and claimed.attempts == 1


def test_a_failed_delivery_leaves_the_claim_as_send_once_leaves_any_other_email(
    reader, alice, settings
):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = [reader.email, alice.email]
    other = mail.EmailMessage("Hello", "Body.", to=[alice.email])

    with pytest.raises(digests.DigestFailed):
        digests.send(reader.pk, "weekly", WEEK)
    with pytest.raises(OSError):
        send_once(kind=SentEmail.Kind.REQUEST_STATUS, key="7:declined", to=alice, message=other)

    def state(row):
        return (row.status, row.attempts, row.sent_at, row.error.split(":")[0])

    digest_row = SentEmail.objects.get(kind="digest")
    other_row = SentEmail.objects.get(kind="request_status")
    assert (
        state(digest_row)
        == state(other_row)
        == (
            "failed",
            1,
            None,
            "SMTPRecipientsRefused",
        )
    )
    assert reader.email in digest_row.error

    # The next try of each takes its failed row again, and sends.
    settings.TEST_REFUSED_RECIPIENTS = []
    assert digests.send(reader.pk, "weekly", WEEK) == "sent"
    assert send_once(kind=SentEmail.Kind.REQUEST_STATUS, key="7:declined", to=alice, message=other)
    digest_row.refresh_from_db()
    other_row.refresh_from_db()
    assert (digest_row.status, digest_row.attempts, digest_row.error) == ("sent", 2, "")
    assert (other_row.status, other_row.attempts, other_row.error) == ("sent", 2, "")
    assert sorted(m.to[0] for m in mail.outbox) == [alice.email, reader.email]


def test_nothing_new_leaves_no_claim(db):
    erin = UserFactory(username="erin")

    assert digests.send(erin.pk, "weekly", WEEK) == "empty"

    assert not SentEmail.objects.exists() and not Digest.objects.exists()
    # Nor does it stand in the way of a digest once there is something to say.
    RecommendationFactory(user=erin, paper=PaperFactory(title="Late arrival"))
    assert digests.send(erin.pk, "weekly", WEEK) == "sent"


@pytest.mark.parametrize("picks", [1, 5])
def test_sending_a_digest_costs_the_same_queries_for_one_or_many_papers(
    db, picks, django_assert_num_queries
):
    reader = UserFactory(username="many")
    for rank in range(1, picks + 1):
        RecommendationFactory(user=reader, paper=PaperFactory(), rank=rank)

    # 1 the user with profile; 2-3 SAVEPOINT/RELEASE of the transaction (BEGIN/COMMIT in a
    # task); the claim: 4 INSERT SentEmail in its own savepoint (5-6); collect: 7 earlier
    # digests, 8 picks, 9 their authors, 10 verified papers, 11 their follows (none: no
    # more); what it held, in a savepoint (12-13): 14 INSERT Digest, 15 INSERT EmailedPaper
    # (all papers at once), 16 UPDATE the follows' watermarks; after the commit, 17 UPDATE
    # SentEmail "sent".
    with django_assert_num_queries(17):
        assert digests.send(reader.pk, "weekly", WEEK) == "sent"
