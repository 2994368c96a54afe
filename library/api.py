"""``/api/v1/notes/``: the signed-in reader's private notes on papers.

Only the author of a note ever sees it: the queryset is their own notes, so anyone else's
note is 404 (never 403, which would say it exists), and anonymous requests are refused
(403). A second note on the same paper is 409 with the URL of the one they have; a text
longer than ``NOTE_MAX_LENGTH`` is 400 with the limit. List: 2 queries (count, notes);
detail: 1.
"""

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import SimpleRouter

from library.models import NOTE_MAX_LENGTH, Note
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
