"""The resource-request pages: the form, the paper page's Resources section, answering,
"me too", status changes, admin moderation; who may do what; markup never getting through;
query counts."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from reviews import resources
from reviews.models import MeToo, ResourceAnswer, ResourceRequest
from tests.factories import UserFactory
from tests.papers.test_paper_page import UNCITED_PAGE_QUERIES as PAGE_QUERIES

pytestmark = pytest.mark.django_db


def ask_url(paper):
    return reverse("reviews:ask-resource", args=[paper.pk])


def ask(user, paper, message="Could you share the raw data?", kind="data"):
    return resources.ask(user=user, paper=paper, kind=kind, message=message)


def page(client, paper):
    return client.get(paper.get_absolute_url()).content.decode()


def test_an_anonymous_reader_is_sent_to_log_in_and_back_to_the_form(client, paper):
    response = client.get(ask_url(paper))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={ask_url(paper)}"


def test_a_reader_asks_with_the_form_and_sees_the_request_listed(client, alice, paper):
    client.force_login(alice)
    form = client.get(ask_url(paper)).content.decode()
    assert 'name="kind"' in form and 'name="message"' in form and "<label" in form

    response = client.post(ask_url(paper), {"kind": "code", "message": "The analysis scripts?"})

    asked = ResourceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url() + f"#resource-request-{asked.pk}"
    html = page(client, paper)
    assert "Your request is listed" in html
    assert 'id="resource-request-' in html and "The analysis scripts?" in html
    assert ">Code</span>" in html and ">Open</span>" in html
    assert "0 requests fulfilled" in html
    assert asked.requester == alice


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"kind": "code", "message": ""}, "Say what you are asking for."),
        ({"kind": "gold", "message": "Gold"}, "Select a valid choice."),
        ({"kind": "data", "message": "x" * 2001}, "A request can be at most 2,000 characters"),
    ],
)
def test_a_bad_request_gets_a_clear_error_and_writes_nothing(client, alice, paper, data, error):
    client.force_login(alice)
    response = client.post(ask_url(paper), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ResourceRequest.objects.exists()


def test_the_rate_limit_says_so(client, alice, paper, settings):
    settings.RESOURCE_REQUESTS_PER_HOUR = 1
    client.force_login(alice)
    client.post(ask_url(paper), {"kind": "code", "message": "One"})
    response = client.post(ask_url(paper), {"kind": "data", "message": "Two"})
    assert response.status_code == 429
    assert "limit of 1 resource requests an hour" in response.content.decode()
    assert ResourceRequest.objects.count() == 1


# --- the permission matrix over every request view ---


def status_post(client, asked, action, **data):
    url = reverse("reviews:resource-status", args=[asked.pk])
    return client.post(url, {"action": action, **data})


ACTIONS = {
    "acknowledge": {},
    "decline": {"reason": "Embargoed."},
    "fulfil": {"link": "https://zenodo.org/record/1"},
}
# Who may move a request to each status: 302 (done, back to the page) or 403.
MATRIX = {
    "alice": {"acknowledge": 403, "decline": 403, "fulfil": 302},  # the asker
    "bob": {"acknowledge": 403, "decline": 403, "fulfil": 403},
    "carol": {"acknowledge": 302, "decline": 302, "fulfil": 302},  # verified author
    "curator": {"acknowledge": 302, "decline": 302, "fulfil": 302},
}


@pytest.mark.parametrize("who", ["anonymous", *MATRIX])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_who_may_change_a_requests_status(request, client, paper, alice, who, action):
    asked = ask(alice, paper)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = status_post(client, asked, action, **ACTIONS[action])

    asked.refresh_from_db()
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert asked.status == "open"
        return
    expected = MATRIX[who][action]
    assert response.status_code == expected
    if expected == 403:
        assert asked.status == "open"
        assert "can" in response.content.decode()  # says who can
    else:
        assert asked.status == {"acknowledge": "acknowledged", "decline": "declined"}.get(
            action, "fulfilled"
        )


@pytest.mark.parametrize("who", ["anonymous", "alice", "bob", "carol", "curator"])
def test_who_may_answer_and_who_is_marked_author(request, client, paper, alice, who):
    asked = ask(alice, paper)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post(
        reverse("reviews:answer-resource", args=[asked.pk]), {"text": f"From {who}", "link": ""}
    )

    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert not ResourceAnswer.objects.exists()
        return
    assert response.status_code == 302
    reply = ResourceAnswer.objects.get()
    assert reply.as_author is (who == "carol")
    html = page(client, paper)
    assert f"From {who}" in html
    assert ('class="badge badge-author">Author<' in html) is (who == "carol")


@pytest.mark.parametrize(
    ("who", "expected", "counted"),
    [("anonymous", 302, 0), ("alice", 403, 0), ("bob", 302, 1), ("carol", 302, 1)],
)
def test_who_may_say_me_too(request, client, paper, alice, who, expected, counted):
    asked = ask(alice, paper)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("reviews:me-too", args=[asked.pk]))

    assert response.status_code == expected
    assert MeToo.objects.count() == counted
    if who == "alice":
        assert "This is your own request." in response.content.decode()


def test_me_too_shows_its_count_and_the_readers_own(client, paper, alice, bob):
    asked = ask(alice, paper)
    resources.me_too(user=bob, resource_request=asked)
    client.force_login(bob)
    html = page(client, paper)
    assert "1 also wants this" in html and "You want this too" in html


def test_the_request_page_shows_status_forms_only_to_who_may_use_them(
    client, paper, alice, bob, carol
):
    asked = ask(alice, paper)
    url = reverse("reviews:resource-request", args=[asked.pk])
    assert "Log in to answer" in client.get(url).content.decode()
    client.force_login(bob)
    html = client.get(url).content.decode()
    assert "Post the answer" in html and "Mark fulfilled" not in html
    client.force_login(alice)
    html = client.get(url).content.decode()
    assert "Mark fulfilled" in html and "Acknowledge" not in html
    client.force_login(carol)
    html = client.get(url).content.decode()
    assert "Mark fulfilled" in html and "Acknowledge" in html and "Decline" in html


def test_a_fulfilled_request_shows_its_link_and_counts(client, paper, alice, carol):
    for n in range(3):
        asked = ask(alice, paper, message=f"Request {n}", kind=["data", "code", "other"][n])
    resources.fulfil(asked, by=carol, link="https://zenodo.org/record/7")
    resources.decline(
        ResourceRequest.objects.get(message="Request 0"), by=carol, reason="Under embargo."
    )
    html = page(client, paper)
    assert "1 request fulfilled" in html
    assert 'href="https://zenodo.org/record/7" rel="nofollow noopener noreferrer"' in html
    assert "Declined: Under embargo." in html


def test_a_hidden_request_leaves_the_page_and_its_views(client, paper, alice, bob, curator):
    asked = ask(alice, paper, message="Spam spam spam")
    resources.hide(asked, curator=curator, reason="spam")
    assert "Spam spam spam" not in page(client, paper)
    assert client.get(reverse("reviews:resource-request", args=[asked.pk])).status_code == 404
    client.force_login(bob)
    response = client.post(reverse("reviews:answer-resource", args=[asked.pk]), {"text": "Hi"})
    assert response.status_code == 404
    assert not ResourceAnswer.objects.exists()


# --- markup never reaches a page as markup ---


def test_html_and_script_in_messages_answers_and_links_stay_text(client, paper, alice, bob):
    asked = ask(alice, paper, message='<script>alert("m")</script><b onclick="x()">bold</b>')
    resources.answer(
        user=bob,
        resource_request=asked,
        text='<script>alert("a")</script> [click](javascript:alert(1)) <iframe src="x">',
        link='https://example.org/"><script>alert("l")</script>',
    )
    client.force_login(bob)
    refused = client.post(
        reverse("reviews:answer-resource", args=[asked.pk]), {"link": "javascript:alert(2)"}
    )
    assert refused.status_code == 400
    assert "A link must be a web address starting with http" in refused.content.decode()

    for html in (
        page(client, paper),
        client.get(reverse("reviews:resource-request", args=[asked.pk])).content.decode(),
        client.get(reverse("accounts:profile", args=[bob.pk])).content.decode(),
    ):
        assert "<script>alert" not in html
        assert "<iframe" not in html and 'onclick="x()"' not in html
        assert 'href="javascript' not in html


# --- query counts ---


def paper_with_requests(paper, n, people):
    alice, bob, carol = people
    for i in range(n):
        # One open request of a kind per reader: alice asks once, other readers the rest.
        asker = alice if i == 0 else UserFactory()
        asked = ask(asker, paper, message=f"Request {i}")
        resources.answer(user=carol, resource_request=asked, text="Here", link="https://x.org")
        resources.answer(user=bob, resource_request=asked, text="Me too, and a hint")
        resources.me_too(user=bob, resource_request=asked)


@pytest.mark.parametrize("n", [1, 20])
def test_the_page_runs_a_constant_number_of_queries_whatever_the_requests(
    client, paper, alice, bob, carol, settings, django_assert_num_queries, n
):
    settings.RESOURCE_REQUESTS_PER_HOUR = settings.RESOURCE_ANSWERS_PER_HOUR = 100
    paper_with_requests(paper, n, (alice, bob, carol))

    # The paper page's queries, plus the answers of its requests (one prefetch).
    with django_assert_num_queries(PAGE_QUERIES + 1):
        html = page(client, paper)
    assert html.count('class="resource-request ') == n
    assert html.count('class="badge badge-author">Author<') == n
    assert "csrfmiddlewaretoken" not in html  # the anonymous page is cached for everyone

    client.force_login(bob)
    # The page's fragments are cached now (portal.paper_fragments): the session, the user,
    # the paper's row, the reader's own review, their private note, their collections with
    # the paper's saved state (the Save control) and their "me too"s (one query).
    with django_assert_num_queries(7):
        html = page(client, paper)
    assert html.count("You want this too") == n


# --- the admin ---


def test_a_curator_hides_a_request_in_the_admin_with_a_reason(client, paper, alice, curator):
    curator.user_permissions.add(Permission.objects.get(codename="view_resourcerequest"))
    asked = ask(alice, paper)
    client.force_login(curator)
    url = reverse("admin:reviews_resourcerequest_changelist")
    assert client.get(url).status_code == 200
    data = {"action": "hide_selected", "_selected_action": [asked.pk]}

    confirm = client.post(url, data)
    assert "Why it is hidden" in confirm.content.decode()
    client.post(url, {**data, "reason": "Off topic."})

    asked.refresh_from_db()
    assert asked.is_hidden and asked.hidden_reason == "Off topic."
    client.post(url, {"action": "restore_selected", "_selected_action": [asked.pk]})
    asked.refresh_from_db()
    assert not asked.is_hidden


def test_staff_without_the_permission_cannot_moderate(client, paper, alice):
    staff = UserFactory(username="staff", is_staff=True)
    asked = ask(alice, paper)
    client.force_login(staff)
    response = client.post(
        reverse("admin:reviews_resourcerequest_changelist"),
        {"action": "hide_selected", "_selected_action": [asked.pk], "reason": "x"},
    )
    assert response.status_code == 403
    asked.refresh_from_db()
    assert not asked.is_hidden


def test_a_hidden_answer_leaves_the_page_and_the_profile(client, paper, alice, bob, curator):
    asked = ask(alice, paper)
    reply = resources.answer(user=bob, resource_request=asked, text="Buy my course")
    resources.hide(reply, curator=curator, reason="advertising")
    assert "Buy my course" not in page(client, paper)
    profile = client.get(reverse("accounts:profile", args=[bob.pk])).content.decode()
    assert "Buy my course" not in profile
    resources.restore(reply, curator=curator)
    # Signed in, so not the anonymous page kept for PAGE_CACHE_SECONDS.
    client.force_login(alice)
    assert "Buy my course" in page(client, paper)
