"""The recommendations API under /api/v1/: the signed-in user's personal recommendations
(``me/recommendations/``, best first) and "not relevant" (``me/recommendations/<paper
id>/dismiss/``). Sessions and tokens both authenticate, as for the rest of the API.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from papers.api import ID_PATTERN, RecommendedPaperSerializer
from papers.models import Paper
from recommendations import picks
from recommendations.models import Recommendation


class PickSerializer(serializers.ModelSerializer):
    """One personal recommendation, with its reason."""

    paper = RecommendedPaperSerializer(read_only=True)
    reason_label = serializers.CharField(source="reason_display", read_only=True)

    class Meta:
        model = Recommendation
        fields = ["rank", "reason", "reason_label", "detail", "paper"]
        read_only_fields = fields


class MyRecommendationsViewSet(viewsets.GenericViewSet):
    """The signed-in user's personal recommendations, best first (one query after auth),
    and "not relevant" (dismiss) by paper id."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = PickSerializer
    pagination_class = None
    lookup_field = "paper_id"
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, built without a user
            return Recommendation.objects.none()
        return Recommendation.objects.for_user(self.request.user)

    def list(self, request):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    @extend_schema(
        request=None,
        responses={204: None, 404: None},
        summary="Not relevant",
        description="The paper is never recommended to you again, and counts as a negative "
        "signal for your other recommendations. Idempotent: 204 each time; 404 for a paper "
        "that does not exist.",
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, paper_id=None):
        paper = get_object_or_404(Paper.objects.only("pk"), pk=paper_id)
        picks.dismiss(user=request.user, paper=paper)
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("me/recommendations", MyRecommendationsViewSet, basename="my-recommendation")
