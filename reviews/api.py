"""The reviews API and the resource-requests API.

Reviews: list (by paper, user, rating), create, update and delete one's own. Resource
requests: list (by paper, status, kind), ask, answer, "me too", and status changes by the
asker, the paper's verified authors or curators. Writes go through reviews.ratings and
reviews.resources, like the site's forms: the same rules and messages. Anonymous readers
read; a user changes only what is theirs to change (403 otherwise, and nothing changes).
"""

import django_filters
from django.db import transaction
from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter

from papers.api import ID_PATTERN, Conflict, ConflictSerializer
from papers.filters import IntegerFilter
from reviews import ratings, resources
from reviews.limits import Refused
from reviews.models import ResourceAnswer, ResourceRequest, Review


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5})
class StarsField(serializers.IntegerField):
    """A rating from 1 to 5. reviews.ratings checks the range, with its own messages; the
    schema states it, so that clients (and generated requests) know it."""


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer_name", read_only=True)
    rating = StarsField(label="Primary rating")
    novelty = StarsField(required=False, allow_null=True)
    significance = StarsField(required=False, allow_null=True)
    rigor = StarsField(required=False, allow_null=True, label="Scientific rigor")
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
    rating = IntegerFilter(label="Primary rating", min_value=1, max_value=5)

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
    lookup_value_regex = ID_PATTERN
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsReviewerOrReadOnly]
    queryset = (
        Review.objects.filter(is_hidden=False)
        .select_related("user__profile")
        .order_by("-helpful_count", "-created_at", "-id")
    )

    @extend_schema(responses={201: ReviewSerializer, 409: ConflictSerializer})
    def create(self, request, *args, **kwargs):
        """Review a paper (once: a second review of the same paper is a 409 with the URL of
        the first; change that one with PATCH)."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        paper = serializer.validated_data["paper"]
        serializer.instance = self._submit(paper, serializer.validated_data, only_new=True)

    def perform_update(self, serializer):
        review = serializer.instance
        values = {**_values_of(review), **serializer.validated_data}
        serializer.instance = self._submit(review.paper, values)

    def perform_destroy(self, review):
        _refused_as_api_error(ratings.delete_review, user=self.request.user, review=review)

    def _submit(self, paper, data, *, only_new=False):
        with transaction.atomic():
            review, _ = _refused_as_api_error(
                ratings.submit_review,
                request=self.request,
                user=self.request.user,
                paper=paper,
                rating=data.get("rating"),
                novelty=data.get("novelty"),
                significance=data.get("significance"),
                rigor=data.get("rigor"),
                text=data.get("text", ""),
                only_new=only_new,
            )
        return review


def _values_of(review):
    return {
        name: getattr(review, name)
        for name in ("rating", "novelty", "significance", "rigor", "text")
    }


DETAIL_VIEWS = {Review: "review-detail", ResourceRequest: "resource-request-detail"}


def _refused_as_api_error(function, *args, request=None, **kwargs):
    """Call ``function``; a refusal (reviews.limits.Refused) becomes 403, 429, 409 or 400."""
    try:
        return function(*args, **kwargs)
    except Refused as error:
        if error.existing is not None:
            existing = error.existing
            url = reverse(DETAIL_VIEWS[type(existing)], args=[existing.pk], request=request)
            raise Conflict(str(error), existing_url=url) from None
        if error.forbidden:
            raise exceptions.PermissionDenied(str(error)) from None
        if error.rate_limited:
            raise exceptions.Throttled(wait=error.retry_after, detail=str(error)) from None
        raise exceptions.ValidationError({"detail": str(error)}) from None


# --- resource requests ---


class ResourceAnswerSerializer(serializers.ModelSerializer):
    answerer = serializers.CharField(source="answerer_name", read_only=True)

    class Meta:
        model = ResourceAnswer
        fields = ["id", "answerer", "as_author", "text", "text_html", "link", "created_at"]
        read_only_fields = ["id", "answerer", "as_author", "text_html", "created_at"]


class ResourceRequestSerializer(serializers.ModelSerializer):
    requester = serializers.CharField(source="requester_name", read_only=True)
    me_too_count = serializers.IntegerField(read_only=True)
    # "" until the request is fulfilled (the model field's own mapping says "a URL" only).
    fulfilled_url = serializers.URLField(
        read_only=True, allow_blank=True, label="Where the resource is"
    )
    answers = ResourceAnswerSerializer(source="visible_answers", many=True, read_only=True)

    class Meta:
        model = ResourceRequest
        fields = [
            "id",
            "paper",
            "requester",
            "kind",
            "message",
            "status",
            "fulfilled_url",
            "declined_reason",
            "me_too_count",
            "answers",
            "created_at",
            "status_changed_at",
        ]
        read_only_fields = [
            "id",
            "requester",
            "status",
            "fulfilled_url",
            "declined_reason",
            "me_too_count",
            "answers",
            "created_at",
            "status_changed_at",
        ]


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["acknowledged", "declined", "fulfilled"])
    link = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ResourceRequestFilter(django_filters.FilterSet):
    class Meta:
        model = ResourceRequest
        fields = ["paper", "status", "kind"]


class ResourceRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Resource requests that curators have not hidden, newest first, with their answers."""

    serializer_class = ResourceRequestSerializer
    filterset_class = ResourceRequestFilter
    lookup_value_regex = ID_PATTERN
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get_queryset(self):
        answers = ResourceAnswer.objects.filter(is_hidden=False).select_related("user__profile")
        return (
            ResourceRequest.objects.filter(is_hidden=False)
            .select_related("requester__profile")
            .annotate(me_too_count=Count("me_toos", distinct=True))
            .prefetch_related(Prefetch("answers", queryset=answers, to_attr="visible_answers"))
            .order_by("-created_at", "-id")
        )

    @extend_schema(responses={201: ResourceRequestSerializer, 409: ConflictSerializer})
    def create(self, request, *args, **kwargs):
        """Ask for a resource (one open request per kind and paper: asking again is a 409
        with the URL of the open one)."""
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        asked = _refused_as_api_error(
            resources.ask,
            request=self.request,
            user=self.request.user,
            paper=data["paper"],
            kind=data["kind"],
            message=data["message"],
        )
        serializer.instance = self.get_queryset().get(pk=asked.pk)

    @extend_schema(request=ResourceAnswerSerializer, responses={201: ResourceAnswerSerializer})
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """Answer the request with text and/or a link ("Author" when a verified author)."""
        asked = self.get_object()
        data = ResourceAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = _refused_as_api_error(
            resources.answer,
            user=request.user,
            resource_request=asked,
            text=data.validated_data.get("text", ""),
            link=data.validated_data.get("link", ""),
        )
        return Response(ResourceAnswerSerializer(given).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ResourceRequestSerializer})
    @action(detail=True, methods=["post"], url_path="me-too")
    def me_too(self, request, pk=None):
        """Say you want the same resource (once; not on your own request)."""
        asked = self.get_object()
        _refused_as_api_error(resources.me_too, user=request.user, resource_request=asked)
        return Response(self.get_serializer(self.get_queryset().get(pk=asked.pk)).data)

    @extend_schema(request=StatusChangeSerializer, responses={200: ResourceRequestSerializer})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Acknowledge, decline (with a reason) or fulfil (with a link): the paper's verified
        authors and curators; the asker may mark their request fulfilled."""
        asked = self.get_object()
        change = StatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        new, link, reason = (change.validated_data[k] for k in ("status", "link", "reason"))
        if new == "acknowledged":
            _refused_as_api_error(resources.acknowledge, asked, by=request.user)
        elif new == "declined":
            _refused_as_api_error(resources.decline, asked, by=request.user, reason=reason)
        else:
            _refused_as_api_error(resources.fulfil, asked, by=request.user, link=link)
        return Response(self.get_serializer(self.get_queryset().get(pk=asked.pk)).data)


router = SimpleRouter()
router.register("reviews", ReviewViewSet, basename="review")
router.register("resource-requests", ResourceRequestViewSet, basename="resource-request")
