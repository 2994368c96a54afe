"""The reviews API: list (by paper, user, rating), create, update and delete one's own.

Writes go through reviews.ratings, like the site's forms: the same rules, messages and
summary updates. Anonymous readers read; a user changes only their own review (403
otherwise, and nothing changes).
"""

import django_filters
from django.db import transaction
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.routers import SimpleRouter

from reviews import ratings
from reviews.models import Review


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer_name", read_only=True)
    text_html = serializers.CharField(
        read_only=True, help_text="The text as sanitised HTML (Markdown rendered)."
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "paper",
            "reviewer",
            "rating",
            "novelty",
            "significance",
            "rigor",
            "text",
            "text_html",
            "verified_researcher",
            "helpful_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "reviewer",
            "text_html",
            "verified_researcher",
            "helpful_count",
            "created_at",
            "updated_at",
        ]

    def validate_paper(self, paper):
        if self.instance is not None and paper != self.instance.paper:
            raise serializers.ValidationError("A review stays on its paper.")
        return paper


class ReviewFilter(django_filters.FilterSet):
    class Meta:
        model = Review
        fields = ["paper", "user", "rating"]


class IsReviewerOrReadOnly(permissions.BasePermission):
    message = "You can only change your own review."

    def has_object_permission(self, request, view, review):
        return request.method in permissions.SAFE_METHODS or review.user_id == request.user.pk


class ReviewViewSet(viewsets.ModelViewSet):
    """Reviews that curators have not hidden, most helpful first, then newest."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsReviewerOrReadOnly]
    queryset = (
        Review.objects.filter(is_hidden=False)
        .select_related("user__profile")
        .order_by("-helpful_count", "-created_at", "-id")
    )

    def perform_create(self, serializer):
        paper = serializer.validated_data["paper"]
        if Review.objects.filter(paper=paper, user=self.request.user).exists():
            raise exceptions.ValidationError(
                {"paper": "You have already reviewed this paper: change that review instead."}
            )
        serializer.instance = self._submit(paper, serializer.validated_data)

    def perform_update(self, serializer):
        review = serializer.instance
        values = {**_values_of(review), **serializer.validated_data}
        serializer.instance = self._submit(review.paper, values)

    def perform_destroy(self, review):
        _refused_as_api_error(ratings.delete_review, user=self.request.user, review=review)

    def _submit(self, paper, data):
        with transaction.atomic():
            review, _ = _refused_as_api_error(
                ratings.submit_review,
                user=self.request.user,
                paper=paper,
                rating=data.get("rating"),
                novelty=data.get("novelty"),
                significance=data.get("significance"),
                rigor=data.get("rigor"),
                text=data.get("text", ""),
            )
        return review


def _values_of(review):
    return {
        name: getattr(review, name)
        for name in ("rating", "novelty", "significance", "rigor", "text")
    }


def _refused_as_api_error(function, **kwargs):
    try:
        return function(**kwargs)
    except ratings.ReviewRefused as error:
        message = str(error)
        if "verified author" in message or "only delete your own" in message:
            raise exceptions.PermissionDenied(message) from None
        if "limit of" in message:
            raise exceptions.Throttled(detail=message) from None
        raise exceptions.ValidationError({"detail": message}) from None


router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
