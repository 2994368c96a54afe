"""The permission matrix: anonymous / user / another user / verified author / curator,
against every claim, profile, summary and keyword view and endpoint.

alice owns the claim under test (a pending claim on the paper's second author); bob is
"another user"; carol is the verified author of the paper's first author.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import claims
from accounts.models import Claim, Profile
from tests.conftest import authorship_of

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alice", "bob", "carol", "curator"]


@pytest.fixture
def world(alice, bob, carol, curator, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    return {
        "people": {"alice": alice, "bob": bob, "carol": carol, "curator": curator},
        "claim": claim,
        "paper": paper,
    }


def client_as(client, world, role):
    if role != "anonymous":
        client.force_login(world["people"][role])
    return client


def api_as(world, role):
    api = APIClient()
    if role != "anonymous":
        api.force_authenticate(world["people"][role])
    return api


def outcome(status):
    """Allowed (2xx/3xx that is not a log-in redirect) or refused."""
    return "allowed" if status < 400 else "refused"


# --- pages ---

WITHDRAW_PAGE = {"anonymous": False, "alice": True, "bob": False, "carol": False, "curator": False}


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_page(client, world, role):
    claim = world["claim"]
    response = client_as(client, world, role).post(
        reverse("accounts:claim-withdraw", args=[claim.pk])
    )

    claim.refresh_from_db()
    assert (claim.status == "withdrawn") is WITHDRAW_PAGE[role]
    if role == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", ROLES)
def test_claim_page_claims_only_for_oneself(client, world, role):
    authorship = authorship_of(world["paper"], 2)
    client_as(client, world, role).post(reverse("accounts:claim-confirm", args=[authorship.pk]))

    claim = Claim.objects.active().filter(authorship=authorship).first()
    if role in ("anonymous", "carol", "alice"):
        # anonymous must log in; carol and alice already hold an authorship on this paper
        assert claim is None
    else:
        assert claim.user == world["people"][role]


SUMMARY_AND_KEYWORDS = {
    "anonymous": "login",
    "alice": 403,
    "bob": 403,
    "carol": 302,
    "curator": 403,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("accounts:paper-summary", {"summary": "New."}),
        ("accounts:paper-keywords", {"keywords": "new"}),
    ],
)
def test_summary_and_keyword_pages(client, world, role, name, data):
    paper = world["paper"]
    url = reverse(name, args=[paper.pk])
    client = client_as(client, world, role)

    get, post = client.get(url), client.post(url, data)

    expected = SUMMARY_AND_KEYWORDS[role]
    if expected == "login":
        assert post.status_code == 302 and post.url.startswith(reverse("login"))
    elif expected == 403:
        assert get.status_code == post.status_code == 403
    else:
        assert get.status_code == 200 and post.status_code == 302
    paper.refresh_from_db()
    changed = paper.summary == "New." or paper.keywords.filter(name="new").exists()
    assert changed is (role == "carol")


@pytest.mark.parametrize("role", ROLES)
def test_profile_edit_page_edits_only_ones_own_profile(client, world, role):
    response = client_as(client, world, role).post(
        reverse("accounts:profile-edit"),
        {"affiliation": f"set by {role}", "recommendation_frequency": "weekly"},
    )

    changed = Profile.objects.filter(affiliation=f"set by {role}").values_list(
        "user__username", flat=True
    )
    if role == "anonymous":
        assert response.url.startswith(reverse("login")) and not changed
    else:
        assert list(changed) == [role]


# --- API ---


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "refused"),
        ("alice", "allowed"),
        ("bob", "refused"),
        ("carol", "refused"),
        ("curator", "refused"),
    ],
)
def test_api_withdraw(world, role, expected):
    claim = world["claim"]

    response = api_as(world, role).post(f"/api/v1/claims/{claim.pk}/withdraw/")

    assert outcome(response.status_code) == expected
    claim.refresh_from_db()
    assert (claim.status == "withdrawn") is (expected == "allowed")


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "refused"),
        ("alice", "refused"),
        ("bob", "refused"),
        ("carol", "refused"),
        ("curator", "allowed"),
    ],
)
def test_api_approve_and_reject(world, role, expected, action):
    claim = world["claim"]

    response = api_as(world, role).post(
        f"/api/v1/claims/{claim.pk}/{action}/", {"reason": "checked"}, format="json"
    )

    assert outcome(response.status_code) == expected
    claim.refresh_from_db()
    assert (claim.status != "pending") is (expected == "allowed")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", "refused"),
        ("alice", "allowed"),
        ("bob", "refused"),
        ("carol", "refused"),
        ("curator", "allowed"),
    ],
)
def test_api_read_a_claim(world, role, expected):
    response = api_as(world, role).get(f"/api/v1/claims/{world['claim'].pk}/")

    assert outcome(response.status_code) == expected


@pytest.mark.parametrize("role", ROLES)
def test_api_create_claims_only_for_oneself(world, role):
    authorship = authorship_of(world["paper"], 2)
    response = api_as(world, role).post(
        "/api/v1/claims/",
        {"authorship": authorship.pk, "user": world["people"]["alice"].pk},
        format="json",
    )

    claim = Claim.objects.active().filter(authorship=authorship).first()
    if role in ("bob", "curator"):
        assert response.status_code == 201 and claim.user == world["people"][role]
    else:
        assert response.status_code >= 400 and claim is None


@pytest.mark.parametrize("role", ROLES)
def test_api_profiles_change_only_ones_own(world, role):
    api = api_as(world, role)
    alice = world["people"]["alice"]

    other = api.patch(f"/api/v1/researchers/{alice.pk}/", {"bio": f"by {role}"}, format="json")
    me = api.patch("/api/v1/researchers/me/", {"bio": f"by {role}"}, format="json")

    assert other.status_code in (401, 403, 405)
    changed = list(
        Profile.objects.filter(bio=f"by {role}").values_list("user__username", flat=True)
    )
    if role == "anonymous":
        assert me.status_code in (401, 403) and changed == []
    else:
        assert me.status_code == 200 and changed == [role]
