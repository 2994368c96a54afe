"""reviews.ratings: the rules of writing reviews and the stored summary, on both databases."""

from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, transaction

from papers.models import Paper
from reviews import ratings
from reviews.models import MAX_TEXT_CHARS, RatingSummary, Review
from reviews.ratings import ReviewRefused, submit_review
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def stored_equals_fresh(paper):
    summary = RatingSummary.objects.get(paper=paper)
    fresh = ratings.fresh_aggregate(paper.pk)
    return {name: getattr(summary, name) for name in fresh} == fresh


def test_a_review_updates_the_summary_and_the_paper_columns_at_once():
    paper = PaperFactory()
    for rating, novelty in ((5, 4), (4, None), (3, 2)):
        submit_review(user=UserFactory(), paper=paper, rating=rating, novelty=novelty)

    summary = RatingSummary.objects.get(paper=paper)
    assert (summary.count, summary.total) == (3, 12)
    assert (summary.count_5, summary.count_4, summary.count_3, summary.count_1) == (1, 1, 1, 0)
    assert (summary.novelty_count, summary.novelty_total) == (2, 6)
    assert summary.rigor_count == 0
    paper.refresh_from_db()
    assert paper.rating_count == 3
    assert float(paper.rating_average) == 4.0
    assert paper.rating_score == pytest.approx(ratings.bayesian_score(12, 3, mean=4.0))


def test_a_second_review_by_the_same_reader_edits_the_first():
    paper, user = PaperFactory(), UserFactory()
    first, created = submit_review(user=user, paper=paper, rating=2, text="Weak.")
    second, created_again = submit_review(user=user, paper=paper, rating=4, text="Better now.")

    assert created and not created_again
    assert first.pk == second.pk
    assert Review.objects.filter(paper=paper).count() == 1
    assert RatingSummary.objects.get(paper=paper).total == 4


def test_the_database_refuses_a_second_review_row_for_the_same_reader_and_paper():
    paper, user = PaperFactory(), UserFactory()
    Review.objects.create(paper=paper, user=user, rating=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(paper=paper, user=user, rating=4)


@pytest.mark.parametrize("field", ["rating", "novelty", "significance", "rigor"])
@pytest.mark.parametrize("value", [0, 6])
def test_the_database_refuses_ratings_outside_one_to_five(field, value):
    values = {"rating": 3, field: value}
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(paper=PaperFactory(), user=UserFactory(), **values)


def test_the_database_refuses_an_oversized_text():
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            paper=PaperFactory(), user=UserFactory(), rating=3, text="x" * (MAX_TEXT_CHARS + 1)
        )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rating": 0}, "The rating must be from 1 to 5."),
        ({"rating": 6}, "The rating must be from 1 to 5."),
        ({"rating": None}, "Choose a rating from 1 to 5."),
        ({"rating": 4, "novelty": 9}, "Novelty must be from 1 to 5."),
        ({"rating": 4, "rigor": 0}, "Scientific rigor must be from 1 to 5."),
        ({"rating": 4, "text": "x" * 10_001}, "at most 10,000 characters; this one has 10,001"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_is_written(values, message):
    paper = PaperFactory()
    with pytest.raises(ReviewRefused, match=message):
        submit_review(user=UserFactory(), paper=paper, **values)
    assert not Review.objects.exists()
    assert not RatingSummary.objects.exists()


def test_deleting_hiding_and_restoring_keep_the_summary_exact():
    paper = PaperFactory()
    reviews = [submit_review(user=UserFactory(), paper=paper, rating=r)[0] for r in (5, 1, 4)]
    curator = UserFactory(is_staff=True)

    ratings.hide_review(reviews[1], curator=curator, reason="Off topic.")
    assert RatingSummary.objects.get(paper=paper).count == 2
    assert stored_equals_fresh(paper)
    assert Paper.objects.get(pk=paper.pk).rating_average == pytest.approx(4.5)

    ratings.restore_review(reviews[1])
    assert RatingSummary.objects.get(paper=paper).count == 3
    ratings.delete_review(user=reviews[0].user, review=reviews[0])
    assert RatingSummary.objects.get(paper=paper).total == 5
    assert stored_equals_fresh(paper)


def test_hiding_needs_a_reason():
    review, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=3)
    with pytest.raises(ReviewRefused, match="Say why"):
        ratings.hide_review(review, curator=UserFactory(is_staff=True), reason="  ")
    review.refresh_from_db()
    assert not review.is_hidden


def test_nobody_deletes_another_readers_review():
    review, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=3)
    with pytest.raises(ReviewRefused, match="only delete your own"):
        ratings.delete_review(user=UserFactory(), review=review)
    assert Review.objects.filter(pk=review.pk).exists()


def test_one_five_star_rating_does_not_top_a_paper_rated_well_by_many():
    lucky, solid, others = PaperFactory(), PaperFactory(), PaperFactory.create_batch(5)
    for paper in others:  # the rest of the catalogue: middling ratings
        for rating in (3, 4):
            submit_review(user=UserFactory(), paper=paper, rating=rating)
    submit_review(user=UserFactory(), paper=lucky, rating=5)
    for rating in [5, 4, 5, 4, 5, 5, 4, 5, 5, 4]:
        submit_review(user=UserFactory(), paper=solid, rating=rating)
    ratings.refresh_scores()

    lucky.refresh_from_db()
    solid.refresh_from_db()
    assert lucky.rating_average > solid.rating_average
    assert solid.rating_score > lucky.rating_score
    assert list(Paper.objects.order_by("-rating_score")[:2]) == [solid, lucky]


def test_the_bayesian_score_shrinks_toward_the_mean():
    assert ratings.bayesian_score(5, 1, mean=3.0, weight=5) == pytest.approx(20 / 6)
    assert ratings.bayesian_score(0, 0, mean=3.0, weight=5) == 3.0
    assert ratings.bayesian_score(450, 100, mean=3.0, weight=5) == pytest.approx(465 / 105)


def test_helpful_votes_count_once_and_never_on_ones_own_review():
    author, reader = UserFactory(), UserFactory()
    review, _ = submit_review(user=author, paper=PaperFactory(), rating=4, text="Clear and useful.")

    assert ratings.mark_helpful(user=reader, review=review) is True
    assert ratings.mark_helpful(user=reader, review=review) is False
    with pytest.raises(ReviewRefused, match="your own review"):
        ratings.mark_helpful(user=author, review=review)
    review.refresh_from_db()
    assert review.helpful_count == 1


def test_a_rating_without_text_cannot_be_marked_helpful():
    review, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=4)
    with pytest.raises(ReviewRefused, match="written reviews"):
        ratings.mark_helpful(user=UserFactory(), review=review)


def test_a_report_needs_a_reason_and_counts_once_per_reader():
    review, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=1, text="Spam!")
    reader = UserFactory()
    with pytest.raises(ReviewRefused, match="Say what is wrong"):
        ratings.report_review(user=reader, review=review, reason=" ")
    _, created = ratings.report_review(user=reader, review=review, reason="Advertising.")
    _, again = ratings.report_review(user=reader, review=review, reason="Advertising!")
    assert created and not again
    assert review.reports.count() == 1


def test_review_submissions_are_rate_limited_per_reader(settings):
    settings.REVIEWS_PER_HOUR = 2
    user = UserFactory()
    for _ in range(2):
        submit_review(user=user, paper=PaperFactory(), rating=3)
    with pytest.raises(ReviewRefused, match="limit of 2 written or edited reviews an hour"):
        submit_review(user=user, paper=PaperFactory(), rating=3)
    submit_review(user=UserFactory(), paper=PaperFactory(), rating=3)  # others are not limited
    assert Review.objects.count() == 3


def test_reports_are_rate_limited_per_reader(settings):
    settings.REPORTS_PER_HOUR = 1
    reader = UserFactory()
    first, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=1, text="a")
    second, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=1, text="b")
    ratings.report_review(user=reader, review=first, reason="Rude.")
    with pytest.raises(ReviewRefused, match="limit of 1 reported reviews an hour"):
        ratings.report_review(user=reader, review=second, reason="Rude.")


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<style>body{display:none}</style>",
        '[click](javascript:alert(1)) <a href="https://e.org" onclick="alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_html_in_a_review_never_reaches_the_page_as_markup(text):
    review, _ = submit_review(user=UserFactory(), paper=PaperFactory(), rating=3, text=text)

    tags = markup_of(review.text_html)
    assert {tag for tag, _ in tags} <= {"p", "a"}
    for _, attributes in tags:
        assert all(not name.startswith("on") for name in attributes)
        assert not (attributes.get("href") or "").lower().startswith("javascript")
    assert review.text == text  # what the reviewer wrote is kept as written


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def markup_of(html):
    parser = _Markup()
    parser.feed(html)
    return parser.tags


def test_markdown_is_rendered_with_safe_links():
    review, _ = submit_review(
        user=UserFactory(),
        paper=PaperFactory(),
        rating=4,
        text="**Solid** work, see [data](https://example.org/data).\n\n- one\n- two",
    )
    assert "<strong>Solid</strong>" in review.text_html
    assert 'href="https://example.org/data"' in review.text_html
    assert 'rel="nofollow noopener noreferrer"' in review.text_html
    assert "<li>one</li>" in review.text_html
