"""Users, researcher profiles, and claims of authorships ("I am an author on this paper").

The rules about claims (who may claim, approve, withdraw, dispute) live in
``accounts.claims``; these models hold the rows and the database constraints that no race
can get around.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.orcid import validate_orcid


class User(AbstractUser):
    """The portal's user. Custom from the first migration so that profile fields,
    ORCID sign-in and email log-in can be added without a painful swap later."""

    class Meta:
        db_table = "accounts_user"

    @property
    def public_name(self):
        """The name shown to others: never the email address (usernames cannot hold one)."""
        profile = getattr(self, "profile", None)
        return (profile and profile.display_name) or self.get_full_name() or self.username


class Profile(models.Model):
    """What a researcher tells about themself. Public except nothing here is private:
    the email address lives on the user and is never shown to others."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        NEVER = "never", "Never"

    BIO_MAX_LENGTH = 1000

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=200, blank=True)
    affiliation = models.CharField(max_length=300, blank=True)
    # NULL, not "", when missing, so that the unique constraint allows many profiles without.
    orcid = models.CharField(  # noqa: DJ001
        "ORCID iD", max_length=19, null=True, blank=True, unique=True, validators=[validate_orcid]
    )
    # True only when the iD came from an ORCID sign-in (the social account's uid); an iD
    # typed into the profile is never proven.
    orcid_proven = models.BooleanField("ORCID proven by sign-in", default=False)
    bio = models.CharField("short bio", max_length=BIO_MAX_LENGTH, blank=True)
    interest_categories = models.ManyToManyField(
        "papers.Category", blank=True, related_name="interested_profiles"
    )
    interest_keywords = models.ManyToManyField(
        "papers.Keyword", blank=True, related_name="interested_profiles"
    )
    recommendation_frequency = models.CharField(
        "recommendation emails", max_length=10, choices=Frequency, default=Frequency.WEEKLY
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(orcid_proven=False) | Q(orcid__isnull=False),
                name="accounts_profile_proven_orcid_present",
            )
        ]

    def __str__(self):
        return f"Profile of {self.user.username}"

    def get_absolute_url(self):
        return reverse("accounts:profile", args=[self.user_id])

    @property
    def orcid_url(self):
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""


class ClaimQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=Claim.ACTIVE)

    def for_curators(self):
        """Rows for the admin list: user, profile, authorship, author and paper joined."""
        return self.select_related("user__profile", "authorship__author", "paper")


class Claim(models.Model):
    """A user's claim to be the author of one authorship of a paper."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ACTIVE = (Status.PENDING, Status.VERIFIED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    # An authorship removed by a re-import or an author merge takes its claims with it.
    authorship = models.ForeignKey(
        "papers.Authorship", on_delete=models.CASCADE, related_name="claims"
    )
    # The authorship's paper, copied so that the database can hold "one per user and paper".
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="claims")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["authorship"],
                condition=Q(status__in=["pending", "verified"]),
                name="accounts_claim_one_active_per_authorship",
            ),
            models.UniqueConstraint(
                fields=["user", "paper"],
                condition=Q(status__in=["pending", "verified"]),
                name="accounts_claim_one_active_per_user_and_paper",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.user.username} as author #{self.authorship_id} ({self.status})"

    @property
    def is_active(self):
        return self.status in self.ACTIVE


class ClaimDecision(models.Model):
    """Who decided a claim, when and why: one row per approval, rejection or automatic
    verification (by=None: the proven ORCID iD matched)."""

    class Verdict(models.TextChoices):
        VERIFIED_BY_ORCID = "orcid", "Verified by ORCID"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="decisions")
    verdict = models.CharField(max_length=10, choices=Verdict)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claim_decisions",
    )
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    # Set just before the claimant's email goes out, so that a task run twice sends once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.get_verdict_display()} claim {self.claim_id}"


class ClaimDispute(models.Model):
    """Another user says an active claim is wrong (they are that author); curators decide."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="disputes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim_disputes"
    )
    reason = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "user"],
                condition=Q(resolved_at__isnull=True),
                name="accounts_dispute_one_open_per_user_and_claim",
            )
        ]

    def __str__(self):
        return f"Dispute of claim {self.claim_id} by {self.user.username}"


class RecommendationQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's shown picks, best first: one query with papers and journals joined.

        Retracted, dismissed and rated papers are left out here too, because they may have
        become so after the list was computed.
        """
        from papers.models import LIST_DEFERRED

        return (
            self.filter(user=user, paper__is_retracted=False)
            .exclude(paper__dismissals__user=user)
            .exclude(paper__reviews__user=user)
            .select_related("paper", "paper__journal")
            .defer(*(f"paper__{name}" for name in LIST_DEFERRED))
            .order_by("rank")
        )


class Recommendation(models.Model):
    """One of a user's personal picks, with the reason shown beside it.

    A user's list is replaced as a whole in one transaction (``accounts.picks``).
    """

    class Reason(models.TextChoices):
        RATED = "rated", "Because you rated"
        CLAIMED = "claimed", "Because you wrote"
        INTEREST = "interest", "In your interest"
        POPULAR = "popular", "Best rated recent paper"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendations"
    )
    paper = models.ForeignKey(
        "papers.Paper", on_delete=models.CASCADE, related_name="recommendations"
    )
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reason = models.CharField(max_length=10, choices=Reason)
    # What the reason names: the rated or claimed paper's title, the interest's name.
    detail = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        ordering = ["user", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="accounts_recommendation_once")
        ]

    def __str__(self):
        return f"{self.paper_id} for {self.user_id} ({self.reason})"

    @property
    def reason_display(self):
        label = self.get_reason_display()
        return f"{label} “{self.detail}”" if self.detail else label


class Dismissal(models.Model):
    """ "Not relevant": the paper is never recommended to the user again, and its content
    pushes the user's other picks away from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals"
    )
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="dismissals")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="accounts_dismissal_once")
        ]

    def __str__(self):
        return f"{self.user_id} dismissed {self.paper_id}"


class EmailedPaper(models.Model):
    """A paper recommended to a user by email: the unique pair means never twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="emailed_papers"
    )
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="emailed_to")
    emailed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-emailed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="accounts_emailed_paper_once")
        ]

    def __str__(self):
        return f"{self.paper_id} emailed to {self.user_id}"
