"""The rating form, the reviews blocks of the paper page, voting, reporting, moderation."""

import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from papers.models import Paper
from reviews import ratings
from reviews.models import RatingSummary, Review, ReviewReport
from reviews.ratings import submit_review
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def review_url(paper):
    return reverse("reviews:review", args=[paper.pk])


def test_a_logged_out_reader_is_sent_to_log_in_and_back_to_the_form(client):
    paper = PaperFactory()
    response = client.get(review_url(paper))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={review_url(paper)}"

    client.force_login(UserFactory())
    page = client.get(review_url(paper)).text
    assert "Rate this paper" in page and 'name="rating"' in page


def test_the_form_works_without_javascript(client):
    paper = PaperFactory()
    client.force_login(UserFactory())

    response = client.post(review_url(paper), {"rating": "4", "novelty": "5", "text": "Good."})

    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url() + "#ratings"
    page = client.get(paper.get_absolute_url()).text
    assert "Thank you: your rating is in." in page
    assert "Update my review" in page
    assert Review.objects.get(paper=paper).novelty == 5


def test_with_javascript_the_answer_is_the_new_summary_block(client, settings):
    settings.RATINGS_MIN_SHOWN = 1
    paper = PaperFactory()
    client.force_login(UserFactory())

    response = client.post(review_url(paper), {"rating": "5"}, HTTP_ACCEPT="application/json")

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["message"] == "Thank you: your rating is in."
    assert 'class="rating-big">5.0<' in body["summary_html"]
    assert "data-rating-summary" in body["summary_html"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": "0"}, "A rating is a whole number from 1 to 5."),
        ({"rating": "6"}, "A rating is a whole number from 1 to 5."),
        ({}, "Choose a rating from 1 to 5."),
        ({"rating": "3", "text": "x" * 10_001}, "at most 10,000 characters"),
    ],
)
def test_bad_input_is_shown_with_its_message_and_nothing_is_saved(client, data, message):
    paper = PaperFactory()
    client.force_login(UserFactory())

    page = client.post(review_url(paper), data)
    as_json = client.post(review_url(paper), data, HTTP_ACCEPT="application/json")

    assert page.status_code == 400 and message in page.text
    assert as_json.status_code == 400
    assert any(message in error for error in json.loads(as_json.content)["errors"])
    assert not Review.objects.exists()


def test_the_rate_limit_has_a_clear_message(client, settings):
    settings.REVIEWS_PER_HOUR = 1
    client.force_login(UserFactory())
    client.post(review_url(PaperFactory()), {"rating": "3"})

    response = client.post(review_url(PaperFactory()), {"rating": "3"})

    assert response.status_code == 429
    assert "limit of 1 written or edited reviews an hour" in response.text


def test_the_page_shows_distribution_and_secondary_averages(client, settings):
    settings.RATINGS_MIN_SHOWN = 3
    paper = PaperFactory()
    for rating, rigor in ((5, 4), (5, None), (2, 2)):
        submit_review(user=UserFactory(), paper=paper, rating=rating, rigor=rigor)

    page = client.get(paper.get_absolute_url()).text

    assert 'class="rating-big">4.0<' in page
    assert "from 3 ratings" in page
    assert "<dt>Scientific rigor</dt><dd>3.0</dd>" in page
    assert "<dt>Novelty</dt><dd>-</dd>" in page
    assert '<rect width="100" height="1">' in page  # the five-star bar, the longest
    assert '<rect width="50" height="1">' in page  # the two-star bar, half as long


def test_written_reviews_are_listed_most_helpful_first_then_newest(client):
    paper = PaperFactory()
    old, _ = submit_review(user=UserFactory(), paper=paper, rating=4, text="Older review.")
    new, _ = submit_review(user=UserFactory(), paper=paper, rating=3, text="Newer review.")
    helpful, _ = submit_review(user=UserFactory(), paper=paper, rating=5, text="Helpful review.")
    submit_review(user=UserFactory(), paper=paper, rating=5)  # no text: not listed
    ratings.mark_helpful(user=UserFactory(), review=helpful)

    page = client.get(paper.get_absolute_url()).text

    assert page.index("Helpful review.") < page.index("Newer review.") < page.index("Older review.")
    assert "Written reviews (3)" in page


def test_a_hidden_review_leaves_the_page_and_the_summary(client, settings):
    settings.RATINGS_MIN_SHOWN = 1
    paper = PaperFactory()
    bad, _ = submit_review(user=UserFactory(), paper=paper, rating=1, text="Buy pills here.")
    submit_review(user=UserFactory(), paper=paper, rating=5)
    ratings.hide_review(bad, curator=UserFactory(is_staff=True), reason="Spam.")

    page = client.get(paper.get_absolute_url()).text

    assert "Buy pills here." not in page
    assert 'class="rating-big">5.0<' in page


def test_readers_vote_helpful_and_report_through_the_page(client):
    paper = PaperFactory()
    review, _ = submit_review(user=UserFactory(), paper=paper, rating=2, text="Sloppy stats.")
    client.force_login(UserFactory())

    client.post(reverse("reviews:helpful", args=[review.pk]))
    report = client.post(reverse("reviews:report", args=[review.pk]), {"reason": "Rude tone."})

    review.refresh_from_db()
    assert review.helpful_count == 1
    assert report.status_code == 302
    assert ReviewReport.objects.get(review=review).reason == "Rude tone."
    assert "You found this helpful" in client.get(paper.get_absolute_url()).text


def test_a_reader_cannot_delete_someone_elses_review(client):
    review, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=2)
    client.force_login(UserFactory())

    client.post(reverse("reviews:delete", args=[review.pk]))

    assert Review.objects.filter(pk=review.pk).exists()


def test_the_author_deletes_their_review_and_the_summary_follows(client):
    user = UserFactory()
    review, _ = submit_review(user=user, paper=PaperFactory(), rating=2)
    client.force_login(user)

    client.post(reverse("reviews:delete", args=[review.pk]))

    assert not Review.objects.exists()
    assert RatingSummary.objects.get(paper=review.paper).count == 0
    assert Paper.objects.get(pk=review.paper_id).rating_average is None


@pytest.mark.parametrize("reviews", [1, 30])
def test_the_page_runs_the_same_queries_whatever_the_number_of_reviews(
    client, django_assert_num_queries, reviews
):
    from tests.papers.test_paper_page import UNCITED_PAGE_QUERIES as PAGE_QUERIES

    paper = PaperFactory()
    for n in range(reviews):
        submit_review(user=UserFactory(), paper=paper, rating=1 + n % 5, text=f"Review {n}.")

    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(paper.get_absolute_url()).status_code == 200


def test_curators_hide_with_a_reason_and_the_reviewer_is_told(
    admin_client, django_capture_on_commit_callbacks
):
    reviewer = UserFactory(email="reviewer@example.org")
    review, _ = submit_review(user=reviewer, paper=PaperFactory(), rating=1, text="Spam.")
    changelist = reverse("admin:reviews_review_changelist")

    confirm = admin_client.post(
        changelist, {"action": "hide_reviews", "_selected_action": [review.pk]}
    )
    assert confirm.status_code == 200 and "Hide these reviews?" in confirm.text
    with django_capture_on_commit_callbacks() as after_commit:
        admin_client.post(
            changelist,
            {"action": "hide_reviews", "_selected_action": [review.pk], "reason": "Advertising."},
        )

    review.refresh_from_db()
    assert review.is_hidden and review.hidden_reason == "Advertising."
    assert RatingSummary.objects.get(paper=review.paper).count == 0
    # Nothing is sent inside the admin's request: the email is a task enqueued on commit,
    # which runs here as a worker would (tasks run in-process in tests/reviews).
    assert mail.outbox == [] and after_commit
    for callback in after_commit:  # the email task, the other versions' pages bumped
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["reviewer@example.org"]
    assert "Advertising." in mail.outbox[0].body

    admin_client.post(changelist, {"action": "restore_reviews", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert not review.is_hidden
    assert RatingSummary.objects.get(paper=review.paper).count == 1


def test_curators_find_reported_reviews_with_their_reports(admin_client):
    reported, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=1, text="Rude.")
    quiet, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=4, text="Fine.")
    ratings.report_review(user=UserFactory(), review=reported, reason="Insults the authors.")

    listing = admin_client.get(reverse("admin:reviews_review_changelist"), {"reported": "yes"})
    detail = admin_client.get(reverse("admin:reviews_review_change", args=[reported.pk]))

    assert f"/admin/reviews/review/{reported.pk}/change/" in listing.text
    assert f"/admin/reviews/review/{quiet.pk}/change/" not in listing.text
    assert "Insults the authors." in detail.text


def test_recompute_ratings_repairs_a_wrong_summary():
    paper = PaperFactory()
    for rating in (5, 3):
        submit_review(user=UserFactory(), paper=paper, rating=rating)
    RatingSummary.objects.filter(paper=paper).update(count=99, total=1)
    Paper.objects.filter(pk=paper.pk).update(rating_count=99)

    call_command("recompute_ratings")

    summary = RatingSummary.objects.get(paper=paper)
    assert (summary.count, summary.total) == (2, 8)
    assert Paper.objects.get(pk=paper.pk).rating_count == 2


def test_the_nightly_task_rescores_papers_against_the_current_mean(settings):
    from portal.celery import app as celery_app

    early = PaperFactory()
    submit_review(user=UserFactory(), paper=early, rating=5)  # scored against the prior mean
    for paper in PaperFactory.create_batch(3):  # later ratings lower the catalogue mean
        for rating in (1, 2):
            submit_review(user=UserFactory(), paper=paper, rating=rating)
    stale = Paper.objects.get(pk=early.pk).rating_score

    assert ratings.recompute_ratings.delay().get() == 4  # run here (eager in tests/reviews)

    mean = ratings.catalogue_mean()
    assert Paper.objects.get(pk=early.pk).rating_score == pytest.approx(
        ratings.bayesian_score(5, 1, mean=mean)
    )
    assert Paper.objects.get(pk=early.pk).rating_score < stale
    schedule = settings.CELERY_BEAT_SCHEDULE["recompute-ratings"]
    assert schedule["task"] == ratings.recompute_ratings.name
    assert schedule["task"] in celery_app.tasks
