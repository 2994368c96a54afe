"""The catalogue API under /api/v1/: papers, journals, authors, categories, keywords, funders.

Read-only but for one write: a logged-in user may add a paper by its DOI
(``POST /api/v1/papers/``), which calls ``papers.metadata.add_by_doi`` and answers at once
while the metadata is fetched in the background. Anonymous writes are refused (403); any
other write gets 405. Every list and detail runs a constant number of SQL queries, whatever
the number of rows, authors, funders or keywords: rows come from the QuerySet methods on the
models (``Paper.objects.for_list()`` / ``for_page()``, counts annotated here) and the
serializers only read what those loaded (``paper.authorships.all()``, never a filtered
queryset).
"""

import base64
import json

import django_filters
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, Throttled, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.utils.urls import remove_query_param, replace_query_param

from papers import (
    citation,
    citation_styles,
    listing,
    metadata,
    recommend,
    records,
    references,
    similar,
    version_groups,
)
from papers.filters import PaperFilter
from papers.models import (
    Author,
    Category,
    Funder,
    Funding,
    Journal,
    Keyword,
    Notice,
    Paper,
    Reference,
    RelatedPaper,
)

# What a client may send, with a resolver prefix and spaces; far below any real request size.
DOI_INPUT_MAX_LENGTH = records.MAX_DOI_LENGTH + 100
ADD_BODY_MAX_BYTES = 4096
# Ids in URLs are digits: anything else is no route (404), never a lookup that fails (500).
ID_PATTERN = "[0-9]+"


class CataloguePagination(PageNumberPagination):
    """Page-number pages with a total count; clients may ask for up to 100 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 100


class PaperPagination(CataloguePagination):
    """The papers list: page numbers for the first 1,000 rows, then a cursor.

    ``count`` is exact up to 1,000 papers and PostgreSQL's estimate above that, and
    ``count_is_estimate`` says which (papers.listing.count). Page numbers reach
    ``listing.MAX_NUMBERED_ROWS`` rows; a page number past them is 404 with the reason.
    The last numbered page's ``next`` is a ``cursor`` link, and so is every cursor page's:
    a cursor page seeks into the order's index after the previous page's last row, so
    any depth costs the same, and rows added meanwhile are neither skipped nor repeated.
    Cursor pages have no ``previous`` (go back with the links you followed). The relevance
    order ranks a bounded set (papers.search) and needs no cursor.
    """

    django_paginator_class = listing.BoundedPaginator
    cursor_query_param = "cursor"
    invalid_page_message = (
        "Invalid page {page_number}: {message}. Page numbers go "
        f"{listing.MAX_NUMBERED_ROWS:,} rows deep; for deeper rows follow the last page's "
        "next link, which continues with a cursor."
    )

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.cursor_rows = None
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return self._numbered_page(queryset, request, view)
        order = listing.cursor_order(queryset)
        after = _decode_cursor(token, len(order) if order else 0)
        self.page_size_now = self.get_page_size(request)
        self.list_count = listing.count(queryset)
        rows, self.next_after = listing.cursor_page(
            queryset, order, after=after, size=self.page_size_now
        )
        self.cursor_rows = rows
        self.order = order
        return rows

    def _numbered_page(self, queryset, request, view):
        rows = super().paginate_queryset(queryset, request, view)
        paginator = self.page.paginator
        self.list_count = paginator.list_count
        self.next_after = None
        self.order = listing.cursor_order(queryset)
        if not self.page.has_next() and paginator.truncated and self.order and rows:
            # The last numbered page: its last row's order values start the cursor.
            keyed = listing.cursor_page(
                queryset.filter(pk=rows[-1].pk), self.order, after=None, size=1
            )
            self.next_after = _order_values(keyed, self.order)
        return rows

    def get_next_link(self):
        if self.next_after is not None:
            url = self.request.build_absolute_uri()
            url = remove_query_param(url, self.page_query_param)
            return replace_query_param(
                url, self.cursor_query_param, _encode_cursor(self.next_after)
            )
        if self.cursor_rows is not None:
            return None
        return super().get_next_link()

    def get_previous_link(self):
        if self.cursor_rows is not None:
            return None
        return super().get_previous_link()

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.list_count.value,
                "count_is_estimate": self.list_count.is_estimate,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            "How many papers the list has: exact up to 1,000, PostgreSQL's estimate above "
            "(count_is_estimate)."
        )
        response["properties"]["count_is_estimate"] = {
            "type": "boolean",
            "description": "True when count is an estimate (more than 1,000 papers).",
            "example": False,
        }
        response["required"] = [*response.get("required", []), "count_is_estimate"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = (
                    f"A page number, up to {listing.MAX_NUMBERED_ROWS:,} rows deep; deeper "
                    "rows follow the last page's next link (a cursor)."
                )
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where a deeper page starts: taken from a next link, opaque.",
                "schema": {"type": "string"},
            }
        )
        return parameters


def _order_values(keyed, order):
    rows, _ = keyed
    return None if not rows else [getattr(rows[0], f"cursor_{n}") for n in range(len(order))]


def _encode_cursor(values):
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token, parts):
    """The order values a cursor carries; 400 when it is not one of ours for this order."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        values = None
    valid = (
        parts
        and isinstance(values, list)
        and len(values) == parts
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    )
    if not valid:
        raise ValidationError(
            {"cursor": ["Not a cursor of this list: follow a next link as it is given."]}
        )
    return values


# --- serializers ---


class Conflict(APIException):
    """A second create of what the user already has (a review of the paper, a claim, an open
    request): 409, with the URL of the one they have, so a client can go on with it."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, message, *, existing_url):
        super().__init__({"detail": message, "existing": existing_url})


class ConflictSerializer(serializers.Serializer):
    """The body of a 409 (for the schema)."""

    detail = serializers.CharField()
    existing = serializers.URLField(
        required=False,
        help_text="The API URL of what you already have (absent when someone else has it).",
    )


@extend_schema_field(OpenApiTypes.URI)
class AbsoluteUrlField(serializers.Field):
    """The object's HTML page (``get_absolute_url()``) as an absolute URL."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        url = value.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class JournalBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Journal
        fields = ["id", "title"]
        read_only_fields = fields


class JournalOnPaperSerializer(serializers.ModelSerializer):
    issns = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Journal
        fields = ["id", "title", "issns", "publisher"]
        read_only_fields = fields


class AuthorBriefSerializer(serializers.Serializer):
    """An author as a list shows them: from an Authorship row with its author joined."""

    id = serializers.IntegerField(source="author_id")
    name = serializers.CharField(source="author.name")
    orcid = serializers.CharField(source="author.orcid", allow_null=True)


class AuthorOnPaperSerializer(AuthorBriefSerializer):
    """An author's place on one paper, with the affiliations written on that paper."""

    given_name = serializers.CharField(source="author.given_name")
    family_name = serializers.CharField(source="author.family_name")
    is_organization = serializers.BooleanField(source="author.is_organization")
    position = serializers.IntegerField()
    affiliations = serializers.ListField(child=serializers.CharField())


class TermSerializer(serializers.Serializer):
    """A keyword or a category as a paper shows it."""

    name = serializers.CharField()
    slug = serializers.CharField()


class FunderBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Funder
        fields = ["id", "name", "funder_doi"]
        read_only_fields = fields


class FundingSerializer(serializers.ModelSerializer):
    funder = FunderBriefSerializer()
    awards = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Funding
        fields = ["funder", "awards"]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["kind", "doi", "date", "direction", "label"]
        read_only_fields = fields


@extend_schema_serializer(component_name="PaperSummary")
class PaperListSerializer(serializers.ModelSerializer):
    """A paper in a list: reads the journal, authorships and categories of ``for_list()``."""

    url = serializers.HyperlinkedIdentityField(view_name="paper-detail")
    html_url = AbsoluteUrlField()
    work_type_label = serializers.CharField(read_only=True)
    published = serializers.CharField(
        source="published_display",
        read_only=True,
        help_text='The date at the precision known: "2021", "2021-09" or "2021-09-14"; '
        '"" when unknown.',
    )
    journal = JournalBriefSerializer(read_only=True, allow_null=True)
    authors = AuthorBriefSerializer(source="authorships", many=True, read_only=True)
    categories = TermSerializer(many=True, read_only=True)
    rating_average = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Paper
        fields = [
            "id",
            "doi",
            "url",
            "html_url",
            "title",
            "work_type",
            "work_type_label",
            "published",
            "journal",
            "authors",
            "categories",
            "is_retracted",
            "rating_average",
            "rating_count",
        ]
        read_only_fields = fields

    def to_representation(self, paper):
        """The same JSON the declared fields describe, built as plain dicts.

        The list is the API's hot path: DRF's nested field objects cost ~100 calls a row
        (bench/README.md). The declared fields still document the schema, and tests compare
        the two (PaperDetailSerializer uses the declared fields).
        """
        request = self.context.get("request")
        absolute = request.build_absolute_uri if request else (lambda url: url)
        journal = paper.journal
        rating = paper.rating_average
        return {
            "id": paper.pk,
            "doi": paper.doi,
            "url": absolute(reverse("paper-detail", args=[paper.pk])),
            "html_url": absolute(paper.get_absolute_url()),
            "title": paper.title,
            "work_type": paper.work_type,
            "work_type_label": paper.work_type_label,
            "published": paper.published_display,
            "journal": {"id": journal.pk, "title": journal.title} if journal else None,
            "authors": [
                {"id": a.author_id, "name": a.author.name, "orcid": a.author.orcid}
                for a in paper.authorships.all()
            ],
            "categories": [{"name": c.name, "slug": c.slug} for c in paper.categories.all()],
            "is_retracted": paper.is_retracted,
            "rating_average": float(rating) if rating is not None else None,
            "rating_count": paper.rating_count,
        }


class VersionSerializer(serializers.Serializer):
    """Another version of the paper's work in the catalogue (papers.version_groups)."""

    id = serializers.IntegerField(source="paper.pk", read_only=True)
    doi = serializers.CharField(source="paper.doi", read_only=True, allow_null=True)
    title = serializers.CharField(source="paper.title", read_only=True)
    label = serializers.CharField(
        read_only=True,
        help_text='What it is to this paper: "Published version", "Preprint" or "Other version".',
    )
    url = serializers.SerializerMethodField(help_text="Its API URL.")

    def get_url(self, version) -> str:
        url = reverse("paper-detail", args=[version.paper.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class PaperDetailSerializer(PaperListSerializer):
    """Everything the catalogue knows about a paper: reads only what ``for_page()`` loads.

    The API's paper detail adds the rating summary (portal.paper_api)."""

    journal = JournalOnPaperSerializer(read_only=True, allow_null=True)
    authors = AuthorOnPaperSerializer(source="authorships", many=True, read_only=True)
    keywords = TermSerializer(many=True, read_only=True)
    funding = FundingSerializer(source="fundings", many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    # "url" is the API link, so the publisher's landing page gets a clearer name.
    landing_page_url = serializers.URLField(source="url", read_only=True)
    isbns = serializers.ListField(child=serializers.CharField(), read_only=True)
    provenance = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        read_only=True,
        help_text='For each imported field, where it came from and when: {"source", "at"}.',
    )
    metadata_status_label = serializers.CharField(
        source="get_metadata_status_display", read_only=True
    )
    versions = serializers.SerializerMethodField(
        help_text="The other versions of this work in the catalogue (preprint, published "
        "version), the one that stands for the work in lists first."
    )
    # Every declared field, the generic way (the list's shortcut covers only its own fields).
    to_representation = serializers.ModelSerializer.to_representation

    class Meta(PaperListSerializer.Meta):
        fields = PaperListSerializer.Meta.fields + [
            "subtitle",
            "work_subtype",
            "abstract",
            "summary",
            "volume",
            "issue",
            "pages",
            "article_number",
            "language",
            "publisher",
            "license_url",
            "landing_page_url",
            "isbns",
            "reference_count",
            "citation_count",
            "keywords",
            "funding",
            "notices",
            "provenance",
            "metadata_status",
            "metadata_status_label",
            "metadata_source",
            "metadata_fetched_at",
            "metadata_retry_at",
            "metadata_error",
            "versions",
        ]
        read_only_fields = fields

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, paper):
        """No query for a paper alone, one for a paper in a version group."""
        versions = version_groups.versions_of(paper)
        return VersionSerializer(versions, many=True, context=self.context).data


class AddPaperSerializer(serializers.Serializer):
    """What a client sends to add a paper: its DOI in any accepted form."""

    doi = serializers.CharField(
        max_length=DOI_INPUT_MAX_LENGTH,
        help_text="e.g. 10.1234/abc, doi:10.1234/abc or https://doi.org/10.1234/abc; any case.",
    )

    def validate_doi(self, value):
        try:
            doi = records.normalize_doi(value)
        except records.RecordError as error:
            raise serializers.ValidationError(str(error)) from None
        return doi


class PaperAddedSerializer(serializers.ModelSerializer):
    """The answer to adding a paper: where it is, and where its metadata stands."""

    url = serializers.HyperlinkedIdentityField(view_name="paper-detail")
    html_url = AbsoluteUrlField()
    metadata_status_label = serializers.CharField(
        source="get_metadata_status_display", read_only=True
    )

    class Meta:
        model = Paper
        fields = ["id", "doi", "url", "html_url", "metadata_status", "metadata_status_label"]
        read_only_fields = fields


class RecommendedPaperSerializer(serializers.ModelSerializer):
    """A paper as an entry of a recommendation list: enough to show and link it."""

    url = serializers.HyperlinkedIdentityField(view_name="paper-detail")
    html_url = AbsoluteUrlField()
    journal = serializers.CharField(source="journal.title", default="", read_only=True)

    class Meta:
        model = Paper
        fields = ["id", "doi", "title", "url", "html_url", "journal", "published_year"]
        read_only_fields = fields


class RelatedPaperSerializer(serializers.ModelSerializer):
    """One entry of a paper's "Recommended" list, with why it is there."""

    paper = RecommendedPaperSerializer(source="related", read_only=True)
    reason_label = serializers.CharField(source="reason_display", read_only=True)

    class Meta:
        model = RelatedPaper
        fields = ["rank", "score", "reason", "reason_label", "detail", "paper"]
        read_only_fields = fields


SIMILAR_FILTERS = ("year_min", "year_max", "journal", "category", "keyword", "funder", "type")


class SimilarRequestSerializer(serializers.Serializer):
    """What a client sends to find similar papers: a text or a paper, a limit, filters."""

    text = serializers.CharField(
        required=False,
        trim_whitespace=False,  # papers.similar says what is wrong with blank text
        allow_blank=True,
        help_text=f"An abstract, a question or a draft's introduction: at most "
        f"{similar.MAX_TEXT_CHARS:,} characters, with words the catalogue knows.",
    )
    paper = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The id of a paper: papers like it (never itself). Give text or paper.",
    )
    limit = serializers.IntegerField(
        required=False,
        default=similar.DEFAULT_LIMIT,
        min_value=1,
        max_value=similar.MAX_LIMIT,
        help_text=f"How many papers, 1 to {similar.MAX_LIMIT} (default {similar.DEFAULT_LIMIT}).",
    )
    year_min = serializers.IntegerField(required=False, min_value=0, max_value=9999)
    year_max = serializers.IntegerField(required=False, min_value=0, max_value=9999)
    journal = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    category = serializers.CharField(required=False, max_length=200, help_text="A slug.")
    keyword = serializers.CharField(required=False, max_length=200, help_text="A slug.")
    funder = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    type = serializers.CharField(required=False, max_length=100, help_text="A work type.")
    has_abstract = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, data):
        if ("text" in data) == ("paper" in data):
            raise serializers.ValidationError(
                'Give either "text" (papers like a text) or "paper" (papers like a paper), '
                "not both and not neither."
            )
        if "text" in data:
            try:
                data["text"] = similar.clean_text(data["text"])
            except similar.SimilarError as error:
                raise serializers.ValidationError({"text": [str(error)]}) from None
        return data

    def filters(self):
        data = self.validated_data
        filters = {name: data[name] for name in SIMILAR_FILTERS if name in data}
        if data.get("has_abstract") is not None:
            filters["has_abstract"] = "true" if data["has_abstract"] else "false"
        return filters


class SimilarPaperSerializer(serializers.Serializer):
    """One result: the paper, its similarity and why."""

    rank = serializers.IntegerField()
    score = serializers.FloatField(help_text="Similarity in (0, 1]: words and topics.")
    reason = serializers.CharField(help_text='e.g. "Shares: transformer, attention, decoding".')
    shared_words = serializers.ListField(child=serializers.CharField())
    paper = PaperListSerializer()


class ReferenceSerializer(serializers.ModelSerializer):
    """One entry of a paper's reference list: the cited catalogue paper when known, and
    what the record says of the cited work either way."""

    paper = RecommendedPaperSerializer(
        source="cited",
        read_only=True,
        allow_null=True,
        help_text="The cited paper when it is in this catalogue; null otherwise.",
    )
    doi_url = serializers.CharField(read_only=True)
    label = serializers.CharField(
        read_only=True, help_text="The entry as text: its printed citation, else its fields."
    )

    class Meta:
        model = Reference
        fields = [
            "position",
            "doi",
            "doi_url",
            "openalex_id",
            "text",
            "author",
            "year",
            "title",
            "container",
            "volume",
            "first_page",
            "label",
            "paper",
        ]
        read_only_fields = fields


class JournalSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="journal-detail")
    html_url = AbsoluteUrlField()
    issns = serializers.ListField(child=serializers.CharField(), read_only=True)
    paper_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Journal
        fields = [
            "id",
            "url",
            "html_url",
            "title",
            "issns",
            "issn_print",
            "issn_electronic",
            "publisher",
            "paper_count",
        ]
        read_only_fields = fields


class AuthorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="author-detail")
    html_url = AbsoluteUrlField()
    paper_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Author
        fields = [
            "id",
            "url",
            "html_url",
            "name",
            "given_name",
            "family_name",
            "orcid",
            "is_organization",
            "paper_count",
        ]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="category-detail", lookup_field="slug")
    html_url = AbsoluteUrlField()
    paper_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "url", "html_url", "name", "slug", "paper_count"]
        read_only_fields = fields


class KeywordSerializer(CategorySerializer):
    url = serializers.HyperlinkedIdentityField(view_name="keyword-detail", lookup_field="slug")

    class Meta(CategorySerializer.Meta):
        model = Keyword


class FunderSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="funder-detail")
    paper_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Funder
        fields = ["id", "url", "name", "funder_doi", "paper_count"]
        read_only_fields = fields


# --- filters of the small lists (the paper filters are papers.filters.PaperFilter) ---


class JournalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Title contains, or ISSN is")

    class Meta:
        model = Journal
        fields = ["q"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(title__icontains=value) | Q(issn_print=value) | Q(issn_electronic=value)
        )


class AuthorFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    orcid = django_filters.CharFilter(
        method="filter_orcid", label="ORCID iD or URL, e.g. 0000-0002-1825-0097"
    )

    class Meta:
        model = Author
        fields = ["q", "orcid"]

    def filter_orcid(self, queryset, name, value):
        # Stored bare and checked; a URL is accepted, a mistyped iD matches nobody.
        orcid = records.normalize_orcid(value)
        return queryset.filter(orcid=orcid) if orcid else queryset.none()


class NameFilter(django_filters.FilterSet):
    """``q``: name contains; for categories, keywords and funders alike (no model needed)."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")


# --- a paper as a citation (GET /api/v1/papers/{id}/cite/) ---


def _citation_renderer(fmt):
    """A renderer that names ``fmt`` of ``citation.EXPORT_FORMATS`` for content negotiation
    (``?format=`` or the Accept header). The view answers with the export itself; only an
    error would be rendered, and ``PaperViewSet.finalize_response`` sends those as JSON."""
    content_type = citation.EXPORT_FORMATS[fmt][1]
    return type(
        f"{fmt.title().replace('-', '')}CitationRenderer",
        (JSONRenderer,),
        {"media_type": content_type, "format": fmt},
    )


# The first is the default: CSL-JSON, the format every reference manager reads.
CITATION_RENDERERS = [_citation_renderer(fmt) for fmt in ["csl-json", "bibtex", "ris", "text"]]


class CitationNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with a 400 that says what to send for an unknown ``?format=`` or
    ``?style=`` (DRF answers an unknown format with a bare 404)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        fmt = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        formats = [renderer.format for renderer in renderers]
        if fmt is not None and fmt not in formats:
            raise ValidationError({"format": [f"Unknown format; one of: {', '.join(formats)}."]})
        style = request.query_params.get("style")
        if style is not None and style not in citation_styles.STYLES:
            styles = ", ".join(citation_styles.STYLES)
            raise ValidationError({"style": [f"Unknown style; one of: {styles}."]})
        return super().select_renderer(request, renderers, format_suffix)


# --- viewsets ---


@extend_schema_view(
    list=extend_schema(
        summary="Papers",
        description="Filters, search (q) and sort work as on the papers page. "
        "A bad filter value gives 400 with the reason per parameter.",
    ),
    retrieve=extend_schema(summary="A paper by its id"),
)
class PaperViewSet(viewsets.ReadOnlyModelViewSet):
    """Papers: the list takes the same filters, search and sort as the papers page.

    List: 4 or 5 queries (count, papers+journals, authorships+authors, categories; an
    estimate above 1,000 papers), plus a search's probe; each bounded (papers.listing).
    Detail: 6 queries (paper+journal, authorships+authors, keywords, categories,
    fundings+funders, notices).
    Create (add by DOI, logged-in users): one lookup by DOI, and the insert when it is new.
    """

    queryset = Paper.objects.all()
    detail_serializer_class = PaperDetailSerializer
    filterset_class = PaperFilter
    pagination_class = PaperPagination
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if self.action == "list":
            return Paper.objects.for_list()
        return Paper.objects.for_page()

    def get_serializer_class(self):
        if self.action == "create":
            return AddPaperSerializer  # also the form of the browsable API
        return PaperListSerializer if self.action == "list" else self.detail_serializer_class

    def filter_queryset(self, queryset):
        # The filters describe the list; a paper's own URL answers whatever the query string.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        summary="Add a paper by its DOI",
        description="For logged-in users. A new DOI gives 202: the paper exists at once, "
        'with metadata_status "pending", and its metadata is fetched in the background '
        "(Crossref, then DataCite); follow its url to see the status change. A DOI already "
        "in the catalogue, in any case or form, gives 200 with that paper. Either way the "
        "Location header is the paper's API URL. Nothing is created on an error.",
        request=AddPaperSerializer,
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[200, 202],
                description="The paper's API URL (the body's url).",
            )
        ],
        responses={
            202: OpenApiResponse(
                PaperAddedSerializer, description="Added; the metadata is being fetched."
            ),
            200: OpenApiResponse(
                PaperAddedSerializer, description="Already in the catalogue; nothing changed."
            ),
            400: OpenApiResponse(
                inline_serializer(
                    "AddPaperError",
                    {"doi": serializers.ListField(child=serializers.CharField(), required=False)},
                ),
                description='Not a DOI, or no "doi" given; the reason is under "doi" '
                '(e.g. "a DOI looks like 10.1234/abc"). A malformed body gives {"detail"}.',
            ),
            403: OpenApiResponse(description="Not logged in."),
            429: OpenApiResponse(
                description="You added PAPERS_ADDED_PER_HOUR papers in the last hour; "
                "Retry-After says when you may add the next."
            ),
            413: OpenApiResponse(
                description=f"A body longer than {ADD_BODY_MAX_BYTES} bytes is not read."
            ),
        },
    )
    def create(self, request):
        # Read no more than a DOI needs: DRF's parsers would take any size of JSON.
        if _content_length(request) > ADD_BODY_MAX_BYTES:
            return Response(
                {"detail": f"The request body is larger than {ADD_BODY_MAX_BYTES} bytes."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        form = AddPaperSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            paper, created = metadata.add_by_doi(form.validated_data["doi"], by=request.user)
        except metadata.AddLimitReached as limit:
            raise Throttled(wait=limit.retry_after, detail=str(limit)) from None
        body = PaperAddedSerializer(paper, context=self.get_serializer_context()).data
        return Response(
            body,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
            headers={"Location": body["url"]},
        )

    @extend_schema(
        summary="A paper by its DOI",
        description="Any case, with or without a https://doi.org/ prefix. "
        "An unknown or malformed DOI gives 404.",
        parameters=[
            OpenApiParameter(
                "doi", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. 10.1234/abc"
            )
        ],
        responses=PaperDetailSerializer,
    )
    @action(detail=False, url_path=r"doi/(?P<doi>.+)", pagination_class=None)
    def by_doi(self, request, doi):
        try:
            doi = records.normalize_doi(doi)
        except records.RecordError as error:
            raise NotFound(str(error)) from error
        paper = get_object_or_404(self.get_queryset().with_doi(doi))
        self.check_object_permissions(request, paper)
        return Response(self.get_serializer(paper).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # An error of the citation action is JSON like every other error of the API, not
        # a JSON body labelled as the BibTeX or RIS the client asked for.
        if self.action == "cite" and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="A paper as a citation",
        description="The paper in a reference manager's format, or formatted in a citation "
        "style: `format` is `csl-json` (the default), `bibtex`, `ris` or `text` (the "
        "formatted reference, in `style`: "
        + ", ".join(f"`{style}` ({label})" for style, label in citation_styles.STYLES.items())
        + f"; default `{citation_styles.DEFAULT_STYLE}`). The Accept header may ask for the "
        "format's media type instead. The same files as the paper page's Cite block. An "
        "unknown format or style gives 400. Three queries.",
        parameters=[
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
        ],
        responses={
            (200, "application/vnd.citationstyles.csl+json"): {
                "type": "array",
                "items": {"type": "object", "additionalProperties": True},
                "description": "One CSL-JSON item.",
            },
            (200, "text/x-bibtex"): OpenApiTypes.STR,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            (200, "text/plain"): OpenApiTypes.STR,
        },
    )
    @action(
        detail=True,
        pagination_class=None,
        filterset_class=None,
        renderer_classes=CITATION_RENDERERS,
        content_negotiation_class=CitationNegotiation,
    )
    def cite(self, request, pk=None):
        paper = get_object_or_404(Paper.objects.for_export(), pk=pk)
        style = request.query_params.get("style", citation_styles.DEFAULT_STYLE)
        export = citation.export_papers([paper], request.accepted_renderer.format, style=style)
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'inline; filename="{export.filename}"'
        return response

    @extend_schema(
        summary="A paper's related papers",
        description='The paper\'s "Recommended" list, best first, each with its reason '
        "(similar topic, shared authors, rated highly by the same readers, or the best-rated "
        "recent papers of its categories when it has no close neighbours). Empty before the "
        "first computation. Two queries.",
        responses=RelatedPaperSerializer(many=True),
    )
    @action(detail=True, pagination_class=None, filterset_class=None)
    def related(self, request, pk=None):
        paper = get_object_or_404(Paper.objects.only("pk"), pk=pk)
        rows = recommend.related_papers(paper.pk)
        return Response(RelatedPaperSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Papers like a text, or like a paper",
        description="Find papers like this: the catalogue's papers most like a pasted "
        "`text` (an abstract, a question, a draft's introduction) or like a `paper` (by "
        "id), best first, ranked by the vectors of the related lists (words and topics), "
        "each with its score and the words it shares with the text. Optional filters as "
        "on the papers list (year_min, year_max, journal, category, keyword, funder, type, "
        "has_abstract); retracted papers are left out. Open to everyone, read-only.\n\n"
        "400, with the reason under the field or under non_field_errors: empty or "
        f"whitespace text, text over {similar.MAX_TEXT_CHARS:,} characters, text with no "
        "word the catalogue knows (only digits or punctuation), both or neither of "
        "text and paper, a limit outside 1-100, a filter that is not understood. "
        "404: no paper has the given id (as for every other paper URL of the API). "
        "503: a new portal whose vectors are still being computed.",
        request=SimilarRequestSerializer,
        responses={
            200: OpenApiResponse(SimilarPaperSerializer(many=True), description="Best first."),
            400: OpenApiResponse(description="The body is not a question we can answer."),
            404: OpenApiResponse(description="No paper has this id."),
            503: OpenApiResponse(description="The vectors are being computed; try later."),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="similar",
        pagination_class=None,
        filterset_class=None,
        permission_classes=[permissions.AllowAny],
    )
    def similar(self, request):
        form = SimilarRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        options = {
            "limit": data["limit"],
            "filters": form.filters(),
            "papers": Paper.objects.for_list(),
        }
        try:
            if "paper" in data:
                paper = Paper.objects.only("pk").filter(pk=data["paper"]).first()
                if paper is None:
                    raise NotFound(f"No paper has the id {data['paper']}.")
                results = similar.similar_to_paper(paper, **options)
            else:
                results = similar.similar_to_text(data["text"], **options)
        except similar.InvalidFilters as error:
            raise ValidationError(error.errors) from None
        except similar.SimilarUnavailable as error:
            return Response({"detail": str(error)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        except similar.SimilarError as error:
            raise ValidationError({"text": [str(error)]}) from None
        context = self.get_serializer_context()
        body = [
            {
                "rank": rank,
                "score": round(match.score, 4),
                "reason": match.reason,
                "shared_words": list(match.shared_words),
                "paper": PaperListSerializer(match.paper, context=context).data,
            }
            for rank, match in enumerate(results, start=1)
        ]
        return Response(body)

    @extend_schema(
        summary="A paper's references",
        description="The paper's reference list in the record's order, paginated: each "
        "entry with its DOI or OpenAlex id when the record gives one, its text and fields, "
        "and the cited paper when it is in this catalogue (linked when it arrives). "
        "Three queries: the paper, the count, the page with the cited papers.",
        responses=ReferenceSerializer(many=True),
    )
    @action(detail=True, pagination_class=CataloguePagination, filterset_class=None)
    def references(self, request, pk=None):
        paper = get_object_or_404(Paper.objects.only("pk"), pk=pk)
        page = self.paginate_queryset(Reference.objects.for_list(paper.pk))
        data = ReferenceSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="The catalogue papers citing a paper",
        description="The papers of this catalogue whose reference lists cite the paper, "
        "newest first, each once, paginated. Three queries: the paper, the count, the page.",
        responses=RecommendedPaperSerializer(many=True),
    )
    @action(
        detail=True,
        url_path="cited-by",
        url_name="cited-by",
        pagination_class=CataloguePagination,
        filterset_class=None,
    )
    def cited_by(self, request, pk=None):
        paper = get_object_or_404(Paper.objects.only("pk"), pk=pk)
        page = self.paginate_queryset(references.citing_papers(paper.pk))
        data = RecommendedPaperSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class JournalViewSet(viewsets.ReadOnlyModelViewSet):
    """Journals with their number of papers (list: 2 queries; detail: 1)."""

    # These lists are ordered explicitly: Django drops Meta.ordering from GROUP BY queries,
    # and pages need a stable order (the id breaks ties).
    queryset = Journal.objects.annotate(paper_count=Count("papers")).order_by("title", "id")
    serializer_class = JournalSerializer
    filterset_class = JournalFilter
    pagination_class = CataloguePagination
    lookup_value_regex = ID_PATTERN


class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
    """Authors with their number of papers (list: 2 queries; detail: 1)."""

    queryset = Author.objects.annotate(
        paper_count=Count("authorships__paper", distinct=True)
    ).order_by("family_name", "given_name", "name", "id")
    serializer_class = AuthorSerializer
    filterset_class = AuthorFilter
    pagination_class = CataloguePagination
    lookup_value_regex = ID_PATTERN


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Subject categories by slug, with their number of papers (list: 2 queries; detail: 1)."""

    queryset = Category.objects.annotate(paper_count=Count("papers")).order_by("name", "id")
    serializer_class = CategorySerializer
    filterset_class = NameFilter
    pagination_class = CataloguePagination
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"


class KeywordViewSet(CategoryViewSet):
    """Keywords by slug, with their number of papers (list: 2 queries; detail: 1)."""

    queryset = Keyword.objects.annotate(paper_count=Count("papers")).order_by("name", "id")
    serializer_class = KeywordSerializer
    filterset_class = NameFilter


class FunderViewSet(viewsets.ReadOnlyModelViewSet):
    """Funders with their number of funded papers (list: 2 queries; detail: 1)."""

    queryset = Funder.objects.annotate(
        paper_count=Count("fundings__paper", distinct=True)
    ).order_by("name", "id")
    serializer_class = FunderSerializer
    filterset_class = NameFilter
    pagination_class = CataloguePagination
    lookup_value_regex = ID_PATTERN


router = DefaultRouter()
# No ".json" URL suffixes (?format=json still works): a DOI often ends in ".008", which would
# be read as a format when the trailing slash is left off.
router.include_format_suffixes = False
# "papers" is registered by portal.paper_api, whose paper detail adds the rating summary.
router.register("journals", JournalViewSet)
router.register("authors", AuthorViewSet)
router.register("categories", CategoryViewSet)
router.register("keywords", KeywordViewSet)
router.register("funders", FunderViewSet)
