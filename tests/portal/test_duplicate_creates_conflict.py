"""Regression (issue 13, defect 4): a second create of the same review, claim or resource
request answers 409 with the URL of the one that exists, also when the creates race.

Ten parallel ``POST /api/v1/reviews/`` for one paper by one reader used to answer 201 each
(the data stayed right: one review). Each thread here has its own database connection and
goes through the real API view; the database (row lock, unique constraints) decides.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Claim
from reviews.models import ResourceRequest, Review
from tests.factories import AuthorshipFactory, PaperFactory, UserFactory

RACERS = 10


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_at_once(user, path, body, *, racers=RACERS):
    """POST ``body`` to ``path`` as ``user`` from ``racers`` threads released together."""
    start = threading.Barrier(racers)
    responses, errors = [], []

    def post():
        try:
            start.wait()
            responses.append(api(user).post(path, body, format="json"))
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(repr(error))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=post) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return responses


def one_created_and_conflicts(responses, detail_path):
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] + [409] * (len(responses) - 1), [r.content for r in responses]
    created = next(r for r in responses if r.status_code == 201).json()
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["existing"] == f"http://testserver{detail_path.format(created['id'])}"
            assert body["detail"]
    return created


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_of_one_paper_by_one_reader_give_one_201_and_409s():
    reader, paper = UserFactory(), PaperFactory()

    responses = post_at_once(reader, "/api/v1/reviews/", {"paper": paper.pk, "rating": 4})

    one_created_and_conflicts(responses, "/api/v1/reviews/{}/")
    assert Review.objects.filter(paper=paper, user=reader).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_authorship_by_one_reader_give_one_201_and_409s():
    reader = UserFactory()
    authorship = AuthorshipFactory(paper=PaperFactory(), position=0)

    responses = post_at_once(reader, "/api/v1/claims/", {"authorship": authorship.pk})

    one_created_and_conflicts(responses, "/api/v1/claims/{}/")
    assert Claim.objects.filter(user=reader).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_of_one_kind_by_one_reader_give_one_201_and_409s(settings):
    settings.RESOURCE_REQUESTS_PER_HOUR = 100  # the limit is not what is tested here
    reader, paper = UserFactory(), PaperFactory()
    body = {"paper": paper.pk, "kind": "code", "message": "Could you share the code?"}

    responses = post_at_once(reader, "/api/v1/resource-requests/", body)

    one_created_and_conflicts(responses, "/api/v1/resource-requests/{}/")
    assert ResourceRequest.objects.filter(paper=paper, requester=reader).count() == 1


@pytest.mark.django_db
def test_a_closed_request_can_be_asked_again_and_another_kind_at_once(settings):
    reader, paper = UserFactory(), PaperFactory()
    client = api(reader)
    first = client.post(
        "/api/v1/resource-requests/",
        {"paper": paper.pk, "kind": "code", "message": "Code, please."},
        format="json",
    )
    other_kind = client.post(
        "/api/v1/resource-requests/",
        {"paper": paper.pk, "kind": "data", "message": "And the data?"},
        format="json",
    )
    ResourceRequest.objects.filter(pk=first.json()["id"]).update(
        status="declined", declined_reason="Not ours to share."
    )
    again = client.post(
        "/api/v1/resource-requests/",
        {"paper": paper.pk, "kind": "code", "message": "Is it shareable now?"},
        format="json",
    )

    assert (first.status_code, other_kind.status_code, again.status_code) == (201, 201, 201)


@pytest.mark.django_db
def test_the_ask_form_says_a_second_open_request_exists_and_adds_nothing(client):
    reader, paper = UserFactory(), PaperFactory()
    client.force_login(reader)
    url = f"/papers/{paper.pk}/resources/ask/"
    client.post(url, {"kind": "code", "message": "Code, please."})

    response = client.post(url, {"kind": "code", "message": "Code, please!"})

    assert response.status_code == 409
    assert "already asked for code on this paper" in response.content.decode()
    assert ResourceRequest.objects.count() == 1


@pytest.mark.django_db
def test_the_review_form_still_edits_the_readers_review(client):
    reader, paper = UserFactory(), PaperFactory()
    client.force_login(reader)
    client.post(f"/papers/{paper.pk}/review/", {"rating": "2"})
    client.post(f"/papers/{paper.pk}/review/", {"rating": "5"})

    assert list(Review.objects.values_list("rating", flat=True)) == [5]
