"""Every email the portal sends to a user carries List-Unsubscribe + List-Unsubscribe-Post
(RFC 8058) and a visible unsubscribe link for its kind, and respects the preference centre:
"at once" sends it, a digest frequency or "off" does not."""

import itertools

import django.core.signing
import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts import claims, unsubscribe
from accounts.emails import send_claim_decision
from accounts.models import EmailKind, Profile
from reviews import notifications
from reviews.models import ResourceAnswer, ResourceRequest, Review
from tests.conftest import authorship_of


def assert_can_unsubscribe(message, user, kind):
    """The header and the footer hold the same signed link, for this user and kind."""
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    url = header[1:-1]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert unsubscribe.read(token) == (user.pk, [kind])
    assert settings.SITE_URL + "/accounts/profile/#email-preferences" in message.body


@pytest.fixture
def asked(alice, paper):
    return ResourceRequest.objects.create(
        paper=paper, requester=alice, kind="code", message="The scripts?"
    )


def test_a_claim_decision(alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator, reason="ok")
    mail.outbox.clear()

    send_claim_decision(claim.decisions.get().pk)

    assert_can_unsubscribe(mail.outbox[0], alice, EmailKind.CLAIM_DECISIONS)


def test_the_header_and_the_footer_hold_one_link_even_when_the_clock_ticks_between(
    alice, paper, curator, monkeypatch
):
    # Seen in CI on a loaded machine: the link was signed twice, a second apart.
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator, reason="ok")
    mail.outbox.clear()
    seconds = itertools.count(1_800_000_000)  # every reading of the clock a second later
    monkeypatch.setattr(django.core.signing.time, "time", lambda: next(seconds))

    send_claim_decision(claim.decisions.get().pk)

    assert_can_unsubscribe(mail.outbox[0], alice, EmailKind.CLAIM_DECISIONS)


def test_a_claim_decision_waits_for_the_digest_when_chosen(alice, paper, curator):
    Profile.objects.filter(user=alice).update(claim_decisions_frequency="weekly")
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator, reason="ok")
    mail.outbox.clear()

    assert send_claim_decision(claim.decisions.get().pk) == 0
    assert mail.outbox == []


def test_a_resource_request_to_the_author(carol, paper, asked):
    notifications.tell_author_of_requests(carol, paper, [asked])

    assert_can_unsubscribe(mail.outbox[0], carol, EmailKind.PAPER_ACTIVITY)


@pytest.mark.parametrize("frequency", ["daily", "off"])
def test_no_resource_request_email_unless_wanted_at_once(carol, paper, asked, frequency):
    Profile.objects.filter(user=carol).update(paper_activity_frequency=frequency)
    carol.refresh_from_db()

    notifications.tell_author_of_requests(carol, paper, [asked])

    assert mail.outbox == []


def test_a_title_with_a_newline_cannot_break_the_subject(carol, paper, asked):
    paper.title = "Tea parties\r\nBcc: everyone@example.org"
    paper.save()

    notifications.tell_author_of_requests(carol, paper, [asked])

    message = mail.outbox[0]
    assert message.subject == (
        "Readers ask for resources of your paper: Tea parties Bcc: everyone@example.org"
    )
    headers = message.message().as_bytes().decode().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers


def test_an_answer_and_a_status_change_to_the_asker(alice, bob, asked):
    answer = ResourceAnswer.objects.create(request=asked, user=bob, text="Here.")
    ResourceRequest.objects.filter(pk=asked.pk).update(
        status="acknowledged", status_changed_at=timezone.now()
    )

    notifications.tell_asker_answered(answer.pk)
    notifications.tell_asker_status(asked.pk)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert_can_unsubscribe(message, alice, EmailKind.REQUEST_ANSWERS)


def test_no_answer_email_when_answers_come_in_a_digest(alice, bob, asked):
    Profile.objects.filter(user=alice).update(request_answers_frequency="weekly")
    answer = ResourceAnswer.objects.create(request=asked, user=bob, text="Here.")

    notifications.tell_asker_answered(answer.pk)
    notifications.tell_asker_status(asked.pk)

    assert mail.outbox == []


def hidden_review(user, paper):
    return Review.objects.create(
        paper=paper,
        user=user,
        rating=3,
        is_hidden=True,
        hidden_reason="Spam.",
        hidden_at=timezone.now(),
    )


def test_a_hidden_review_and_a_retraction_notice(alice, paper):
    review = hidden_review(alice, paper)
    notifications.tell_reviewer_hidden(review.pk)
    paper.is_retracted = True
    paper.save()
    notifications.tell_raters_of_retraction(paper.pk)

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert_can_unsubscribe(message, alice, EmailKind.REVIEW_NOTICES)


def test_review_notices_turned_off_send_nothing(alice, paper):
    Profile.objects.filter(user=alice).update(review_notices=False)
    alice.profile.refresh_from_db()
    review = hidden_review(alice, paper)
    notifications.tell_reviewer_hidden(review.pk)
    paper.is_retracted = True
    paper.save()
    notifications.tell_raters_of_retraction(paper.pk)

    assert mail.outbox == []
