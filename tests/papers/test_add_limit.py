"""Per-user limit on adding papers by DOI (PAPERS_ADDED_PER_HOUR): a clear 429 saying when
to retry, on the site form and in the API; DOIs already in the catalogue cost nothing."""

import datetime
import json

import pytest
from django.utils import timezone

from papers import metadata
from papers.models import Paper
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_two(settings):
    settings.PAPERS_ADDED_PER_HOUR = 2


def post_api(client, doi):
    return client.post("/api/v1/papers/", json.dumps({"doi": doi}), content_type="application/json")


def test_the_api_answers_429_with_retry_after_past_the_hourly_limit(client, limit_of_two):
    client.force_login(UserFactory())
    assert post_api(client, "10.1234/one").status_code == 202
    assert post_api(client, "10.1234/two").status_code == 202

    response = post_api(client, "10.1234/three")

    assert response.status_code == 429
    assert "limit of 2 papers added an hour; try again in 60 minutes" in response.json()["detail"]
    assert 3590 <= int(response["Retry-After"]) <= 3600
    assert not Paper.objects.filter(doi="10.1234/three").exists()


def test_the_form_says_when_to_retry_and_adds_nothing(client, limit_of_two):
    client.force_login(UserFactory())
    client.post("/papers/add/", {"doi": "10.1234/one"})
    client.post("/papers/add/", {"doi": "10.1234/two"})

    response = client.post("/papers/add/", {"doi": "10.1234/three"})

    assert response.status_code == 429
    assert "try again in 60 minutes" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert response["Retry-After"]
    assert Paper.objects.count() == 2


def test_a_doi_already_in_the_catalogue_is_not_counted_and_still_answers(client, limit_of_two):
    PaperFactory(doi="10.1234/known")
    client.force_login(UserFactory())
    post_api(client, "10.1234/one")
    post_api(client, "10.1234/two")

    assert post_api(client, "10.1234/known").status_code == 200


def test_the_wait_is_until_the_oldest_add_of_the_hour_leaves_it(limit_of_two):
    user = UserFactory()
    metadata.add_by_doi("10.1234/one", by=user)
    metadata.add_by_doi("10.1234/two", by=user)
    Paper.objects.filter(doi="10.1234/one").update(
        created_at=timezone.now() - datetime.timedelta(minutes=50)
    )

    with pytest.raises(metadata.AddLimitReached, match="try again in 10 minutes") as limit:
        metadata.add_by_doi("10.1234/three", by=user)
    assert 540 <= limit.value.retry_after <= 600


def test_adds_older_than_an_hour_no_longer_count(limit_of_two):
    user = UserFactory()
    metadata.add_by_doi("10.1234/one", by=user)
    metadata.add_by_doi("10.1234/two", by=user)
    Paper.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=61))

    paper, created = metadata.add_by_doi("10.1234/three", by=user)

    assert created and paper.added_by == user


def test_each_user_has_their_own_allowance_and_fetch_dois_has_none(limit_of_two):
    alice, bob = UserFactory(), UserFactory()
    for n in range(2):
        metadata.add_by_doi(f"10.1234/a{n}", by=alice)

    assert metadata.add_by_doi("10.1234/b0", by=bob)[1]
    assert metadata.add_by_doi("10.1234/operator")[1]  # fetch_dois: no user, no limit


def test_resource_requests_past_their_limit_say_when_to_retry(client, settings):
    settings.RESOURCE_REQUESTS_PER_HOUR = 1
    client.force_login(UserFactory())
    paper = PaperFactory()
    body = {"paper": paper.pk, "kind": "code", "message": "Code?"}
    client.post("/api/v1/resource-requests/", body, content_type="application/json")

    response = client.post(
        "/api/v1/resource-requests/",
        {**body, "kind": "data"},
        content_type="application/json",
    )

    assert response.status_code == 429
    assert "try again in 60 minutes" in response.json()["detail"]
    assert int(response["Retry-After"]) > 3500
