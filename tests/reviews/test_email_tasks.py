"""Each email task of the reviews app, run twice as a redelivered message would be, sends
its email once; a refused send is retried without telling anyone twice."""

import smtplib

import pytest
from django.core import mail

from accounts.models import Claim, SentEmail
from reviews import notifications, ratings, resources
from reviews.models import ResourceAnswer, ResourceRequest, Review
from tests.factories import AuthorFactory, AuthorshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def ask(user, paper, message="Could you share the raw data?", kind="data"):
    # The task the asking enqueues is not run here (no on-commit callbacks): the tests do.
    return resources.ask(user=user, paper=paper, kind=kind, message=message)


@pytest.fixture
def dora(paper):
    """A second verified author of ``paper``."""
    dora = UserFactory(username="dora")
    authorship = AuthorshipFactory(paper=paper, position=1, author=AuthorFactory())
    Claim.objects.create(user=dora, authorship=authorship, paper=paper, status="verified")
    return dora


@pytest.fixture
def refusing(settings):
    """An email server that refuses the addresses put in the returned list."""
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = []
    return settings.TEST_REFUSED_RECIPIENTS


# --- review hidden ---


def test_the_hidden_review_email_goes_out_once_and_again_for_another_hiding(alice, paper):
    review, _ = ratings.submit_review(user=alice, paper=paper, rating=1, text="Buy now.")
    curator = UserFactory(is_staff=True)
    ratings.hide_review(review, curator=curator, reason="Advertising.")

    for _ in range(2):
        notifications.tell_reviewer_hidden.apply(args=(review.pk,))
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Advertising." in mail.outbox[0].body

    ratings.restore_review(review)
    notifications.tell_reviewer_hidden.apply(args=(review.pk,))  # restored: nothing to say
    ratings.hide_review(review, curator=curator, reason="Still advertising.")
    for _ in range(2):
        notifications.tell_reviewer_hidden.apply(args=(review.pk,))
    assert len(mail.outbox) == 2 and "Still advertising." in mail.outbox[1].body


# --- retraction ---


def test_a_rater_told_of_a_retraction_is_not_told_again_even_if_unmarked(alice, bob, paper):
    for rater in (alice, bob):
        ratings.submit_review(user=rater, paper=paper, rating=4)
    paper.is_retracted = True
    paper.save()

    assert notifications.tell_raters_of_retraction.apply(args=(paper.pk,)).get() == 2
    # A worker that died after sending, before marking the reviews told: the message is
    # delivered again and finds the send log.
    Review.objects.update(retraction_told_at=None)
    assert notifications.tell_raters_of_retraction.apply(args=(paper.pk,)).get() == 0

    assert sorted(m.to[0] for m in mail.outbox) == [alice.email, bob.email]
    assert Review.objects.filter(retraction_told_at__isnull=True).count() == 0


# --- a new request, to the paper's authors ---


def test_the_authors_hear_of_a_new_request_once(alice, carol, dora, paper):
    asked = ask(alice, paper)

    for _ in range(2):
        resources.tell_authors_of_request.apply(args=(asked.pk,))

    assert sorted(m.to[0] for m in mail.outbox) == [carol.email, dora.email]


def test_a_refused_email_to_an_author_is_retried_and_the_others_are_not_told_twice(
    alice, carol, dora, paper, refusing
):
    asked = ask(alice, paper)
    refusing.append(dora.email)

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        resources.tell_authors_of_request(asked.pk)  # called directly: the error surfaces

    assert [m.to for m in mail.outbox] == [[carol.email]]
    asked.refresh_from_db()
    assert asked.authors_notified_at is None  # given back, for the task's retry
    refused = SentEmail.objects.get(recipient=dora)
    assert refused.status == "failed" and "SMTPRecipientsRefused" in refused.error

    refusing.clear()
    assert resources.tell_authors_of_request(asked.pk) == 1  # the retry
    assert resources.tell_authors_of_request(asked.pk) == 0  # delivered once more
    assert [m.to for m in mail.outbox] == [[carol.email], [dora.email]]
    asked.refresh_from_db()
    assert asked.authors_notified_at is not None


# --- requests that waited, to a newly verified author ---


def verify(user, paper):
    return Claim.objects.create(
        user=user, authorship=paper.authorships.get(), paper=paper, status="verified"
    )


def test_a_new_author_hears_of_the_waiting_requests_once(alice, bob, paper):
    ask(alice, paper, kind="data")
    ask(bob, paper, kind="code")
    carol = UserFactory(username="carol")
    verify(carol, paper)

    for _ in range(2):
        resources.tell_new_author_of_waiting_requests.apply(
            kwargs={"user_id": carol.pk, "paper_id": paper.pk}
        )

    (told,) = mail.outbox
    assert told.to == [carol.email] and told.body.count("Could you share the raw data?") == 2


def test_a_refused_email_of_waiting_requests_is_retried_once(alice, paper, refusing):
    asked = ask(alice, paper)
    carol = UserFactory(username="carol")
    verify(carol, paper)
    refusing.append(carol.email)

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        resources.tell_new_author_of_waiting_requests(user_id=carol.pk, paper_id=paper.pk)
    asked.refresh_from_db()
    assert asked.authors_notified_at is None and mail.outbox == []

    refusing.clear()
    for _ in range(2):
        resources.tell_new_author_of_waiting_requests(user_id=carol.pk, paper_id=paper.pk)
    assert [m.to for m in mail.outbox] == [[carol.email]]
    assert SentEmail.objects.get().attempts == 2


# --- answers and status changes, to the asker ---


def test_the_asker_hears_of_an_answer_once(alice, bob, paper):
    asked = ask(alice, paper)
    answer = resources.answer(user=bob, resource_request=asked, text="On Zenodo.")

    for _ in range(2):
        notifications.tell_asker_answered.apply(args=(answer.pk,))

    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert ResourceAnswer.objects.count() == 1


def test_the_asker_hears_of_each_status_once(alice, carol, paper):
    asked = ask(alice, paper)
    resources.acknowledge(asked, by=carol)
    for _ in range(2):
        notifications.tell_asker_status.apply(args=(asked.pk,))
    resources.fulfil(asked, by=carol, link="https://zenodo.org/records/1")
    for _ in range(2):
        notifications.tell_asker_status.apply(args=(asked.pk,))

    assert [m.subject for m in mail.outbox] == [
        "Your resource request is acknowledged",
        "Your resource request is fulfilled",
    ]
    assert ResourceRequest.objects.get().status == "fulfilled"
