"""A researcher's public profile page: who they are (accounts), the papers they are a
verified author of (accounts claims), the reviews they gave and the resource requests they
answered (reviews). It combines apps, so it is composed here, above them; its URL keeps
the name ``accounts:profile`` (portal/urls.py). Never an email address."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.profiles import public_profiles
from reviews.models import ResourceAnswer, Review


def profile_page(user_id):
    """The public profile's user with profile, interests, verified claims, reviews and
    answered resource requests: six queries (user+profile, categories, keywords, verified
    claims with paper and authorship, visible reviews with their paper, visible answers with
    their request and paper).

    Raises User.DoesNotExist for an unknown or inactive user.
    """
    # The researcher's answers to resource requests, both still shown (reviews.resources).
    answers = (
        ResourceAnswer.objects.filter(is_hidden=False, request__is_hidden=False)
        .select_related("request__paper")
        .order_by("-created_at", "-id")
    )
    # The researcher's reviews that curators have not hidden, newest first.
    reviews = (
        Review.objects.filter(is_hidden=False)
        .select_related("paper")
        .order_by("-created_at", "-id")
    )
    return (
        public_profiles()
        .prefetch_related(
            Prefetch("reviews", queryset=reviews, to_attr="reviews_given"),
            Prefetch("resource_answers", queryset=answers, to_attr="answers_given"),
        )
        .get(pk=user_id)
    )


@require_safe
def profile_detail(request, pk):
    """The public profile: never an email address. Six queries (see ``profile_page``)."""
    try:
        person = profile_page(pk)
    except get_user_model().DoesNotExist:
        raise Http404("no such researcher") from None
    profile = person.profile
    context = {
        "person": person,
        "profile": profile,
        "categories": list(profile.interest_categories.all()),
        "keywords": list(profile.interest_keywords.all()),
        "verified_claims": person.verified_claims,
        "reviews_given": person.reviews_given,
        "answers_given": person.answers_given,
        "is_owner": request.user.is_authenticated and request.user.pk == person.pk,
        "min_ratings": settings.RATINGS_MIN_SHOWN,
    }
    return render(request, "portal/profile_page.html", context)
