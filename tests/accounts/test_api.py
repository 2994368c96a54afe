"""The accounts API: researchers/me (GET, PATCH), public profiles, claims, tokens."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import claims
from accounts.models import Claim, Profile
from tests.conftest import authorship_of
from tests.factories import AuthorFactory, AuthorshipFactory, KeywordFactory, PaperFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/researchers/me/"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_me_shows_the_users_own_profile_with_their_email(api, alice):
    response = as_user(api, alice).get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.org"
    assert response.json()["recommendation_frequency"] == "weekly"


def test_me_needs_authentication(api):
    assert api.get(ME).status_code in (401, 403)
    assert api.patch(ME, {"bio": "x"}, format="json").status_code in (401, 403)


def test_me_is_updated_with_patch(api, alice):
    keyword = KeywordFactory(name="Knots", slug="knots")

    response = as_user(api, alice).patch(
        ME,
        {
            "affiliation": "Oxford",
            "orcid": "0000000218250097",
            "interest_keywords": ["knots"],
            "recommendation_frequency": "off",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    profile = Profile.objects.get(user=alice)
    assert profile.affiliation == "Oxford" and profile.orcid == "0000-0002-1825-0097"
    assert list(profile.interest_keywords.all()) == [keyword]
    assert profile.recommendation_frequency == "off"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"orcid": "0000-0002-1825-0098"}, "orcid"),
        ({"bio": "x" * 1001}, "bio"),
        ({"recommendation_frequency": "instant"}, "recommendation_frequency"),
        ({"interest_keywords": ["no-such-keyword"]}, "interest_keywords"),
    ],
)
def test_me_refuses_bad_values_and_changes_nothing(api, alice, body, field):
    response = as_user(api, alice).patch(ME, {"affiliation": "Oxford", **body}, format="json")

    assert response.status_code == 400 and field in response.json()
    assert Profile.objects.get(user=alice).affiliation == ""


def test_me_cannot_change_a_proven_orcid_or_prove_one(api, alice):
    Profile.objects.filter(user=alice).update(orcid="0000-0002-1825-0097", orcid_proven=True)

    bad = as_user(api, alice).patch(ME, {"orcid": "0000-0001-5109-3700"}, format="json")
    ignored = api.patch(ME, {"orcid_proven": False}, format="json")

    assert bad.status_code == 400
    assert ignored.status_code == 200
    assert Profile.objects.get(user=alice).orcid_proven


def test_public_profiles_never_carry_an_email(api, carol, paper):
    listing = api.get("/api/v1/researchers/")
    detail = api.get(f"/api/v1/researchers/{carol.pk}/")

    assert listing.status_code == detail.status_code == 200
    assert "@" not in listing.content.decode() and "@" not in detail.content.decode()
    assert detail.json()["verified_papers"] == [
        {"id": paper.pk, "doi": paper.doi, "title": paper.title, "author_name": "Carol Carroll"}
    ]


def test_public_profiles_are_read_only(api, alice, bob):
    response = as_user(api, bob).patch(
        f"/api/v1/researchers/{alice.pk}/", {"bio": "hacked"}, format="json"
    )

    assert response.status_code == 405
    assert Profile.objects.get(user=alice).bio == ""


@pytest.mark.parametrize("n", [1, 10])
def test_the_researcher_list_runs_a_constant_number_of_queries(api, django_assert_num_queries, n):
    from tests.factories import UserFactory

    for _ in range(n):
        user = UserFactory(password=None)
        paper = PaperFactory()
        authorship = AuthorshipFactory(paper=paper, position=0, author=AuthorFactory())
        Claim.objects.create(user=user, authorship=authorship, paper=paper, status="verified")

    # count, users+profiles, interest categories, interest keywords, verified claims
    with django_assert_num_queries(5):
        response = api.get("/api/v1/researchers/")

    assert response.json()["count"] == n


def test_a_claim_is_created_listed_and_withdrawn(api, alice, paper):
    as_user(api, alice)
    authorship = authorship_of(paper, 1)

    created = api.post("/api/v1/claims/", {"authorship": authorship.pk}, format="json")
    listing = api.get("/api/v1/claims/")
    withdrawn = api.post(f"/api/v1/claims/{created.json()['id']}/withdraw/")

    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert created.json()["paper"] == paper.pk
    assert [c["id"] for c in listing.json()["results"]] == [created.json()["id"]]
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_a_taken_authorship_is_a_409_with_a_message(api, alice, bob, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    response = as_user(api, bob).post(
        "/api/v1/claims/", {"authorship": authorship_of(paper, 1).pk}, format="json"
    )

    assert response.status_code == 409 and "already claimed" in response.json()["detail"]
    assert Claim.objects.count() == 1


def test_a_second_authorship_on_one_paper_is_a_400(api, alice, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    response = as_user(api, alice).post(
        "/api/v1/claims/", {"authorship": authorship_of(paper, 2).pk}, format="json"
    )

    assert response.status_code == 400 and "one authorship per paper" in response.json()["detail"]


def test_users_list_only_their_own_claims(api, alice, bob, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    theirs = claims.claim_authorship(user=bob, authorship=authorship_of(paper, 2))

    listing = as_user(api, bob).get("/api/v1/claims/").json()

    assert [c["id"] for c in listing["results"]] == [theirs.pk]


def test_curators_list_pending_claims_and_approve_or_reject(api, alice, bob, paper, curator):
    first = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    second = claims.claim_authorship(user=bob, authorship=authorship_of(paper, 2))
    as_user(api, curator)

    queue = api.get("/api/v1/claims/", {"status": "pending"}).json()
    approved = api.post(f"/api/v1/claims/{first.pk}/approve/", {"reason": "ok"}, format="json")
    no_reason = api.post(f"/api/v1/claims/{second.pk}/reject/", {}, format="json")
    rejected = api.post(f"/api/v1/claims/{second.pk}/reject/", {"reason": "not Bob"}, format="json")

    assert {c["id"] for c in queue["results"]} == {first.pk, second.pk}
    assert approved.status_code == 200 and approved.json()["status"] == "verified"
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_a_token_authenticates_scripts(api, alice):
    token = Token.objects.create(user=alice)

    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(ME)

    assert response.status_code == 200 and response.json()["username"] == "alice"


def test_a_revoked_token_no_longer_works(api, alice):
    token = Token.objects.create(user=alice)
    key = token.key
    token.delete()

    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(ME)

    assert response.status_code in (401, 403) and response.json()["detail"] == "Invalid token."


def test_the_schema_lists_the_accounts_endpoints(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()

    for path in [
        "/api/v1/researchers/",
        "/api/v1/researchers/me/",
        "/api/v1/claims/",
        "/api/v1/claims/{id}/withdraw/",
        "/api/v1/claims/{id}/approve/",
        "/api/v1/claims/{id}/reject/",
    ]:
        assert path in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
