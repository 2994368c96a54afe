"""Adding a paper by its DOI through the API: POST /api/v1/papers/ {"doi": "..."}.

The view calls the real ``papers.metadata.add_by_doi``; the fetch it enqueues after commit is
captured (``django_capture_on_commit_callbacks``), never sent, so no test reaches a registry.
"""

import json

import pytest

from papers.crossref import parse_work
from papers.ingest import upsert_work
from papers.models import Paper
from tests.conftest import ROOT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAPERS = "/api/v1/papers/"
SREP_DOI = "10.1038/srep16696"


@pytest.fixture
def user_client(client):
    client.force_login(UserFactory())
    return client


def post(client, data, **extra):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(PAPERS, body, content_type="application/json", **extra)


def test_a_new_doi_gives_202_with_the_pending_paper_and_one_fetch_enqueued(
    user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(user_client, {"doi": "https://doi.org/10.1038/SREP16696"})

    assert response.status_code == 202, response.content
    paper = Paper.objects.get()
    assert response.json() == {
        "id": paper.pk,
        "doi": SREP_DOI,
        "url": f"http://testserver/api/v1/papers/{paper.pk}/",
        "html_url": f"http://testserver{paper.get_absolute_url()}",
        "metadata_status": "pending",
        "metadata_status_label": "Waiting for metadata",
    }
    assert response["Location"] == f"http://testserver/api/v1/papers/{paper.pk}/"
    assert len(callbacks) == 1  # one fetch, sent once the paper is committed


@pytest.mark.parametrize(
    "text",
    [
        SREP_DOI,
        "10.1038/SREP16696",
        "  doi:10.1038/Srep16696 ",
        "http://dx.doi.org/10.1038/srep16696",
    ],
)
def test_a_doi_already_there_in_any_form_gives_200_with_that_paper(
    user_client, django_capture_on_commit_callbacks, text
):
    with open(ROOT / "tests/fixtures/crossref/10.1038_srep16696.json", encoding="utf-8") as f:
        existing, _ = upsert_work(parse_work(json.load(f)))

    with django_capture_on_commit_callbacks() as callbacks:
        response = post(user_client, {"doi": text})

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == existing.pk
    assert body["doi"] == SREP_DOI
    assert (body["metadata_status"], body["metadata_status_label"]) == ("fetched", "Fetched")
    assert response["Location"] == body["url"]
    assert Paper.objects.count() == 1
    assert callbacks == []  # already fetched: nothing enqueued again


def test_adding_the_same_doi_twice_answers_with_the_same_paper(
    user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = post(user_client, {"doi": SREP_DOI})
        second = post(user_client, {"doi": SREP_DOI.upper()})

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json() == second.json()
    assert len(callbacks) == 1


def test_a_form_post_like_the_browsable_api_sends_works_too(user_client):
    response = user_client.post(PAPERS, {"doi": SREP_DOI})

    assert response.status_code == 202
    assert Paper.objects.get().doi == SREP_DOI


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"doi": "srep16696"}, "a DOI looks like 10.1234/abc"),
        ({"doi": "https://example.org/10.1038/x"}, "a DOI looks like 10.1234/abc"),
        ({"doi": "10.1038/srep 16696"}, "a DOI looks like 10.1234/abc"),
        ({"doi": 1038}, "a DOI looks like 10.1234/abc"),
        ({"doi": ""}, "may not be blank"),
        ({"doi": "   "}, "may not be blank"),
        ({"doi": None}, "may not be null"),
        ({"doi": ["10.1038/srep16696"]}, "Not a valid string"),
        ({"doi": "10.1038/x\x00y"}, "Null characters are not allowed"),
        ({}, "This field is required"),
        ({"title": "Hijacked"}, "This field is required"),
        ({"doi": "10.1038/" + "x" * 400}, "no more than 355 characters"),
        # Within what a client may send, but longer than the DOI column holds.
        ({"doi": "10.1038/" + "x" * 250}, "This DOI is longer than 255 characters"),
        # The paper page could never show it.
        ({"doi": "10.1038/x\x01y"}, "A DOI has no control characters"),
        ({"doi": "10.1038/x\x7fy"}, "A DOI has no control characters"),
    ],
)
def test_a_bad_doi_gives_400_with_the_reason_and_creates_nothing(
    user_client, django_capture_on_commit_callbacks, data, reason
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(user_client, data)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert reason in " ".join(response.json()["doi"])
    assert not Paper.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize("body", ["{not json", '["10.1038/srep16696"]', '"10.1038/srep16696"', ""])
def test_a_body_that_is_not_a_json_object_gives_400_and_creates_nothing(user_client, body):
    response = post(user_client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert not Paper.objects.exists()


def test_an_oversized_body_is_refused_unread_with_413(user_client):
    response = post(user_client, {"doi": SREP_DOI, "padding": "x" * 5000})

    assert response.status_code == 413
    assert "larger than 4096 bytes" in response.json()["detail"]
    assert not Paper.objects.exists()


def test_anonymous_users_may_not_add_papers(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, {"doi": SREP_DOI})

    assert response.status_code == 403
    assert not Paper.objects.exists()
    assert callbacks == []


def test_reading_stays_open_to_anonymous_users(client):
    Paper.objects.create(doi=SREP_DOI, title=SREP_DOI, metadata_status="pending")

    assert client.get(PAPERS).status_code == 200


def test_the_browsable_api_offers_logged_in_users_a_doi_form(user_client):
    response = user_client.get(PAPERS, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert 'name="doi"' in response.content.decode()


def test_the_detail_shows_where_the_metadata_stands(user_client):
    created = post(user_client, {"doi": SREP_DOI}).json()

    detail = user_client.get(created["url"]).json()

    assert detail["metadata_status"] == "pending"
    assert detail["metadata_status_label"] == "Waiting for metadata"
    assert detail["metadata_source"] == ""
    assert detail["metadata_fetched_at"] is None
    assert detail["metadata_retry_at"] is not None  # when the fetch is taken for lost
    assert detail["metadata_error"] == ""


def test_adding_a_doi_runs_a_fixed_number_of_queries(user_client, django_assert_num_queries):
    # 1 session, 2 user, 3 savepoint (add_by_doi's transaction, inside the test's),
    # 4 paper by DOI, 5 lock the user's row, 6 count their adds of the hour,
    # 7 savepoint (the insert's), 8 insert, 9 release it, 10 reference entries waiting for
    # the DOI (none here), 11 release.
    with django_assert_num_queries(11):
        response = post(user_client, {"doi": SREP_DOI})
    assert response.status_code == 202

    # 1 session, 2 user, 3 savepoint, 4 paper by DOI, 5 release: found, nothing written.
    with django_assert_num_queries(5):
        response = post(user_client, {"doi": SREP_DOI.upper()})
    assert response.status_code == 200
