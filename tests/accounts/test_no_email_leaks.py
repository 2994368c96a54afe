"""No page or endpoint shows a user's email address to anyone else.

Every researcher here has a distinctive address; each public page and API response, read
anonymously and as another logged-in user, is scanned for all of them.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import claims
from accounts.models import Profile
from tests.conftest import authorship_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(paper, curator):
    people = []
    for n, name in enumerate(["dora", "eve"]):
        user = UserFactory(username=name, email=f"secret-{name}@hidden-{name}.example")
        Profile.objects.filter(user=user).update(
            display_name=name.title(), bio=f"I study things ({name})."
        )
        claim = claims.claim_authorship(user=user, authorship=authorship_of(paper, n))
        if n == 0:
            claims.approve_claim(claim, by=curator)
        else:
            claims.dispute_claim(
                user=UserFactory(username="frank", email="secret-frank@hidden-frank.example"),
                authorship=authorship_of(paper, n),
                reason="mine",
            )
        people.append(user)
    return people


def public_urls(people, paper):
    urls = [paper.get_absolute_url(), reverse("papers:list"), reverse("papers:home")]
    for user in people:
        urls += [
            reverse("accounts:profile", args=[user.pk]),
            f"/api/v1/researchers/{user.pk}/",
        ]
    urls += ["/api/v1/researchers/", f"/api/v1/papers/{paper.pk}/", "/api/v1/claims/"]
    for authorship in paper.authorships.all():
        urls += [
            reverse("accounts:claim-confirm", args=[authorship.pk]),
            reverse("accounts:claim-dispute", args=[authorship.pk]),
            reverse("papers:author", args=[authorship.author_id]),
        ]
    return urls


@pytest.mark.parametrize("reader", ["anonymous", "another user"])
def test_no_public_page_or_endpoint_shows_an_email_address(client, people, paper, reader):
    api = APIClient()
    if reader == "another user":
        other = UserFactory(username="reader", email="reader@reader.example")
        client.force_login(other)
        api.force_authenticate(other)
    secrets = ["secret-", "hidden-dora", "hidden-eve", "hidden-frank"]

    for url in public_urls(people, paper):
        reader_client = api if url.startswith("/api/") else client
        response = reader_client.get(url)
        assert response.status_code in (200, 302, 401, 403), url
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, f"{secret} leaked on {url}"


def test_users_see_their_own_address_only_on_their_own_pages(client, people):
    dora = people[0]
    client.force_login(dora)
    api = APIClient()
    api.force_authenticate(dora)

    me = api.get("/api/v1/researchers/me/").content.decode()

    assert "secret-dora@hidden-dora.example" in me
    assert "hidden-eve" not in me
