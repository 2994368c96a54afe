"""A digest's signed links: the "not relevant" link records a dismissal without a log-in
(only when untouched and not expired), and the unsubscribe link stops the digest."""

import pytest
from django.urls import reverse

from accounts import signing as email_signing
from accounts import unsubscribe
from accounts.models import EmailKind
from recommendations import digests
from recommendations.models import Dismissal
from tests.accounts.test_unsubscribe import old_token, path_of
from tests.factories import PaperFactory, RecommendationFactory


@pytest.fixture
def link(alice):
    return path_of(unsubscribe.unsubscribe_url(alice.pk, [EmailKind.RECOMMENDATIONS]))


def test_the_button_unsubscribes_at_once_without_a_log_in(client, alice, link):
    RecommendationFactory(user=alice, paper=PaperFactory())

    response = client.post(link)

    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    alice.profile.refresh_from_db()
    assert alice.profile.recommendation_frequency == "off"
    # Other kinds of email stay as they were.
    assert alice.profile.claim_decisions_frequency == "instant"
    assert digests.send(alice.pk, "weekly", digests.period_key("weekly")) == "empty"


def test_the_not_relevant_link_records_a_dismissal_without_a_log_in(client, alice):
    paper = PaperFactory(title="A paper alice does not care for")
    RecommendationFactory(user=alice, paper=paper)
    link = path_of(digests.not_relevant_url(alice.pk, paper.pk))

    asked = client.get(link)
    assert asked.status_code == 200 and b"A paper alice does not care for" in asked.content
    assert not Dismissal.objects.exists()  # a link scanner's GET records nothing

    response = client.post(link)

    assert response.status_code == 200 and b"will not be recommended" in response.content
    assert Dismissal.objects.filter(user=alice, paper=paper).count() == 1
    client.post(link)  # twice: still one
    assert Dismissal.objects.filter(user=alice, paper=paper).count() == 1
    assert not alice.recommendations.for_user(alice).exists()


def test_an_expired_not_relevant_link_records_nothing(client, alice):
    paper = PaperFactory()
    token = old_token(email_signing.NOT_RELEVANT, {"u": alice.pk, "p": paper.pk}, days=400)

    response = client.post(reverse("recommendations:not-relevant", args=[token]))

    assert response.status_code == 400 and not Dismissal.objects.exists()
