"""Writing reviews and keeping each paper's rating summary exactly right.

Every change to a review (written, edited, deleted, hidden, restored) goes through a
function here, which locks the paper's row, makes the change and rebuilds the paper's
summary from its visible reviews, all in one transaction. Writers of the same paper
therefore take turns, and the stored summary always equals a fresh aggregate, however many
readers rate at once (tests/reviews/test_concurrent_ratings.py checks it with 50 raters).

"Best rated" sorts by a Bayesian average (``bayesian_score``): each paper's ratings
shrunk toward the catalogue's mean rating, as if every paper had ``RATING_PRIOR_WEIGHT``
extra ratings at that mean, so that one 5-star rating cannot top the list.
"""

from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.dispatch import Signal
from django.utils import timezone

from accounts.claims import is_verified_author
from accounts.models import Profile
from papers import version_groups
from papers.curation import bump_version
from papers.models import NEXT_VERSION, Paper
from papers.signals import send_on_commit
from reviews import notifications
from reviews.limits import Refused, check_hourly_limit
from reviews.models import (
    MAX_TEXT_CHARS,
    SECONDARY,
    HelpfulVote,
    RatingSummary,
    Review,
    ReviewReport,
)
from reviews.text import render_review_text

# Sent after the commit of a reader's new, edited or deleted rating. Arguments: user_id,
# paper_id. Personal recommendations (accounts) listen, so that reviews need not know them.
rating_changed = Signal()

VERIFIED_AUTHOR_REFUSAL = "You are a verified author of this paper, so you cannot rate it."


class ReviewRefused(Refused):
    """A review change that is not allowed; the message says why, for the user."""


def submit_review(
    *, user, paper, rating, novelty=None, significance=None, rigor=None, text="", only_new=False
):
    """Write ``user``'s review of ``paper`` (a new one, or their existing one edited).

    Returns (review, created). Raises ReviewRefused with a message for the user when the
    values are out of range, the text is too long, or the user may not rate this paper; with
    ``only_new`` (the API's create), also when the user has reviewed the paper already
    (``existing`` is that review). Decided under the paper's row lock, so of concurrent
    first reviews by one reader exactly one is created.
    """
    values = {"rating": rating, "novelty": novelty, "significance": significance, "rigor": rigor}
    _check_values(values, text)
    refusal = rating_refusal(user, paper)
    if refusal:
        raise ReviewRefused(refusal, forbidden=True)
    with transaction.atomic():
        _lock_paper(paper.pk)
        review = Review.objects.filter(paper=paper, user=user).first()
        if review is not None and only_new:
            raise ReviewRefused(
                "You have already reviewed this paper: change that review instead.",
                existing=review,
            )
        check_hourly_limit(
            Review.objects.filter(user=user),
            settings.REVIEWS_PER_HOUR,
            "written or edited reviews",
            refused=ReviewRefused,
            time_field="updated_at",
        )
        created = review is None
        if created:
            review = Review(paper=paper, user=user)
        for name, value in values.items():
            setattr(review, name, value)
        review.text = text
        review.text_html = render_review_text(text)
        review.verified_researcher = has_proven_orcid(user)
        review.save()
        refresh_summary(paper.pk)
        _tell_rating_changed(user.pk, paper.pk)
    return review, created


def _tell_rating_changed(user_id, paper_id):
    # Personal recommendations (accounts) follow a reader's ratings, once committed.
    send_on_commit(rating_changed, Review, user_id=user_id, paper_id=paper_id)


def delete_review(*, user, review):
    if review.user_id != user.pk:
        raise ReviewRefused("You can only delete your own review.", forbidden=True)
    with transaction.atomic():
        _lock_paper(review.paper_id)
        review.delete()
        refresh_summary(review.paper_id)
        _tell_rating_changed(user.pk, review.paper_id)


def hide_review(review, *, curator, reason):
    """A curator hides a review: it leaves the page and the summary at once. The reviewer
    is told why by email, from a worker once the hiding is committed."""
    if not reason.strip():
        raise ReviewRefused("Say why the review is hidden: its author is told.")
    with transaction.atomic():
        _lock_paper(review.paper_id)
        Review.objects.filter(pk=review.pk).update(
            is_hidden=True,
            hidden_reason=reason.strip(),
            hidden_at=timezone.now(),
            hidden_by=curator,
        )
        refresh_summary(review.paper_id)
        notifications.tell_reviewer_hidden.delay_on_commit(review.pk)
    review.refresh_from_db()
    return review


def restore_review(review):
    with transaction.atomic():
        _lock_paper(review.paper_id)
        Review.objects.filter(pk=review.pk).update(
            is_hidden=False, hidden_reason="", hidden_at=None, hidden_by=None
        )
        refresh_summary(review.paper_id)
    review.refresh_from_db()
    return review


def mark_helpful(*, user, review):
    """One "helpful" vote per reader, never on one's own review. Returns True if counted."""
    if review.user_id == user.pk:
        raise ReviewRefused("You cannot mark your own review as helpful.")
    if not review.text:
        raise ReviewRefused("Only written reviews can be marked helpful.")
    with transaction.atomic():
        _, created = HelpfulVote.objects.get_or_create(review=review, user=user)
        if created:
            count = HelpfulVote.objects.filter(review=review).count()
            Review.objects.filter(pk=review.pk).update(helpful_count=count)
            bump_version([review.paper_id])  # the page shows the count
            version_groups.bump_other_versions_on_commit(review.paper_id)
    return created


def report_review(*, user, review, reason):
    """A reader reports a review to the curators. Returns (report, created)."""
    reason = reason.strip()
    if not reason:
        raise ReviewRefused("Say what is wrong with the review.")
    if len(reason) > 2000:
        raise ReviewRefused("Keep the reason under 2,000 characters.")
    check_hourly_limit(
        ReviewReport.objects.filter(user=user),
        settings.REPORTS_PER_HOUR,
        "reported reviews",
        refused=ReviewRefused,
    )
    return ReviewReport.objects.get_or_create(review=review, user=user, defaults={"reason": reason})


def rating_refusal(user, paper):
    """Why ``user`` may not rate ``paper``, or "" when they may."""
    if not user.is_authenticated:
        return "Log in to rate this paper."
    if is_verified_author(user, paper):
        return VERIFIED_AUTHOR_REFUSAL
    return ""


def has_proven_orcid(user):
    """True when ``user``'s ORCID iD was proven by an ORCID sign-in (a verified researcher)."""
    profile = Profile.objects.filter(user=user).only("orcid_proven").first()
    return bool(profile and profile.orcid_proven)


# --- the summary ---


def refresh_summary(paper_id):
    """Rebuild ``paper_id``'s RatingSummary and Paper rating columns from its visible reviews.

    Call inside the transaction that changed a review, after locking the paper's row.
    """
    fields = fresh_aggregate(paper_id)
    summary, _ = RatingSummary.objects.update_or_create(paper_id=paper_id, defaults=fields)
    count, total = fields["count"], fields["total"]
    Paper.objects.filter(pk=paper_id).update(
        rating_count=count,
        rating_average=round(total / count, 2) if count else None,
        rating_score=bayesian_score(total, count, mean=catalogue_mean()) if count else None,
        # Every review change ends here: the page's summary and review list are new.
        content_version=NEXT_VERSION,
    )
    # The pages of the work's other versions show this one's rating and reviews.
    version_groups.bump_other_versions_on_commit(paper_id)
    return summary


def fresh_aggregate(paper_id):
    """The summary fields of ``paper_id`` computed from its visible reviews (one query)."""
    visible = Q(reviews__is_hidden=False)
    aggregates = {
        "count": Count("reviews", filter=visible),
        "total": Sum("reviews__rating", filter=visible),
    }
    for stars in range(1, 6):
        aggregates[f"count_{stars}"] = Count("reviews", filter=visible & Q(reviews__rating=stars))
    for name in SECONDARY:
        given = visible & Q(**{f"reviews__{name}__isnull": False})
        aggregates[f"{name}_count"] = Count("reviews", filter=given)
        aggregates[f"{name}_total"] = Sum(f"reviews__{name}", filter=given)
    row = Paper.objects.filter(pk=paper_id).aggregate(**aggregates)
    return {name: value or 0 for name, value in row.items()}


def fresh_aggregate_fields(summary):
    """The stored values of ``summary`` in the order of ``fresh_aggregate``'s fields."""
    return [getattr(summary, name) for name in SUMMARY_FIELDS]


SUMMARY_FIELDS = [
    "count",
    "total",
    *(f"count_{stars}" for stars in range(1, 6)),
    *(f"{name}_{part}" for name in SECONDARY for part in ("count", "total")),
]


def catalogue_mean():
    """The mean of all visible ratings in the catalogue; RATING_PRIOR_MEAN when there are none."""
    row = RatingSummary.objects.aggregate(count=Sum("count"), total=Sum("total"))
    if not row["count"]:
        return settings.RATING_PRIOR_MEAN
    return row["total"] / row["count"]


def bayesian_score(total, count, *, mean, weight=None):
    """(weight * mean + total) / (weight + count): the average shrunk toward ``mean``."""
    weight = settings.RATING_PRIOR_WEIGHT if weight is None else weight
    return (weight * mean + total) / (weight + count)


@shared_task
def recompute_ratings():
    """Nightly (beat): every rating summary rebuilt from its reviews, and every score
    re-computed against the catalogue mean of now. Returns how many papers were visited."""
    paper_ids = papers_with_ratings()
    recompute_all(paper_ids)
    return len(paper_ids)


def papers_with_ratings():
    """Ids of every paper that has reviews, a summary or rating columns to rebuild."""
    rated = Q(reviews__isnull=False) | Q(rating_summary__isnull=False) | Q(rating_count__gt=0)
    return list(Paper.objects.filter(rated).distinct().order_by("pk").values_list("pk", flat=True))


def recompute_all(paper_ids, *, progress=None):
    """Rebuild the summaries of ``paper_ids`` (e.g. every paper with reviews), one paper per
    transaction; then every rated paper's score against the new catalogue mean."""
    for paper_id in paper_ids:
        with transaction.atomic():
            _lock_paper(paper_id)
            refresh_summary(paper_id)
        if progress:
            progress(paper_id)
    refresh_scores()


def refresh_scores():
    """Every rated paper's Bayesian score against the current catalogue mean."""
    mean = catalogue_mean()
    for summary in RatingSummary.objects.filter(count__gt=0).iterator():
        Paper.objects.filter(pk=summary.paper_id).update(
            rating_score=bayesian_score(summary.total, summary.count, mean=mean)
        )


# --- what the page shows ---


@dataclass(frozen=True)
class SummaryView:
    count: int
    average: str | None  # "4.8", or None below the minimum number of ratings
    distribution: list  # [(stars, count, percent of the largest bar)], 5 stars first
    secondary: list  # [(label, "4.2" or "-")]


SECONDARY_LABELS = {
    "novelty": "Novelty",
    "significance": "Significance",
    "rigor": "Scientific rigor",
}


def summary_view(summary):
    """What the reviews block shows of ``summary`` (a RatingSummary or None)."""
    count = summary.count if summary else 0
    enough = count >= settings.RATINGS_MIN_SHOWN
    counts = {
        stars: getattr(summary, f"count_{stars}", 0) if summary else 0 for stars in range(1, 6)
    }
    largest = max(counts.values()) or 1
    return SummaryView(
        count=count,
        average=f"{summary.total / count:.1f}" if enough else None,
        distribution=[
            (stars, counts[stars], round(100 * counts[stars] / largest))
            for stars in range(5, 0, -1)
        ],
        secondary=[
            (label, _average(summary, name) if enough else "-")
            for name, label in SECONDARY_LABELS.items()
        ],
    )


def _average(summary, name):
    given = getattr(summary, f"{name}_count")
    return f"{getattr(summary, f'{name}_total') / given:.1f}" if given else "-"


def _check_values(values, text):
    if values["rating"] is None:
        raise ReviewRefused("Choose a rating from 1 to 5.")
    for name, value in values.items():
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 5):
            raise ReviewRefused(f"{SECONDARY_LABELS.get(name, 'The rating')} must be from 1 to 5.")
    if len(text) > MAX_TEXT_CHARS:
        raise ReviewRefused(
            f"A review can be at most {MAX_TEXT_CHARS:,} characters; this one has {len(text):,}."
        )


def _lock_paper(paper_id):
    # Writers of one paper take turns here, so each rebuilds the summary on committed data.
    Paper.objects.select_for_update().filter(pk=paper_id).values_list("pk", flat=True).get()


def co_rated_pairs(*, min_rating=4, per_reader=50):
    """{paper id: {other paper id: readers}}: how many readers rated both papers highly.

    The behaviour the related-papers lists blend in. Each reader's latest ``per_reader``
    high ratings count, so one prolific reader cannot make the work quadratic. One query.
    """
    liked = (
        Review.objects.filter(rating__gte=min_rating, is_hidden=False, user__isnull=False)
        .order_by("user_id", "-updated_at")
        .values_list("user_id", "paper_id")
    )
    by_reader = {}
    for user_id, paper_id in liked.iterator(chunk_size=10000):
        papers = by_reader.setdefault(user_id, [])
        if len(papers) < per_reader:
            papers.append(paper_id)
    pairs = {}
    for papers in by_reader.values():
        for paper_id in papers:
            counts = pairs.setdefault(paper_id, {})
            for other in papers:
                if other != paper_id:
                    counts[other] = counts.get(other, 0) + 1
    return pairs


def co_rated_with(paper_id, *, min_rating=4):
    """{other paper id: readers}: how many of the readers who rated ``paper_id`` highly
    rated each other paper highly too; what placing one paper blends in (one query)."""
    high = Review.objects.filter(rating__gte=min_rating, is_hidden=False, user__isnull=False)
    readers = high.filter(paper_id=paper_id).values("user_id")
    others = high.filter(user_id__in=readers).exclude(paper_id=paper_id)
    counts = others.values("paper_id").annotate(readers=Count("user_id", distinct=True))
    return dict(counts.values_list("paper_id", "readers"))
