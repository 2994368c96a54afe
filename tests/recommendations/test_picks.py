"""Personal recommendations (recommendations.picks) on real recorded records, through the pages
and the API."""

import pytest
from django.urls import reverse

from accounts.models import Claim
from papers import version_groups
from papers.models import Paper
from papers.recommend import rebuild_related, related_papers
from recommendations.models import Dismissal, EmailedPaper, Recommendation
from recommendations.picks import dismiss, refresh_picks
from reviews.models import Review
from tests.factories import CategoryFactory, PaperFactory
from tests.papers.test_recommend import BLOGS, NEWSLETTER, import_all

pytestmark = pytest.mark.django_db

FENNER_POSTS = [
    "10.53731_r79vxn1-97aq74v-ag58n.json",  # Eating your own Dog Food
    "10.53731_rceh7pn-tzg61kj-7zv63.json",  # Dryad: Interview with Jen Gibson
]


@pytest.fixture
def papers():
    papers = import_all()
    rebuild_related()
    return papers


def shown(user):
    return [pick.paper for pick in Recommendation.objects.for_user(user)]


def rate(user, paper, rating):
    Review.objects.create(user=user, paper=paper, rating=rating)


def test_a_high_rating_brings_in_the_papers_neighbours_with_the_reason(alice, papers):
    rate(alice, papers[BLOGS], 5)

    refresh_picks(alice.pk)

    picks = list(Recommendation.objects.for_user(alice))
    assert picks[0].paper == papers[NEWSLETTER]
    assert picks[0].reason_display == "Because you rated “Do we need to fix science blogs?”"
    assert papers[BLOGS] not in shown(alice)  # never a paper already rated


def test_a_low_rating_pushes_its_neighbours_away(alice, bob, papers):
    rate(alice, papers[BLOGS], 5)
    rate(bob, papers[BLOGS], 5)
    rate(bob, papers[NEWSLETTER], 1)

    refresh_picks(alice.pk)
    refresh_picks(bob.pk)

    alice_picks = {pick.paper_id: pick.score for pick in Recommendation.objects.filter(user=alice)}
    bob_picks = {pick.paper_id: pick.score for pick in Recommendation.objects.filter(user=bob)}
    # The papers close to both the liked and the disliked paper: alice gets them first;
    # for bob the dislike cancels the like (they drop out, or come lower).
    neighbours = {row.related_id for row in related_papers(papers[NEWSLETTER].pk) if row.score}
    common = [pk for pk in neighbours if alice_picks.get(pk, 0) > 0]
    assert common
    assert all(bob_picks.get(pk, 0) < alice_picks[pk] for pk in common)


def test_claimed_papers_pull_like_a_high_rating_and_are_never_shown(alice, papers):
    blogs = papers[BLOGS]
    Claim.objects.create(
        user=alice, paper=blogs, authorship=blogs.authorships.first(), status="verified"
    )

    refresh_picks(alice.pk)

    pick = Recommendation.objects.for_user(alice).first()
    assert pick.paper == papers[NEWSLETTER]
    assert pick.reason_display == "Because you wrote “Do we need to fix science blogs?”"
    assert blogs not in shown(alice)


def test_retracted_dismissed_and_emailed_papers_are_never_picked(alice, papers):
    rate(alice, papers[BLOGS], 5)
    refresh_picks(alice.pk)
    first_three = shown(alice)[:3]
    retracted, dismissed, emailed = first_three
    Paper.objects.filter(pk=retracted.pk).update(is_retracted=True)
    Dismissal.objects.create(user=alice, paper=dismissed)
    EmailedPaper.objects.create(user=alice, paper=emailed)

    refresh_picks(alice.pk)

    picked = set(Recommendation.objects.filter(user=alice).values_list("paper_id", flat=True))
    assert picked and not picked & {p.pk for p in first_three}


def test_dismissing_removes_the_pick_at_once_and_is_idempotent(alice, papers):
    rate(alice, papers[BLOGS], 5)
    refresh_picks(alice.pk)
    newsletter = papers[NEWSLETTER]

    dismiss(user=alice, paper=newsletter)
    dismiss(user=alice, paper=newsletter)

    assert Dismissal.objects.filter(user=alice, paper=newsletter).count() == 1
    assert newsletter not in shown(alice)


def test_a_new_user_gets_picks_from_their_interests(alice, papers):
    category = CategoryFactory(name="Scholarly communication")
    for name in FENNER_POSTS:
        papers[name].categories.add(category)
    alice.profile.interest_categories.add(category)

    refresh_picks(alice.pk)

    picks = list(Recommendation.objects.for_user(alice))
    assert {pick.paper for pick in picks[:2]} == {papers[name] for name in FENNER_POSTS}
    assert picks[0].reason_display == "In your interest “Scholarly communication”"


def test_a_user_with_nothing_to_go_on_gets_the_best_rated_recent_papers(alice, settings):
    settings.PERSONAL_PICKS_KEPT = 2
    best = PaperFactory(published_year=2026, rating_average=4.8, rating_count=40)
    second = PaperFactory(published_year=2025, rating_average=4.0, rating_count=40)
    PaperFactory(published_year=2026)  # unrated
    PaperFactory(published_year=2026, rating_average=5, rating_count=40, is_retracted=True)

    refresh_picks(alice.pk)

    picks = list(Recommendation.objects.for_user(alice))
    assert [pick.paper for pick in picks] == [best, second]
    assert picks[0].reason == Recommendation.Reason.POPULAR


def test_rating_a_paper_refreshes_the_raters_picks(
    alice, papers, django_capture_on_commit_callbacks
):
    from portal.celery import app as celery_app
    from reviews.ratings import submit_review

    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            submit_review(user=alice, paper=papers[BLOGS], rating=5)
    finally:
        celery_app.conf.task_always_eager = False

    assert shown(alice)[0] == papers[NEWSLETTER]


# --- page and API ---


def test_the_page_lists_picks_with_reasons_and_a_not_relevant_button(client, alice, papers):
    rate(alice, papers[BLOGS], 5)
    refresh_picks(alice.pk)
    client.force_login(alice)

    page = client.get(reverse("recommendations:recommendations")).content.decode()
    assert papers[NEWSLETTER].title in page
    assert "Because you rated" in page

    dismiss_url = reverse("recommendations:recommendation-dismiss", args=[papers[NEWSLETTER].pk])
    response = client.post(dismiss_url, follow=True)
    assert "will not be recommended to you again" in response.content.decode()
    assert papers[NEWSLETTER] not in shown(alice)


def test_the_page_asks_for_a_log_in(client):
    response = client.get(reverse("recommendations:recommendations"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_runs_a_constant_number_of_queries(client, alice, django_assert_num_queries):
    for _ in range(15):
        Recommendation.objects.create(
            user=alice, paper=PaperFactory(), rank=1, score=1, reason="popular"
        )
    client.force_login(alice)
    # session, user, picks with papers and journals
    with django_assert_num_queries(3):
        response = client.get(reverse("recommendations:recommendations"))
    assert response.content.decode().count('class="pick"') == 15


def test_the_api_lists_my_picks_and_dismisses_one(client, alice, papers):
    rate(alice, papers[BLOGS], 5)
    refresh_picks(alice.pk)
    client.force_login(alice)

    body = client.get("/api/v1/me/recommendations/").json()
    assert body[0]["paper"]["title"] == papers[NEWSLETTER].title
    assert body[0]["reason"] == "rated"
    assert body[0]["reason_label"].startswith("Because you rated")

    response = client.post(f"/api/v1/me/recommendations/{papers[NEWSLETTER].pk}/dismiss/")
    assert response.status_code == 204
    titles = [pick["paper"]["title"] for pick in client.get("/api/v1/me/recommendations/").json()]
    assert papers[NEWSLETTER].title not in titles
    assert client.post("/api/v1/me/recommendations/999999/dismiss/").status_code == 404


def test_the_api_needs_a_signed_in_user(client):
    assert client.get("/api/v1/me/recommendations/").status_code in (401, 403)


def test_the_related_api_gives_the_papers_list_with_reasons(client, papers):
    body = client.get(f"/api/v1/papers/{papers[BLOGS].pk}/related/").json()

    assert body[0]["paper"]["title"] == papers[NEWSLETTER].title
    assert body[0]["rank"] == 1 and body[0]["reason_label"]
    assert client.get("/api/v1/papers/999999/related/").status_code == 404
    assert all(item["paper"]["id"] != papers[BLOGS].pk for item in body)


def test_picks_show_one_version_of_a_work_and_none_of_a_work_already_rated(alice, papers):
    rate(alice, papers[BLOGS], 5)
    refresh_picks(alice.pk)
    first, second, third, fourth = shown(alice)[:4]
    # A curator finds that the first two picks are versions of one work, and so are the
    # next two; alice rates the fourth.
    version_groups.link(first, second)
    version_groups.link(third, fourth)
    stands_for = Paper.objects.get(pk=first.pk).version_group_id
    rate(alice, fourth, 4)

    refresh_picks(alice.pk)

    picked = [paper.pk for paper in shown(alice)]
    assert stands_for in picked
    assert len({first.pk, second.pk} & set(picked)) == 1
    # alice rated one version of the other work: neither version is picked.
    assert not {third.pk, fourth.pk} & set(picked)
