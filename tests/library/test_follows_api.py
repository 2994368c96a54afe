"""/api/v1/follows/: one's own follows only (others' are 404), created idempotently, with
clear 400s; the list's queries do not grow with its rows."""

import pytest
from rest_framework.test import APIClient

from library import follows
from library.models import Follow
from tests.factories import AuthorFactory, CategoryFactory, KeywordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_following_a_keyword_then_again(api, alice):
    keyword = KeywordFactory(name="graphs", slug="graphs")

    first = api.post("/api/v1/follows/", {"kind": "keyword", "target": "graphs"}, format="json")
    again = api.post("/api/v1/follows/", {"kind": "keyword", "target": "graphs"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    body = first.json()
    assert body["followed"] == {"id": keyword.pk, "name": "graphs", "url": "/keywords/graphs/"}
    mine = Follow.objects.get(user=alice)
    assert body["feed_url"] == f"http://testserver/library/follows/{mine.feed_token}/feed.atom"


def test_saving_a_search(api):
    response = api.post(
        "/api/v1/follows/",
        {"kind": "search", "query": "sort=newest&q=gnn", "name": "GNN"},
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["query"], response.json()["name"]) == ("q=gnn&sort=newest", "GNN")
    assert response.json()["followed"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "planet", "target": "1"}, "is not a valid choice"),
        ({"kind": "author", "target": "99999"}, "There is no author"),
        ({"kind": "author", "target": "x" * 300}, "no more than 200"),
        ({"kind": "author"}, "There is no author"),
        ({"kind": "search", "query": ""}, "needs search text or a filter"),
        ({"kind": "search", "query": "q=x&year_min=soon"}, "cannot be saved"),
        ({"kind": "search", "query": "q=x", "target": "1"}, "a query, not a target"),
        ({"kind": "journal", "target": "1", "query": "q=x"}, "Only a saved search"),
    ],
)
def test_a_bad_follow_is_a_400_with_a_reason(api, body, message):
    response = api.post("/api/v1/follows/", body, format="json")

    assert response.status_code == 400
    assert message in str(response.json())


def test_others_follows_are_404(api, bob):
    theirs, _ = follows.follow(user=bob, kind=Follow.Kind.AUTHOR, target=AuthorFactory())

    assert api.get(f"/api/v1/follows/{theirs.pk}/").status_code == 404
    assert api.delete(f"/api/v1/follows/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/follows/").json()["count"] == 0
    assert Follow.objects.filter(pk=theirs.pk).exists()


def test_unfollowing(api, alice):
    mine, _ = follows.follow(user=alice, kind=Follow.Kind.CATEGORY, target=CategoryFactory())

    assert api.delete(f"/api/v1/follows/{mine.pk}/").status_code == 204
    assert api.get(f"/api/v1/follows/{mine.pk}/").status_code == 404


def test_anonymous_requests_are_refused():
    assert APIClient().get("/api/v1/follows/").status_code == 403


@pytest.mark.parametrize("rows", [1, 6])
def test_the_list_costs_two_queries_whatever_its_length(
    api, alice, rows, django_assert_num_queries
):
    for _ in range(rows):
        follows.follow(user=alice, kind=Follow.Kind.AUTHOR, target=AuthorFactory())

    # 1 the count, 2 the follows with what they follow (one join each).
    with django_assert_num_queries(2):
        response = api.get("/api/v1/follows/")
    assert response.json()["count"] == rows
