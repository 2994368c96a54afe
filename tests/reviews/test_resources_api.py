"""The resource-requests API: read by anyone; ask, answer, "me too" and status changes
through reviews.resources, with its rules and messages; a permission matrix."""

import pytest
from rest_framework.test import APIClient

from reviews import resources
from reviews.models import ResourceRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/resource-requests/"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def url(asked, tail=""):
    return f"{LIST}{asked.pk}/{tail}"


@pytest.fixture
def asked(paper, alice):
    return resources.ask(user=alice, paper=paper, kind="data", message="The raw counts, please.")


def test_a_reader_asks_and_anyone_reads_it_with_its_answers(paper, alice, bob):
    created = api(alice).post(
        LIST, {"paper": paper.pk, "kind": "code", "message": "The <b>scripts</b>?"}, format="json"
    )
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    api(bob).post(f"{LIST}{request_id}/answers/", {"text": "Try the supplement."}, format="json")

    body = api().get(LIST, {"paper": paper.pk}).json()

    (row,) = body["results"]
    assert row["kind"] == "code" and row["status"] == "open"
    assert row["requester"] == "Alice Liddell" and "@" not in str(row)
    assert row["answers"][0]["text_html"] == "<p>Try the supplement.</p>"
    assert row["answers"][0]["as_author"] is False


def test_bad_input_gets_400_with_the_message_and_nothing_is_written(paper, alice):
    blank = api(alice).post(
        LIST, {"paper": paper.pk, "kind": "data", "message": " "}, format="json"
    )
    wrong_kind = api(alice).post(
        LIST, {"paper": paper.pk, "kind": "gold", "message": "x"}, format="json"
    )
    assert blank.status_code == 400
    assert wrong_kind.status_code == 400 and "kind" in wrong_kind.json()
    assert not ResourceRequest.objects.exists()


def test_a_verified_authors_answer_is_marked_author(asked, carol):
    response = api(carol).post(
        url(asked, "answers/"), {"link": "https://zenodo.org/x"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["as_author"] is True


def test_a_javascript_link_is_refused(asked, bob):
    response = api(bob).post(url(asked, "answers/"), {"link": "javascript:alert(1)"}, format="json")
    assert response.status_code == 400
    assert not asked.answers.exists()


def test_me_too_counts_once_and_never_on_ones_own_request(asked, alice, bob):
    assert api(bob).post(url(asked, "me-too/")).json()["me_too_count"] == 1
    assert api(bob).post(url(asked, "me-too/")).json()["me_too_count"] == 1
    assert api(alice).post(url(asked, "me-too/")).status_code == 403


@pytest.mark.parametrize("requests_made", [1, 12])
def test_the_list_runs_a_fixed_number_of_queries(
    paper, alice, bob, django_assert_num_queries, requests_made, settings
):
    settings.RESOURCE_REQUESTS_PER_HOUR = requests_made
    for n in range(requests_made):
        asker = alice if n == 0 else UserFactory()  # one open request of a kind per reader
        asked = resources.ask(user=asker, paper=paper, kind="data", message=f"Request {n}")
        resources.answer(user=bob, resource_request=asked, text="Here.")

    # paper filter's lookup, count, requests with requesters, answers with their users
    with django_assert_num_queries(4):
        response = api().get(LIST, {"paper": paper.pk})
    assert len(response.json()["results"]) == requests_made


# Who may change a request's status: (acknowledge, decline, fulfil) -> expected HTTP status.
STATUS_EXPECTED = {
    "anonymous": (403, 403, 403),
    "asker": (403, 403, 200),  # the asker may only mark it fulfilled
    "another user": (403, 403, 403),
    "verified author": (200, 200, 200),
    "curator": (200, 200, 200),
}


@pytest.mark.parametrize("who", list(STATUS_EXPECTED))
@pytest.mark.parametrize("step", [0, 1, 2])
def test_who_may_change_a_requests_status(paper, alice, bob, carol, curator, who, step):
    users = {
        "anonymous": None,
        "asker": alice,
        "another user": bob,
        "verified author": carol,
        "curator": curator,
    }
    asked = resources.ask(user=alice, paper=paper, kind="data", message="The raw counts.")
    change = [
        {"status": "acknowledged"},
        {"status": "declined", "reason": "Under embargo until 2027."},
        {"status": "fulfilled", "link": "https://zenodo.org/record/1"},
    ][step]

    response = api(users[who]).post(url(asked, "status/"), change, format="json")

    assert response.status_code in (STATUS_EXPECTED[who][step], 401)
    asked.refresh_from_db()
    expected = change["status"] if STATUS_EXPECTED[who][step] == 200 else "open"
    assert asked.status == expected


def test_anonymous_readers_cannot_ask_answer_or_me_too(paper, asked):
    client = api()
    assert client.post(LIST, {"paper": paper.pk, "kind": "data", "message": "x"}).status_code in (
        401,
        403,
    )
    assert client.post(url(asked, "answers/"), {"text": "x"}).status_code in (401, 403)
    assert client.post(url(asked, "me-too/")).status_code in (401, 403)
    assert ResourceRequest.objects.count() == 1 and not asked.answers.exists()
