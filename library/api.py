"""``/api/v1/notes/``: the signed-in reader's private notes on papers; ``/api/v1/imports/``:
their imports of reference managers' exports.

Only the author of a note ever sees it: the queryset is their own notes, so anyone else's
note is 404 (never 403, which would say it exists), and anonymous requests are refused
(403). A second note on the same paper is 409 with the URL of the one they have; a text
longer than ``NOTE_MAX_LENGTH`` is 400 with the limit. List: 2 queries (count, notes);
detail: 1.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.exceptions import Throttled
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from library import collections, imports
from library.models import COLLECTION_NAME_MAX_LENGTH, NOTE_MAX_LENGTH, ImportItem, ImportJob, Note
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


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="import-detail")
    page = serializers.SerializerMethodField(help_text="The import's progress page.")
    items = serializers.HyperlinkedIdentityField(
        view_name="import-items", help_text="The entries not imported, and the new DOIs."
    )
    fetched = serializers.IntegerField(
        read_only=True, help_text="New DOIs whose metadata has been fetched."
    )
    waiting = serializers.IntegerField(
        read_only=True, help_text="New DOIs whose metadata is still on its way."
    )
    not_found = serializers.IntegerField(
        read_only=True, help_text="New DOIs no registry knows (or whose fetch failed)."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "page",
            "items",
            "file_name",
            "format",
            "collection",
            "collection_name",
            "status",
            "error",
            "total",
            "linked",
            "queued_for_fetch",
            "fetched",
            "waiting",
            "not_found",
            "matched_by_title",
            "unmatched",
            "unreadable",
            "added",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_page(self, job) -> str:
        return self.context["request"].build_absolute_uri(job.get_absolute_url())


class ImportItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportItem
        fields = ["number", "line", "kind", "title", "doi", "reason", "paper"]
        read_only_fields = fields


class StartImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A BibTeX (.bib), RIS (.ris) or CSL-JSON (.json) export; at most "
        "IMPORT_MAX_BYTES (20 MB by default)."
    )
    collection = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The id of a collection of yours (or shared with you for editing).",
    )
    collection_name = serializers.CharField(
        required=False,
        max_length=COLLECTION_NAME_MAX_LENGTH,
        help_text="The name of a new collection, when no collection id is given.",
    )

    def validate(self, data):
        user = self.context["request"].user
        if data.get("collection") is not None:
            found = collections.visible_to(user).filter(pk=data["collection"]).first()
            if found is None:
                raise serializers.ValidationError(
                    {"collection": [f"You have no collection with id {data['collection']}."]}
                )
            data["collection"] = found
        elif not (data.get("collection_name") or "").strip():
            raise serializers.ValidationError(
                {"collection_name": ["Give a collection id, or a name for a new collection."]}
            )
        else:
            try:
                data["collection_name"] = collections.check_new_name(user, data["collection_name"])
            except DjangoValidationError as error:
                raise serializers.ValidationError({"collection_name": error.messages}) from None
        return data


class ImportPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(summary="My imports", description="Newest first."),
    retrieve=extend_schema(
        summary="One of my imports",
        description="Its status (queued, running, done, failed, with the reason) and counts; "
        "poll it to follow the import.",
    ),
)
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in reader's imports of reference managers' exports. Anyone else's import
    is 404. List: 2 queries (count, jobs with their fetch counts); detail: 1."""

    serializer_class = ImportJobSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = ImportPagination
    parser_classes = [MultiPartParser]  # a file upload; the other actions read no body
    lookup_value_regex = ID_PATTERN
    queryset = ImportJob.objects.none()  # for the schema; get_queryset gives the reader's own

    def get_queryset(self):
        return imports.jobs_of(self.request.user)

    @extend_schema(
        summary="Import a reference manager's export into a collection",
        description="A multipart upload of the file, with a collection id or the name of a "
        "new collection. Answers 202 at once with the queued import (the Location header is "
        "its URL); a worker reads the file, adds the papers whose DOI is in the catalogue, "
        "fetches new DOIs and matches references without a DOI on title, year and first "
        "author. A malformed file ends the import as failed, its error naming the entries "
        "and lines at fault; nothing is imported then.",
        request={"multipart/form-data": StartImportSerializer},
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[202],
                description="The import's API URL (the body's url).",
            )
        ],
        responses={
            202: OpenApiResponse(ImportJobSerializer, description="Queued."),
            400: OpenApiResponse(
                description="No file, an empty one, one over the size limit or of another "
                "kind, an unknown collection or a name already taken; the reason says which."
            ),
            403: OpenApiResponse(description="Not logged in, or not your collection to edit."),
            429: OpenApiResponse(
                description="IMPORTS_PER_HOUR imports in the last hour; Retry-After says when."
            ),
        },
    )
    def create(self, request):
        form = StartImportSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            imports.check_size(upload.size)  # before reading it into memory
            job = imports.start_import(
                owner=request.user,
                file_name=upload.name or "upload",
                data=upload.read(),
                collection=form.validated_data.get("collection"),
                collection_name=form.validated_data.get("collection_name", ""),
            )
        except imports.ImportLimitReached as limit:
            raise Throttled(wait=limit.retry_after, detail=limit.messages[0]) from None
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        except PermissionDenied as error:
            raise Forbidden(str(error)) from None
        job = self.get_queryset().get(pk=job.pk)
        body = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="The entries of one of my imports not imported, and its new DOIs",
        description="kind: unmatched (not in the catalogue), unreadable (nothing to match "
        "on), fetch (a DOI new to the catalogue: paper is its pending paper). In file order.",
        responses=ImportItemSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=ImportPagination)
    def items(self, request, pk=None):
        job = self.get_object()
        rows = ImportItem.objects.filter(job=job).order_by("number", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImportItemSerializer(page, many=True).data)


router = SimpleRouter()
router.register("notes", NoteViewSet, basename="note")
router.register("imports", ImportJobViewSet, basename="import")
