"""The signed unsubscribe link (footer and List-Unsubscribe header): it works without a
log-in, at once, and only when untouched and not expired. (The "not relevant" link and
unsubscribing from the digest: tests/recommendations/test_email_links.py.)"""

import json
import time

import pytest
from django.core import mail, signing
from django.urls import reverse

from accounts import signing as email_signing
from accounts import unsubscribe
from accounts.models import EmailKind, Profile
from tests.factories import PaperFactory


def path_of(url):
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def old_token(purpose, value, *, days):
    """A token signed ``days`` ago: TimestampSigner with its clock turned back."""

    class Backdated(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * 24 * 3600)

    return Backdated(salt=purpose).sign_object(value)


@pytest.fixture
def link(alice):
    return path_of(unsubscribe.unsubscribe_url(alice.pk, [EmailKind.RECOMMENDATIONS]))


def test_opening_the_link_asks_and_changes_nothing(client, alice, link):
    response = client.get(link)

    assert response.status_code == 200
    assert b"recommendation digest" in response.content and b"<button" in response.content
    alice.profile.refresh_from_db()
    assert alice.profile.recommendation_frequency == "weekly"


def test_a_mail_clients_one_click_post_unsubscribes(client, alice, link):
    # RFC 8058: the client POSTs this body to the List-Unsubscribe URL, with no cookie.
    response = client.post(
        link,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert Profile.objects.get(user=alice).recommendation_frequency == "off"


def test_unsubscribing_twice_is_harmless(client, alice, link):
    client.post(link)
    response = client.post(link)

    assert response.status_code == 200
    assert Profile.objects.get(user=alice).recommendation_frequency == "off"


def test_a_tampered_link_is_refused_and_changes_nothing(client, alice, link):
    token = link.rstrip("/").rsplit("/", 1)[1]
    body, signature = token.rsplit(":", 1)
    tampered = link.replace(token, f"{body}:{signature[::-1]}")

    response = client.post(tampered)

    assert response.status_code == 400 and b"not valid" in response.content
    assert Profile.objects.get(user=alice).recommendation_frequency == "weekly"


def test_a_link_for_another_user_cannot_be_forged_by_editing_the_id(client, alice, bob):
    token = unsubscribe.unsubscribe_url(alice.pk, [EmailKind.RECOMMENDATIONS]).rstrip("/")
    token = token.rsplit("/", 1)[1]
    payload, timestamp, signature = token.split(":")
    value = json.loads(signing.b64_decode(payload.encode()))
    edited = signing.b64_encode(json.dumps({**value, "u": bob.pk}).encode()).decode()

    forged = ":".join([edited, timestamp, signature])
    response = client.post(reverse("accounts:unsubscribe", args=[forged]))

    assert response.status_code == 400
    assert Profile.objects.get(user=bob).recommendation_frequency == "weekly"


def test_an_expired_link_says_so_and_changes_nothing(client, alice, settings):
    settings.EMAIL_LINK_MAX_AGE_DAYS = 60
    token = old_token(email_signing.UNSUBSCRIBE, {"u": alice.pk, "k": ["recommendations"]}, days=61)

    response = client.post(reverse("accounts:unsubscribe", args=[token]))

    assert response.status_code == 400 and b"has expired" in response.content
    assert Profile.objects.get(user=alice).recommendation_frequency == "weekly"


def test_a_link_still_within_its_age_works(client, alice, settings):
    settings.EMAIL_LINK_MAX_AGE_DAYS = 60
    token = old_token(email_signing.UNSUBSCRIBE, {"u": alice.pk, "k": ["recommendations"]}, days=59)

    assert client.post(reverse("accounts:unsubscribe", args=[token])).status_code == 200
    assert Profile.objects.get(user=alice).recommendation_frequency == "off"


def test_a_not_relevant_token_does_not_unsubscribe(client, alice):
    paper = PaperFactory()
    # The token of a digest's "not relevant" link (recommendations.digests.not_relevant_url).
    token = email_signing.make_token(email_signing.NOT_RELEVANT, {"u": alice.pk, "p": paper.pk})

    response = client.post(reverse("accounts:unsubscribe", args=[token]))

    assert response.status_code == 400


def test_every_email_footer_links_to_the_preference_centre(alice, paper, curator):
    from accounts import claims
    from tests.conftest import authorship_of

    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator, reason="ok")
    from accounts.emails import send_claim_decision

    mail.outbox.clear()
    send_claim_decision(claim.decisions.get().pk)

    message = mail.outbox[0]
    assert "/accounts/profile/#email-preferences" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
