"""The library's API: private notes, collections and their entries, exports, imports and
follows.

``/api/v1/notes/``: the signed-in reader's private notes on papers; ``/api/v1/imports/``:
their imports of reference managers' exports; ``/api/v1/follows/``: their follows (below).

Only the author of a note ever sees it: the queryset is their own notes, so anyone else's
note is 404 (never 403, which would say it exists), and anonymous requests are refused
(403). A second note on the same paper is 409 with the URL of the one they have; a text
longer than ``NOTE_MAX_LENGTH`` is 400 with the limit. List: 2 queries (count, notes);
detail: 1.

``/api/v1/collections/``: the reader's collections and those shared with them (list); any
collection they may read (detail: theirs, shared with them, or public; 404 otherwise);
owner-only changes (403 to editors); ``share``/``unshare`` by username; ``export`` (a
collection) and ``collections/export/`` (the whole library) in the formats of a paper's
``cite``. ``/api/v1/collections/{id}/entries/`` (keyed by paper id): add (201, or 200
when the paper is in already: adding is idempotent), change note/state/position, remove.
Every write goes through ``library.collections``; its refusals are 400s with the reason.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, Throttled
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from library import collections, exports, follows, imports
from library.models import (
    COLLECTION_DESCRIPTION_MAX_LENGTH,
    COLLECTION_NAME_MAX_LENGTH,
    ENTRY_NOTE_MAX_LENGTH,
    FOLLOW_NAME_MAX_LENGTH,
    FOLLOW_QUERY_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Collection,
    Entry,
    Follow,
    ImportItem,
    ImportJob,
    Note,
)
from papers import citation_styles
from papers.api import (
    CITATION_RENDERERS,
    ID_PATTERN,
    CitationNegotiation,
    Conflict,
    ConflictSerializer,
)
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
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
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


# --- collections (/api/v1/collections/) ---


def _refusal(error, field=None):
    """A ``django.core.exceptions.ValidationError`` of ``library.collections`` as DRF's 400,
    under ``field`` when it is about one value."""
    messages = error.messages
    return serializers.ValidationError({field: messages} if field else {"detail": messages[0]})


class UsernameField(serializers.SlugRelatedField):
    """A researcher by username: 400 "No researcher is called …" for an unknown one."""

    default_error_messages = {"does_not_exist": "No researcher is called “{value}”."}

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=get_user_model().objects.all(), **kwargs)


class CollectionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="collection-detail")
    owner = serializers.CharField(source="owner.username", read_only=True)
    name = serializers.CharField(
        max_length=COLLECTION_NAME_MAX_LENGTH,
        error_messages={
            "max_length": f"A collection's name is at most {COLLECTION_NAME_MAX_LENGTH} "
            "characters long."
        },
    )
    description = serializers.CharField(
        max_length=COLLECTION_DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
        error_messages={
            "max_length": f"A description is at most {COLLECTION_DESCRIPTION_MAX_LENGTH:,} "
            "characters long."
        },
    )
    is_public = serializers.BooleanField(
        required=False,
        help_text="Anyone may read a public collection (never change it). Default false.",
    )
    editors = serializers.SerializerMethodField(
        help_text="Usernames of those it is shared with for editing; shown to its owner and "
        "editors only (empty for other readers of a public collection)."
    )
    entry_count = serializers.IntegerField(read_only=True, help_text="How many papers it holds.")

    class Meta:
        model = Collection
        fields = [
            "id",
            "url",
            "name",
            "description",
            "is_public",
            "is_default",
            "owner",
            "editors",
            "entry_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_default", "created_at", "updated_at"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_editors(self, collection):
        user = self.context["request"].user
        if not collections.can_edit(user, collection):
            return []
        return sorted(editor.username for editor in collection.editors.all())


class ShareSerializer(serializers.Serializer):
    username = UsernameField(help_text="The researcher's username.")


class CollectionPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def _collection_or_404(user, pk):
    """The collection ``pk`` as a list shows it, if ``user`` may read it; 404 otherwise
    (a private collection of someone else's does not exist for them). Two queries."""
    found = collections.for_list(collections.readable_by(user)).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such collection.")
    return found


EXPORT_DESCRIPTION = (
    "`format` is `csl-json` (the default), `bibtex`, `ris` or `text` (the formatted "
    "references, in `style`: "
    + ", ".join(f"`{style}` ({label})" for style, label in citation_styles.STYLES.items())
    + f"; default `{citation_styles.DEFAULT_STYLE}`), as for a paper's `/cite/`; the Accept "
    "header may ask for the format's media type instead. Each paper carries its notes "
    "(BibTeX `annote`, RIS `N1`, CSL-JSON `note`): the collection's note on it, and your own "
    "private note, never anyone else's. An unknown format or style gives 400."
)
EXPORT_PARAMETERS = [
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=[renderer.format for renderer in CITATION_RENDERERS],
        description="The file format (default csl-json).",
    ),
    OpenApiParameter(
        "style",
        OpenApiTypes.STR,
        enum=list(citation_styles.STYLES),
        description="The citation style of format=text (a CSL style file name).",
    ),
]
EXPORT_RESPONSES = {
    (200, "application/vnd.citationstyles.csl+json"): {
        "type": "array",
        "items": {"type": "object", "additionalProperties": True},
        "description": "CSL-JSON items, one per paper.",
    },
    (200, "text/x-bibtex"): OpenApiTypes.STR,
    (200, "application/x-research-info-systems"): OpenApiTypes.STR,
    (200, "text/plain"): OpenApiTypes.STR,
}


def _file_response(export):
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="My collections",
        description="Your collections and those shared with you for editing: the reading "
        "list first, then by name. Three queries (count, collections, editors).",
    ),
    retrieve=extend_schema(
        summary="A collection",
        description="Yours, one shared with you, or any public one; 404 otherwise.",
    ),
    create=extend_schema(
        summary="Make a collection",
        description="Private unless is_public. A name you already use gives 400.",
    ),
    update=extend_schema(summary="Replace a collection's name, description and visibility"),
    partial_update=extend_schema(
        summary="Rename, describe, publish or unpublish a collection",
        description="Its owner only (editors get 403). The reading list keeps its name.",
    ),
    destroy=extend_schema(
        summary="Delete a collection and its entries",
        description="Its owner only. The reading list cannot be deleted (400).",
    ),
)
class CollectionViewSet(viewsets.ModelViewSet):
    """Collections of papers: a reader's reading list and named lists.

    Private ones are 404 to all but their owner and editors; public ones are readable by
    anyone. Editors change entries; only the owner renames, publishes, shares or deletes
    (403 to editors). Every write goes through ``library.collections``."""

    serializer_class = CollectionSerializer
    pagination_class = CollectionPagination
    lookup_value_regex = ID_PATTERN
    queryset = Collection.objects.none()  # for the schema; get_object reads by permission

    def get_queryset(self):
        return collections.for_list(collections.visible_to(self.request.user))

    def get_object(self):
        return _collection_or_404(self.request.user, self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        # Nothing is anyone's before they sign in: say so, as the rest of the API does.
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            collection = collections.create_collection(
                owner=self.request.user,
                name=data["name"],
                description=data.get("description", ""),
                is_public=data.get("is_public", False),
            )
        except DjangoValidationError as error:
            raise _refusal(error, "name") from None
        serializer.instance = _collection_or_404(self.request.user, collection.pk)

    def managed_object(self):
        """The collection of the URL if the reader owns it: 404 when they may not read it,
        403 when they may only read or edit its entries (before any body is looked at)."""
        collection = self.get_object()
        if not collections.can_manage(self.request.user, collection):
            raise PermissionDenied("Only the collection's owner can do this.")
        return collection

    def update(self, request, *args, **kwargs):
        self.managed_object()
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.managed_object()
        return super().destroy(request, *args, **kwargs)

    def perform_update(self, serializer):
        collection, data = serializer.instance, serializer.validated_data
        by = self.request.user
        # One transaction: a refused name leaves the description and visibility unchanged.
        with transaction.atomic():
            try:
                if "name" in data:
                    collections.rename(collection=collection, name=data["name"], by=by)
            except DjangoValidationError as error:
                raise _refusal(error, "name") from None
            if "description" in data:
                collections.set_description(
                    collection=collection, description=data["description"], by=by
                )
            if "is_public" in data:
                collections.set_public(collection=collection, is_public=data["is_public"], by=by)
        serializer.instance = _collection_or_404(by, collection.pk)

    def perform_destroy(self, collection):
        try:
            collections.delete_collection(collection=collection, by=self.request.user)
        except DjangoValidationError as error:
            raise _refusal(error) from None

    def _share(self, request, pk, write):
        collection = self.managed_object()
        form = ShareSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            write(collection=collection, user=form.validated_data["username"], by=request.user)
        except DjangoValidationError as error:
            raise _refusal(error, "username") from None
        collection = _collection_or_404(request.user, collection.pk)
        return Response(self.get_serializer(collection).data)

    @extend_schema(
        summary="Share a collection for editing",
        description="Its owner only. The researcher may then add, remove, annotate and order "
        "its entries. Sharing twice changes nothing. An unknown username gives 400.",
        request=ShareSerializer,
        responses=CollectionSerializer,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def share(self, request, pk=None):
        return self._share(request, pk, collections.share)

    @extend_schema(
        summary="Stop sharing a collection with a researcher",
        description="Its owner only. Idempotent.",
        request=ShareSerializer,
        responses=CollectionSerializer,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def unshare(self, request, pk=None):
        return self._share(request, pk, collections.unshare)

    def finalize_response(self, request, response, *args, **kwargs):
        # An export's error is JSON like every other error of the API (see PaperViewSet).
        if self.action in ("export", "export_library") and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="A collection as a file for a reference manager",
        description="Its papers in its order. " + EXPORT_DESCRIPTION + " Seven queries.",
        parameters=EXPORT_PARAMETERS,
        responses=EXPORT_RESPONSES,
    )
    @action(
        detail=True,
        pagination_class=None,
        renderer_classes=CITATION_RENDERERS,
        content_negotiation_class=CitationNegotiation,
    )
    def export(self, request, pk=None):
        collection = self.get_object()
        style = request.query_params.get("style", citation_styles.DEFAULT_STYLE)
        return _file_response(
            exports.export_collection(
                collection, request.accepted_renderer.format, user=request.user, style=style
            )
        )

    @extend_schema(
        operation_id="library_export",
        summary="My whole library as a file for a reference manager",
        description="Every paper of your collections and of those shared with you, each "
        "once (reading list first, then by name; in each, its order). "
        + EXPORT_DESCRIPTION
        + " Five queries.",
        parameters=EXPORT_PARAMETERS,
        responses=EXPORT_RESPONSES,
    )
    @action(
        detail=False,
        url_path="export",
        url_name="export-library",
        pagination_class=None,
        renderer_classes=CITATION_RENDERERS,
        content_negotiation_class=CitationNegotiation,
        permission_classes=[permissions.IsAuthenticated],
    )
    def export_library(self, request):
        style = request.query_params.get("style", citation_styles.DEFAULT_STYLE)
        return _file_response(
            exports.export_library(request.user, request.accepted_renderer.format, style=style)
        )


# --- entries (/api/v1/collections/{collection_id}/entries/) ---


class EntryPaperSerializer(serializers.ModelSerializer):
    class Meta:
        model = Paper
        fields = ["id", "title", "doi"]
        read_only_fields = fields


ENTRY_NOTE_TOO_LONG = f"An entry's note is at most {ENTRY_NOTE_MAX_LENGTH:,} characters long."


class EntrySerializer(serializers.ModelSerializer):
    paper = EntryPaperSerializer(read_only=True)
    added_by = serializers.CharField(
        source="added_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Entry
        fields = ["paper", "position", "note", "state", "added_by", "added_at", "read_at"]
        read_only_fields = fields


class AddEntrySerializer(serializers.Serializer):
    paper = serializers.PrimaryKeyRelatedField(
        queryset=Paper.objects.only("pk"),
        error_messages={"does_not_exist": "No paper has the id {pk_value}."},
        help_text="The paper's id.",
    )
    note = serializers.CharField(
        max_length=ENTRY_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        error_messages={"max_length": ENTRY_NOTE_TOO_LONG},
    )
    state = serializers.ChoiceField(choices=Entry.State.choices, required=False)


class ChangeEntrySerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=ENTRY_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        error_messages={"max_length": ENTRY_NOTE_TOO_LONG},
        help_text="Blank clears it.",
    )
    state = serializers.ChoiceField(choices=Entry.State.choices, required=False)
    position = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text="Where to move it: 0 is first; past the end is last. The entries are "
        "then numbered 0, 1, 2, ... in their order.",
    )


COLLECTION_ID = OpenApiParameter(
    "collection_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The collection's id."
)
PAPER_ID = OpenApiParameter(
    "paper_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The paper's id."
)


@extend_schema(parameters=[COLLECTION_ID])
@extend_schema_view(
    list=extend_schema(
        summary="A collection's papers",
        description="In its order. Readable by whoever may read the collection. Three "
        "queries (collection, count, entries with their papers).",
    ),
    create=extend_schema(
        summary="Add a paper to a collection",
        description="At the end. Its owner and editors only (others: 403 for a public "
        "collection, 404 for a private one). A paper already in it is not an error: 200 with "
        "its entry (note and state changed when given); a new one is 201. An unknown paper "
        "gives 400.",
        request=AddEntrySerializer,
        responses={201: EntrySerializer, 200: EntrySerializer},
    ),
    retrieve=extend_schema(summary="A paper's entry in a collection", parameters=[PAPER_ID]),
    partial_update=extend_schema(
        summary="Annotate, mark or move a paper in a collection",
        description="Its owner and editors only. note, state and position, in any combination.",
        parameters=[PAPER_ID],
        request=ChangeEntrySerializer,
        responses=EntrySerializer,
    ),
    destroy=extend_schema(
        summary="Take a paper out of a collection",
        description="Its owner and editors only.",
        parameters=[PAPER_ID],
    ),
)
class EntryViewSet(viewsets.ModelViewSet):
    """The papers of a collection, each an entry at a position with a note and a state."""

    serializer_class = EntrySerializer
    pagination_class = CollectionPagination
    lookup_url_kwarg = "paper_id"
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = Entry.objects.none()  # for the schema

    def collection(self, *, edit=False):
        """The collection of the URL if the reader may read it (404 otherwise); with
        ``edit``, 403 to a reader of a public collection who may not edit it."""
        if not hasattr(self, "_collection"):
            collection = (
                collections.readable_by(self.request.user)
                .filter(pk=self.kwargs["collection_id"])
                .first()
            )
            if collection is None:
                raise NotFound("No such collection.")
            self._collection = collection
        if edit and not collections.can_edit(self.request.user, self._collection):
            raise PermissionDenied("Only the collection's owner and editors can change it.")
        return self._collection

    def get_queryset(self):
        return (
            Entry.objects.filter(collection=self.collection())
            .select_related("paper", "added_by")
            .only(*ENTRY_COLUMNS)
            .order_by("position", "id")
        )

    def get_object(self):
        entry = self.get_queryset().filter(paper_id=self.kwargs["paper_id"]).first()
        if entry is None:
            raise NotFound("This paper is not in the collection.")
        entry.collection = self.collection()
        return entry

    def create(self, request, *args, **kwargs):
        collection = self.collection(edit=True)
        form = AddEntrySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        by = request.user
        with transaction.atomic():
            added = collections.add_papers(collection=collection, papers=[data["paper"]], by=by)
            entry = self.get_queryset().get(paper_id=data["paper"].pk)
            entry.collection = collection
            if "note" in data:
                collections.set_entry_note(entry=entry, note=data["note"], by=by)
            if "state" in data:
                collections.mark(entry=entry, state=data["state"], by=by)
        return Response(
            self.get_serializer(entry).data,
            status=status.HTTP_201_CREATED if added else status.HTTP_200_OK,
        )

    def partial_update(self, request, *args, **kwargs):
        self.collection(edit=True)
        entry = self.get_object()
        form = ChangeEntrySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        by = request.user
        with transaction.atomic():
            if "note" in data:
                collections.set_entry_note(entry=entry, note=data["note"], by=by)
            if "state" in data:
                collections.mark(entry=entry, state=data["state"], by=by)
            if "position" in data:
                collections.move_entry(entry=entry, position=data["position"], by=by)
        return Response(self.get_serializer(entry).data)

    def destroy(self, request, *args, **kwargs):
        collection = self.collection(edit=True)
        entry = self.get_object()
        collections.remove_paper(collection=collection, paper=entry.paper, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# What an entry's answer reads: the entry, its paper's id, title and DOI, who added it.
ENTRY_COLUMNS = [
    "id",
    "collection_id",
    "position",
    "note",
    "state",
    "added_at",
    "read_at",
    "paper__id",
    "paper__title",
    "paper__doi",
    "added_by__id",
    "added_by__username",
]

router.register("collections", CollectionViewSet, basename="collection")
router.register(
    r"collections/(?P<collection_id>[0-9]+)/entries", EntryViewSet, basename="collection-entry"
)
router.register("imports", ImportJobViewSet, basename="import")


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
