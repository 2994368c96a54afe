"""``/api/v1/notes/``: the signed-in reader's private notes on papers; ``/api/v1/follows/``:
their follows (below).

Only the author of a note ever sees it: the queryset is their own notes, so anyone else's
note is 404 (never 403, which would say it exists), and anonymous requests are refused
(403). A second note on the same paper is 409 with the URL of the one they have; a text
longer than ``NOTE_MAX_LENGTH`` is 400 with the limit. List: 2 queries (count, notes);
detail: 1.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from library import follows
from library.models import (
    FOLLOW_NAME_MAX_LENGTH,
    FOLLOW_QUERY_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Follow,
    Note,
)
from papers.api import ID_PATTERN, Conflict, ConflictSerializer
from papers.models import Paper

TOO_LONG = f"A note is at most {NOTE_MAX_LENGTH:,} characters long."


class NoteSerializer(serializers.ModelSerializer):
    paper = serializers.PrimaryKeyRelatedField(queryset=Paper.objects.only("pk"))
    text = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        error_messages={"max_length": TOO_LONG},
        help_text=f"Plain text, at most {NOTE_MAX_LENGTH:,} characters.",
    )

    class Meta:
        model = Note
        fields = ["id", "paper", "text", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_paper(self, paper):
        # The paper a note is about is fixed: a note moves by deleting it and writing anew.
        if self.instance is not None and paper.pk != self.instance.paper_id:
            raise serializers.ValidationError("A note's paper cannot change.")
        return paper


class NotePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema_view(
    list=extend_schema(summary="My notes", description="Newest first."),
    retrieve=extend_schema(summary="One of my notes"),
    create=extend_schema(
        summary="Write a note on a paper",
        responses={
            201: NoteSerializer,
            409: OpenApiResponse(ConflictSerializer, description="You have a note on it."),
        },
    ),
    update=extend_schema(summary="Replace a note's text"),
    partial_update=extend_schema(summary="Change a note's text"),
    destroy=extend_schema(summary="Delete a note"),
)
class NoteViewSet(viewsets.ModelViewSet):
    """The signed-in reader's private notes, one per paper."""

    serializer_class = NoteSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = NotePagination
    lookup_value_regex = ID_PATTERN
    queryset = Note.objects.none()  # for the schema; get_queryset gives the reader's own

    def get_queryset(self):
        return Note.objects.filter(user=self.request.user)

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save(user=self.request.user)
        except IntegrityError:
            existing = Note.objects.get(
                user=self.request.user, paper=serializer.validated_data["paper"]
            )
            url = self.request.build_absolute_uri(f"/api/v1/notes/{existing.pk}/")
            raise Conflict("You have a note on this paper already.", existing_url=url) from None


router = SimpleRouter()
router.register("notes", NoteViewSet, basename="note")


# --- /api/v1/follows/ -------------------------------------------------------------------


class FollowTargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="The page of what is followed.")


class FollowSerializer(serializers.ModelSerializer):
    """A follow as the API shows it; created from ``kind`` and ``target`` (an author's or
    journal's id, a category's or keyword's slug), or kind "search" with ``query``."""

    kind = serializers.ChoiceField(choices=Follow.Kind.choices)
    target = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="What to follow: an author's or journal's id, a category's or keyword's "
        "slug. Not for a saved search.",
    )
    followed = serializers.SerializerMethodField(
        help_text="What is followed (null for a saved search)."
    )
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=FOLLOW_QUERY_MAX_LENGTH,
        help_text="A saved search: the /papers/ query string (q=...&category=...); kept "
        "normalised.",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=FOLLOW_NAME_MAX_LENGTH
    )
    feed_url = serializers.SerializerMethodField(
        help_text="The follow's Atom feed: private, readable without a session by anyone "
        "who has the URL."
    )

    class Meta:
        model = Follow
        fields = [
            "id",
            "kind",
            "target",
            "followed",
            "query",
            "name",
            "feed_url",
            "created_at",
            "alerted_until",
        ]
        read_only_fields = ["id", "created_at", "alerted_until"]

    @extend_schema_field(FollowTargetSerializer(allow_null=True))
    def get_followed(self, obj):
        target = obj.target
        if target is None:
            return None
        return {"id": target.pk, "name": str(target), "url": target.get_absolute_url()}

    def get_feed_url(self, obj) -> str:
        url = reverse("library:follow-feed", args=[obj.feed_token])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def validate(self, data):
        kind = data["kind"]
        try:
            if kind == Follow.Kind.SEARCH:
                if data.get("target"):
                    raise DjangoValidationError("A saved search has a query, not a target.")
                data["query"] = follows.normalise_query(data.get("query", ""))
            else:
                if data.get("query") or data.get("name"):
                    raise DjangoValidationError(
                        "Only a saved search has a query and a name; give a target."
                    )
                data["target"] = follows.target_of(kind, data.get("target", ""))
        except DjangoValidationError as error:
            raise serializers.ValidationError({"detail": error.messages}) from None
        return data


class FollowPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


@extend_schema_view(
    list=extend_schema(summary="My follows", description="Oldest first."),
    retrieve=extend_schema(summary="One of my follows"),
    create=extend_schema(
        summary="Follow an author, journal, category or keyword, or save a search",
        description="Idempotent: following what you already follow answers 200 with that "
        "follow (a saved search given a new name is renamed); a new follow is 201. New "
        "papers come in your digest (preference `follow_alerts_frequency`) and the feed.",
        responses={201: FollowSerializer, 200: FollowSerializer},
    ),
    destroy=extend_schema(summary="Unfollow"),
)
class FollowViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in reader's follows; anyone else's are 404. List: 2 queries (count, the
    follows with what they follow); detail: 1."""

    serializer_class = FollowSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = FollowPagination
    lookup_value_regex = ID_PATTERN
    queryset = Follow.objects.none()  # for the schema; get_queryset gives the reader's own

    def get_queryset(self):
        return (
            Follow.objects.filter(user=self.request.user)
            .select_related("author", "journal", "category", "keyword")
            .order_by("id")
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            found, created = follows.follow(
                user=request.user,
                kind=data["kind"],
                target=data.get("target"),
                query=data.get("query", ""),
                name=data.get("name", ""),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"detail": error.messages}) from None
        body = self.get_serializer(found).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def perform_destroy(self, instance):
        follows.unfollow(user=self.request.user, follow_id=instance.pk)


router.register("follows", FollowViewSet, basename="follow")
