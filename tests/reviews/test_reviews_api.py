"""The reviews API and the permission matrix over every review view and endpoint."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.claims import approve_claim, claim_authorship
from reviews.models import Review
from reviews.ratings import submit_review
from tests.factories import AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reviews/"


def detail(review):
    return f"/api/v1/reviews/{review.pk}/"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anyone_reads_reviews_filtered_by_paper_and_rating():
    paper, other = PaperFactory(), PaperFactory()
    submit_review(user=UserFactory(), paper=paper, rating=5, text="<b>Great</b> data.")
    submit_review(user=UserFactory(), paper=paper, rating=2)
    submit_review(user=UserFactory(), paper=other, rating=5)

    body = api().get(LIST, {"paper": paper.pk, "rating": 5}).json()

    assert body["count"] == 1
    row = body["results"][0]
    assert row["rating"] == 5 and row["paper"] == paper.pk
    assert "<b>" not in row["text_html"] and "&lt;b&gt;Great" in row["text_html"]
    assert "email" not in row and "@" not in row["reviewer"]


def test_a_users_reviews_are_listed_by_user():
    user = UserFactory()
    for paper in PaperFactory.create_batch(2):
        submit_review(user=user, paper=paper, rating=4)
    submit_review(user=UserFactory(), paper=PaperFactory(), rating=4)

    assert api().get(LIST, {"user": user.pk}).json()["count"] == 2


def test_the_list_runs_a_fixed_number_of_queries(django_assert_num_queries):
    paper = PaperFactory()
    for n in range(25):
        submit_review(user=UserFactory(), paper=paper, rating=1 + n % 5, text=f"Review {n}")

    # The paper filter's lookup of the paper, the count, the rows with users and profiles.
    with django_assert_num_queries(3):
        response = api().get(LIST, {"paper": paper.pk})
    assert len(response.json()["results"]) == 20  # the first page


def test_a_user_creates_updates_and_deletes_their_review():
    user, paper = UserFactory(), PaperFactory()
    client = api(user)

    created = client.post(LIST, {"paper": paper.pk, "rating": 4, "text": "Solid."}, format="json")
    assert created.status_code == 201, created.content
    review_id = created.json()["id"]
    updated = client.patch(f"{LIST}{review_id}/", {"rating": 2}, format="json")
    assert updated.status_code == 200 and updated.json()["text"] == "Solid."
    assert paper.rating_summary.__class__.objects.get(paper=paper).total == 2
    assert client.delete(f"{LIST}{review_id}/").status_code == 204
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": 0}, "The rating must be from 1 to 5."),
        ({"rating": 6}, "The rating must be from 1 to 5."),
        ({"rating": 3, "novelty": 7}, "Novelty must be from 1 to 5."),
        ({"rating": 3, "text": "x" * 10_001}, "at most 10,000 characters"),
    ],
)
def test_bad_values_get_400_with_the_message(data, message):
    paper = PaperFactory()
    response = api(UserFactory()).post(LIST, {"paper": paper.pk, **data}, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not Review.objects.exists()


def test_a_second_review_of_the_same_paper_is_a_conflict_naming_the_first():
    user, paper = UserFactory(), PaperFactory()
    first, _ = submit_review(user=user, paper=paper, rating=3)
    response = api(user).post(LIST, {"paper": paper.pk, "rating": 5}, format="json")
    assert response.status_code == 409
    assert "already reviewed this paper" in response.json()["detail"]
    assert response.json()["existing"] == f"http://testserver/api/v1/reviews/{first.pk}/"
    assert Review.objects.get().rating == 3


def test_the_paper_detail_carries_the_rating_summary(settings):
    settings.RATINGS_MIN_SHOWN = 2
    paper = PaperFactory()
    submit_review(user=UserFactory(), paper=paper, rating=5, rigor=4)
    submit_review(user=UserFactory(), paper=paper, rating=4)

    summary = api().get(f"/api/v1/papers/{paper.pk}/").json()["rating_summary"]

    assert summary["count"] == 2 and summary["average"] == 4.5
    assert summary["distribution"] == {"5": 1, "4": 1, "3": 0, "2": 0, "1": 0}
    assert summary["secondary"] == {"novelty": "-", "significance": "-", "rigor": "4.0"}


# --- the permission matrix: anonymous / user / another user / verified author / curator ---


@pytest.fixture
def world():
    paper = PaperFactory()
    owner, other = UserFactory(), UserFactory()
    author = UserFactory()
    claim = claim_authorship(user=author, authorship=AuthorshipFactory(paper=paper, position=0))
    curator = UserFactory(is_staff=True, is_superuser=True)
    approve_claim(claim, by=curator, reason="Same person.")
    review, _ = submit_review(user=owner, paper=paper, rating=3, text="Owner's review.")
    return {
        "paper": paper,
        "review": review,
        "anonymous": None,
        "owner": owner,
        "another user": other,
        "verified author": author,
        "curator": curator,
    }


# Who may change the owner's review through the API: only its owner. 401/403 change nothing.
CHANGE_EXPECTED = {
    "anonymous": (403, 403),  # DRF answers 403 to unauthenticated session-less clients
    "owner": (200, 204),
    "another user": (403, 403),
    "verified author": (403, 403),
    "curator": (403, 403),
}


@pytest.mark.parametrize("who", list(CHANGE_EXPECTED))
def test_only_the_owner_changes_or_deletes_a_review_through_the_api(world, who):
    client = api(world[who])
    review = world["review"]

    patched = client.patch(detail(review), {"rating": 5}, format="json")
    deleted = client.delete(detail(review))

    expected_patch, expected_delete = CHANGE_EXPECTED[who]
    assert patched.status_code in (expected_patch, 401)
    assert deleted.status_code in (expected_delete, 401)
    if who != "owner":
        review.refresh_from_db()
        assert review.rating == 3


# Who may rate the paper (a new review): everyone signed in except its verified author.
RATE_EXPECTED = {
    "anonymous": (403, 302),
    "owner": (409, 302),  # already reviewed: the API refuses a second one; the form edits
    "another user": (201, 302),
    "verified author": (403, 403),
    "curator": (201, 302),
}


@pytest.mark.parametrize("who", list(RATE_EXPECTED))
def test_who_may_rate_the_paper_through_the_api_and_the_form(client, world, who):
    paper, user = world["paper"], world[who]
    expected_api, expected_form = RATE_EXPECTED[who]

    response = api(user).post(LIST, {"paper": paper.pk, "rating": 4}, format="json")
    assert response.status_code in ((expected_api, 401) if user is None else (expected_api,))

    if user is not None:
        client.force_login(user)
    form = client.post(reverse("reviews:review", args=[paper.pk]), {"rating": "4"})
    assert form.status_code == expected_form
    if who == "verified author":
        assert not Review.objects.filter(user=user).exists()


@pytest.mark.parametrize("who", list(CHANGE_EXPECTED))
def test_only_the_owner_deletes_through_the_site(client, world, who):
    if world[who] is not None:
        client.force_login(world[who])
    client.post(reverse("reviews:delete", args=[world["review"].pk]))
    assert Review.objects.filter(pk=world["review"].pk).exists() == (who != "owner")


@pytest.mark.parametrize("who", list(CHANGE_EXPECTED))
def test_helpful_votes_and_reports_need_a_reader_other_than_the_owner(client, world, who):
    review = world["review"]
    if world[who] is not None:
        client.force_login(world[who])

    client.post(reverse("reviews:helpful", args=[review.pk]))
    client.post(reverse("reviews:report", args=[review.pk]), {"reason": "Check this."})

    review.refresh_from_db()
    counted = who not in ("anonymous", "owner")
    assert review.helpful_count == (1 if counted else 0)
    assert review.reports.count() == (1 if who != "anonymous" else 0)


@pytest.mark.parametrize("who", list(CHANGE_EXPECTED))
def test_only_curators_moderate_in_the_admin(client, world, who):
    review = world["review"]
    if world[who] is not None:
        client.force_login(world[who])

    client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "hide_reviews", "_selected_action": [review.pk], "reason": "Spam."},
    )

    review.refresh_from_db()
    assert review.is_hidden == (who == "curator")
