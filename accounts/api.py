"""The accounts API under /api/v1/: researchers' public profiles, the current user's own
profile (``researchers/me/``, GET and PATCH), and claims (create, list own, withdraw;
curators approve and reject).

Sessions and tokens (``Authorization: Token <key>``, the key shown on the profile page)
both authenticate. No response ever carries another user's email address; ``me`` shows
the user their own. Lists run a constant number of queries whatever the number of rows.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import SimpleRouter

from accounts import claims as claim_rules
from accounts.models import Claim, Profile
from accounts.orcid import normalize_orcid
from accounts.profiles import profile_for
from papers.api import ID_PATTERN, Conflict, ConflictSerializer
from papers.models import Authorship, Category, Keyword

User = get_user_model()


class VerifiedPaperSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="paper.id")
    doi = serializers.CharField(source="paper.doi", allow_null=True)
    title = serializers.CharField(source="paper.title")
    author_name = serializers.CharField(source="authorship.author.name")


class PublicProfileSerializer(serializers.ModelSerializer):
    """What anyone may read about a researcher: no email address."""

    display_name = serializers.CharField(source="public_name", read_only=True)
    affiliation = serializers.CharField(source="profile.affiliation", read_only=True)
    orcid = serializers.CharField(source="profile.orcid", read_only=True, allow_null=True)
    orcid_proven = serializers.BooleanField(source="profile.orcid_proven", read_only=True)
    bio = serializers.CharField(source="profile.bio", read_only=True)
    interest_categories = serializers.SlugRelatedField(
        source="profile.interest_categories", many=True, read_only=True, slug_field="slug"
    )
    interest_keywords = serializers.SlugRelatedField(
        source="profile.interest_keywords", many=True, read_only=True, slug_field="slug"
    )
    verified_papers = VerifiedPaperSerializer(source="verified_claims", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "affiliation",
            "orcid",
            "orcid_proven",
            "bio",
            "interest_categories",
            "interest_keywords",
            "verified_papers",
        ]
        read_only_fields = fields


class MyProfileSerializer(serializers.ModelSerializer):
    """The current user's own profile; ``email`` is theirs, read-only here (allauth's pages
    change and verify addresses)."""

    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    interest_categories = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Category.objects.all(), required=False
    )
    interest_keywords = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Keyword.objects.all(), required=False
    )

    class Meta:
        model = Profile
        fields = [
            "username",
            "email",
            "display_name",
            "affiliation",
            "orcid",
            "orcid_proven",
            "bio",
            "interest_categories",
            "interest_keywords",
            "recommendation_frequency",
            "paper_activity_frequency",
            "request_answers_frequency",
            "claim_decisions_frequency",
            "follow_alerts_frequency",
            "review_notices",
        ]
        read_only_fields = ["orcid_proven"]
        extra_kwargs = {"orcid": {"validators": []}}  # normalised first, then checked below

    def validate_orcid(self, value):
        if not value:
            return None
        if self.instance and self.instance.orcid_proven:
            if value != self.instance.orcid:
                raise serializers.ValidationError(
                    "Your ORCID iD is proven by ORCID sign-in; it changes only through it."
                )
            return value
        try:
            orcid = normalize_orcid(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        taken = Profile.objects.filter(orcid=orcid).exclude(pk=getattr(self.instance, "pk", None))
        if taken.exists():
            raise serializers.ValidationError("Another researcher's profile has this ORCID iD.")
        return orcid


def researchers_queryset():
    """Active users with profile (1 query), interests (2) and verified claims (1)."""
    verified = Claim.objects.filter(status=Claim.Status.VERIFIED).select_related(
        "paper", "authorship__author"
    )
    return (
        User.objects.filter(is_active=True)
        .select_related("profile")
        .prefetch_related(
            "profile__interest_categories",
            "profile__interest_keywords",
            Prefetch("claims", queryset=verified, to_attr="verified_claims"),
        )
        .order_by("id")
    )


class ResearcherViewSet(viewsets.ReadOnlyModelViewSet):
    """Researchers' public profiles; ``me`` is the current user's own, editable."""

    serializer_class = PublicProfileSerializer
    permission_classes = [permissions.AllowAny]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return researchers_queryset()

    @extend_schema(request=MyProfileSerializer, responses=MyProfileSerializer)
    @action(
        detail=False,
        methods=["get", "patch"],
        permission_classes=[permissions.IsAuthenticated],
        serializer_class=MyProfileSerializer,
    )
    def me(self, request):
        profile = profile_for(request.user)
        if request.method == "GET":
            return Response(MyProfileSerializer(profile).data)
        serializer = MyProfileSerializer(profile, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)


class ClaimSerializer(serializers.ModelSerializer):
    authorship = serializers.PrimaryKeyRelatedField(queryset=Authorship.objects.all())
    paper_title = serializers.CharField(source="paper.title", read_only=True)
    author_name = serializers.CharField(source="authorship.author.name", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "authorship",
            "paper",
            "paper_title",
            "author_name",
            "username",
            "status",
            "created_at",
            "decided_at",
        ]
        read_only_fields = ["paper", "status", "created_at", "decided_at"]
        # accounts.claims decides (and the database enforces) who may hold what, with
        # messages of its own: no generic "must make a unique set" from the serializer.
        validators = []


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ClaimViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your claims (curators: everyone's; ``?status=pending`` for the queue)."""

    serializer_class = ClaimSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = ID_PATTERN
    filterset_fields = ["status"]

    def get_queryset(self):
        qs = Claim.objects.select_related("paper", "authorship__author", "user")
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return qs.none()
        if claim_rules.is_curator(self.request.user):
            return qs
        return qs.filter(user=self.request.user)

    @extend_schema(responses={201: ClaimSerializer, 409: ConflictSerializer})
    def create(self, request, *args, **kwargs):
        """Claim an authorship. 409 when someone else holds it, or when you already claimed
        it (then ``existing`` is the URL of your claim)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authorship = serializer.validated_data["authorship"]
        try:
            claim = claim_rules.claim_authorship(
                user=request.user, authorship=authorship, only_new=True
            )
        except claim_rules.AlreadyClaimed as mine:
            url = reverse("claim-detail", args=[mine.claim.pk], request=request)
            raise Conflict(str(mine), existing_url=url) from None
        except claim_rules.AuthorshipTaken as taken:
            return Response({"detail": str(taken)}, status=status.HTTP_409_CONFLICT)
        except claim_rules.ClaimError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(claim).data, status=status.HTTP_201_CREATED)

    def _act(self, function, **kwargs):
        claim = self.get_object()
        try:
            claim = function(claim, by=self.request.user, **kwargs)
        except claim_rules.ClaimError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(claim).data)

    @extend_schema(request=None, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(claim_rules.withdraw_claim)

    @extend_schema(request=ReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        return self._act(claim_rules.approve_claim, reason=reason.validated_data.get("reason", ""))

    @extend_schema(
        request=inline_serializer("RejectRequest", {"reason": serializers.CharField()}),
        responses=ClaimSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        return self._act(claim_rules.reject_claim, reason=reason.validated_data.get("reason", ""))


router = SimpleRouter()
router.register("researchers", ResearcherViewSet, basename="researcher")
router.register("claims", ClaimViewSet, basename="claim")
