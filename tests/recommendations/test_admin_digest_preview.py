"""Curators preview any user's next digest in the admin: rendered, never sent."""

import pytest
from django.core import mail
from django.urls import reverse

from recommendations.models import Digest
from tests.factories import PaperFactory, RecommendationFactory, UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


def test_the_preview_shows_both_parts_and_sends_nothing(client, admin_user, alice):
    RecommendationFactory(user=alice, paper=PaperFactory(title="<em>Snarks</em> revisited"))
    client.force_login(admin_user)

    response = client.get(reverse("admin:accounts_user_digest_preview", args=[alice.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your weekly digest: 1 recommended paper" in html
    assert "srcdoc=" in html and "sandbox" in html
    # Escaped twice over in srcdoc (once by the email, once as an attribute): never markup.
    assert "<em>Snarks</em>" not in html
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in html
    assert mail.outbox == [] and not Digest.objects.exists()


def test_the_preview_says_when_nothing_would_be_sent(client, admin_user, bob):
    client.force_login(admin_user)

    response = client.get(
        reverse("admin:accounts_user_digest_preview", args=[bob.pk]) + "?period=monthly"
    )

    assert response.status_code == 200
    assert "Nothing new" in response.content.decode()


def test_the_user_list_action_leads_to_the_preview(client, admin_user, alice):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "preview_digest", "_selected_action": [alice.pk]},
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:accounts_user_digest_preview", args=[alice.pk])


def test_people_without_admin_access_cannot_preview(client, bob, alice):
    client.force_login(bob)

    response = client.get(reverse("admin:accounts_user_digest_preview", args=[alice.pk]))

    assert response.status_code == 302 and "/login/" in response.url
