"""The owner's edit page, the API token, export as JSON and account deletion. (The public
profile page, which portal composes: tests/portal/test_profile_page.py.)"""

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts import claims
from accounts.models import Claim, ClaimDecision, Profile
from tests.conftest import PASSWORD, authorship_of
from tests.factories import (
    CategoryFactory,
    KeywordFactory,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
EDIT = reverse("accounts:profile-edit")


def profile_url(user):
    return reverse("accounts:profile", args=[user.pk])


def test_the_owner_edits_the_profile(client, alice):
    category, keyword = CategoryFactory(name="Logic"), KeywordFactory(name="paradoxes")
    client.force_login(alice)

    response = client.post(
        EDIT,
        {
            "display_name": "A. Liddell",
            "affiliation": "Wonderland",
            "orcid": "https://orcid.org/0000-0002-1694-233x",
            "bio": "Falls down rabbit holes.",
            "interest_categories": [category.pk],
            "interest_keywords": "PARADOXES, ",
            "recommendation_frequency": "monthly",
        },
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=alice)
    assert profile.display_name == "A. Liddell" and profile.affiliation == "Wonderland"
    assert profile.orcid == "0000-0002-1694-233X" and not profile.orcid_proven
    assert list(profile.interest_categories.all()) == [category]
    assert list(profile.interest_keywords.all()) == [keyword]
    assert profile.recommendation_frequency == "monthly"


@pytest.mark.parametrize(
    ("orcid", "message"),
    [
        ("0000-0002-1825-0098", "checksum"),
        ("1234", "16 characters"),
    ],
)
def test_a_bad_orcid_is_refused_with_a_clear_message(client, alice, orcid, message):
    client.force_login(alice)

    response = client.post(EDIT, {"orcid": orcid, "recommendation_frequency": "weekly"})

    assert response.status_code == 200 and message in response.content.decode()
    assert Profile.objects.get(user=alice).orcid is None


def test_an_orcid_on_another_profile_is_refused(client, alice, bob):
    Profile.objects.filter(user=bob).update(orcid="0000-0002-1825-0097")
    client.force_login(alice)

    response = client.post(
        EDIT, {"orcid": "0000000218250097", "recommendation_frequency": "weekly"}
    )

    assert "Another researcher" in response.content.decode()
    assert Profile.objects.get(user=alice).orcid is None


def test_a_proven_orcid_cannot_be_changed_on_the_form(client, alice):
    Profile.objects.filter(user=alice).update(orcid="0000-0002-1825-0097", orcid_proven=True)
    client.force_login(alice)

    client.post(EDIT, {"orcid": "0000-0001-5109-3700", "recommendation_frequency": "off"})

    profile = Profile.objects.get(user=alice)
    assert profile.orcid == "0000-0002-1825-0097" and profile.orcid_proven
    assert profile.recommendation_frequency == "off"


def test_an_unknown_keyword_is_refused_by_name(client, alice):
    KeywordFactory(name="paradoxes")
    client.force_login(alice)

    response = client.post(
        EDIT, {"interest_keywords": "paradoxes, snarks", "recommendation_frequency": "weekly"}
    )

    assert "Not a keyword of the catalogue: snarks." in response.content.decode()
    assert not Profile.objects.get(user=alice).interest_keywords.exists()


def test_the_edit_page_shows_the_chosen_keywords_by_name(client, alice):
    alice.profile.interest_keywords.add(KeywordFactory(name="Knots"), KeywordFactory(name="tea"))
    client.force_login(alice)

    html = client.get(EDIT).content.decode()

    assert 'value="Knots, tea"' in html


def test_a_bio_over_the_limit_is_refused(client, alice):
    client.force_login(alice)

    response = client.post(
        EDIT, {"bio": "x" * (Profile.BIO_MAX_LENGTH + 1), "recommendation_frequency": "weekly"}
    )

    assert "at most 1000 characters" in response.content.decode()


def test_the_edit_page_needs_a_log_in(client):
    response = client.get(EDIT)

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_token_is_shown_to_its_owner_and_can_be_regenerated_and_revoked(client, alice):
    client.force_login(alice)

    client.post(reverse("accounts:api-token"), {"action": "regenerate"})
    first = Token.objects.get(user=alice).key
    assert first in client.get(EDIT).content.decode()
    client.post(reverse("accounts:api-token"), {"action": "regenerate"})
    second = Token.objects.get(user=alice).key
    assert second != first
    client.post(reverse("accounts:api-token"), {"action": "revoke"})
    assert not Token.objects.filter(user=alice).exists()
    assert second not in client.get(EDIT).content.decode()


def test_the_token_never_appears_on_the_public_profile(client, alice):
    token = Token.objects.create(user=alice)
    client.force_login(alice)

    assert token.key not in client.get(profile_url(alice)).content.decode()


def test_the_export_holds_profile_emails_claims_and_decisions(client, alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator, reason="Looks right.")
    client.force_login(alice)

    response = client.get(reverse("accounts:export"))

    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["user"]["username"] == "alice"
    assert data["emails"] == [{"email": "alice@example.org", "verified": True, "primary": True}]
    assert data["profile"]["recommendation_frequency"] == "weekly"
    (exported,) = data["claims"]
    assert exported["status"] == "verified" and exported["author_name"] == "Alice Liddell"
    assert exported["decisions"][0]["reason"] == "Looks right."
    assert "password" not in json.dumps(data)


def test_deleting_needs_the_password(client, alice):
    client.force_login(alice)

    response = client.post(reverse("accounts:delete"), {"password": "not my password"})

    assert "This is not your password." in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_deleting_removes_profile_claims_tokens_emails_and_social_accounts(
    client, alice, paper, curator
):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator)
    Token.objects.create(user=alice)
    SocialAccount.objects.create(user=alice, provider="orcid", uid="0000-0002-1825-0097")
    client.force_login(alice)

    response = client.post(reverse("accounts:delete"), {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Profile.objects.filter(user_id=alice.pk).exists()
    assert not Claim.objects.exists() and not ClaimDecision.objects.exists()
    assert not Token.objects.exists() and not SocialAccount.objects.exists()
    assert not EmailAddress.objects.filter(email="alice@example.org").exists()
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_password_confirms_with_their_username(client, alice):
    alice.set_unusable_password()  # signed up with ORCID only
    alice.save()
    client.force_login(alice)

    wrong = client.post(reverse("accounts:delete"), {"password": "bob"})
    client.post(reverse("accounts:delete"), {"password": "alice"})

    assert "This is not your username." in wrong.content.decode()
    assert not User.objects.filter(pk=alice.pk).exists()


def test_a_deleted_curator_leaves_their_decisions_without_a_name(alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator)

    curator.delete()

    decision = ClaimDecision.objects.get()
    assert decision.decided_by is None and decision.verdict == "approved"
