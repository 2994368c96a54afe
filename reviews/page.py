"""What the paper page shows of reviews: the summary, the written reviews, and the reader's
own review and votes. A fixed number of queries whatever the number of reviews."""

from papers.models import Paper
from reviews.forms import ReviewForm
from reviews.models import HelpfulVote, MeToo, ResourceRequest, Review
from reviews.ratings import VERIFIED_AUTHOR_REFUSAL, rating_refusal, summary_view
from reviews.resources import requests_for_page

# Written reviews shown on the paper page, most helpful first, then newest.
REVIEWS_SHOWN = 50


def reviews_context(paper, user):
    """Context for the reviews blocks of ``paper``'s page as ``user`` sees it.

    Queries: the written reviews (1); for a signed-in reader also their own review (1)
    and which shown reviews they found helpful (1). The summary comes with the paper
    (``Paper.objects.for_page()`` joins it).
    """
    written = written_reviews(paper)
    context = {
        "ratings": summary_view(stored_summary(paper)),
        "written_reviews": written,
        "own_review": None,
        "helpful_review_ids": set(),
        "rating_refusal": "",
    }
    if user.is_authenticated:
        context["own_review"] = Review.objects.filter(paper=paper, user=user).first()
        context["helpful_review_ids"] = set(
            HelpfulVote.objects.filter(user=user, review__paper=paper).values_list(
                "review_id", flat=True
            )
        )
        context["rating_refusal"] = rating_refusal(user, paper)
        context["review_form"] = ReviewForm.for_review(context["own_review"])
    return context


def written_reviews(paper, versions=()):
    """The written reviews the page shows, most helpful first, then newest, with their
    users' profiles: the paper's own, and those of its other ``versions``
    (``papers.version_groups.versions_of``), each of these marked with the version it
    rated (``review.version`` and ``review.version_label``, "preprint"). One query."""
    other = {version.paper.pk: version for version in versions}
    reviews = list(
        Review.objects.filter(paper_id__in=[paper.pk, *other], is_hidden=False)
        .exclude(text="")
        .select_related("user__profile")
        .order_by("-helpful_count", "-created_at", "-id")[:REVIEWS_SHOWN]
    )
    for review in reviews:
        version = other.get(review.paper_id)
        review.version = version.paper if version else None
        review.version_label = version.label.lower() if version else ""
    return reviews


def reader_reviews_context(paper, user, *, shown_review_ids, verified_author):
    """The reader's own part of the reviews blocks, beside the cached summary and list:
    their review and its form, which shown reviews they found helpful, why they may not rate.

    ``user`` is signed in; ``shown_review_ids`` are the reviews the page lists;
    ``verified_author``: whether they hold a verified claim on the paper (the page knows it
    from the claims it shows). Queries: their review (1), their helpful votes on the shown
    reviews (1, none when no review is shown).
    """
    own_review = Review.objects.filter(paper_id=paper.pk, user=user).first()
    helpful = set()
    if shown_review_ids:
        helpful = set(
            HelpfulVote.objects.filter(user=user, review_id__in=shown_review_ids).values_list(
                "review_id", flat=True
            )
        )
    return {
        "own_review": own_review,
        "helpful_review_ids": helpful,
        "rating_refusal": VERIFIED_AUTHOR_REFUSAL if verified_author else "",
        "review_form": ReviewForm.for_review(own_review),
    }


def reader_resources_context(user, request_ids):
    """Which of the open requests ``request_ids`` (others', shown on the page) the signed-in
    ``user`` wants too: ``{"mine_too_ids": set}``. One query, none when there are none."""
    if not request_ids:
        return {"mine_too_ids": set()}
    return {
        "mine_too_ids": set(
            MeToo.objects.filter(user=user, request_id__in=request_ids).values_list(
                "request_id", flat=True
            )
        )
    }


def stored_summary(paper):
    """The paper's RatingSummary, or None when nobody rated it (no query after for_page())."""
    try:
        return paper.rating_summary
    except Paper.rating_summary.RelatedObjectDoesNotExist:
        return None


def resources_context(paper, user):
    """Context for the "Resources" section of ``paper``'s page: the visible requests and how
    many are fulfilled. Two queries whatever the number of requests and answers (see
    reviews.resources.requests_for_page)."""
    requests = requests_for_page(paper, user)
    return {
        "resource_requests": requests,
        "resources_fulfilled": sum(r.status == ResourceRequest.Status.FULFILLED for r in requests),
    }
