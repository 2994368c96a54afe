"""``/api/v1/papers/``: the catalogue's paper resource, with the rating summary of reviews.

``papers.api.PaperViewSet`` serves the catalogue's fields and knows nothing of reviews (papers
imports no app built on it); this module adds the reviews app's summary to a paper's detail
and registers the resource, as ``portal.paper_page`` does for the HTML page.
"""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.routers import DefaultRouter

from papers import api as papers_api
from reviews.page import stored_summary
from reviews.ratings import SECONDARY_LABELS, summary_view


@extend_schema_serializer(component_name="PaperDetail")
class PaperDetailSerializer(papers_api.PaperDetailSerializer):
    """Everything about a paper: reads only what ``for_page()`` loads (it joins the summary)."""

    rating_summary = serializers.SerializerMethodField()

    class Meta(papers_api.PaperDetailSerializer.Meta):
        fields = papers_api.PaperDetailSerializer.Meta.fields + ["rating_summary"]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "description": "Visible reviews: how many, the average (null below "
            "RATINGS_MIN_SHOWN ratings), how many gave each rating, and each secondary "
            'average ("-" when nobody gave one).',
        }
    )
    def get_rating_summary(self, paper):
        view = summary_view(stored_summary(paper))
        return {
            "count": view.count,
            "average": float(view.average) if view.average else None,
            "distribution": {str(stars): count for stars, count, _ in view.distribution},
            "secondary": {
                name: value
                for name, (_, value) in zip(SECONDARY_LABELS, view.secondary, strict=True)
            },
        }


@extend_schema_view(by_doi=extend_schema(responses=PaperDetailSerializer))
class PaperViewSet(papers_api.PaperViewSet):
    __doc__ = papers_api.PaperViewSet.__doc__
    detail_serializer_class = PaperDetailSerializer


router = DefaultRouter()
router.include_format_suffixes = False  # as papers.api.router: DOIs end in ".008"
router.register("papers", PaperViewSet)
