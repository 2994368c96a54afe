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
        INSTANT = "instant", "At once"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        OFF = "off", "Off"

    # The digest periods: beat sends one digest per user and period (recommendations.digests).
    PERIODS = (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY)
    # Recommendations come only in a digest: "at once" would mean an email per recompute.
    DIGEST_ONLY = [(v, label) for v, label in Frequency.choices if v != "instant"]

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
    # The preference centre: how often each kind of email comes (accounts.EmailKind).
    recommendation_frequency = models.CharField(
        "recommendation digest", max_length=10, choices=DIGEST_ONLY, default=Frequency.WEEKLY
    )
    paper_activity_frequency = models.CharField(
        "activity on my papers",
        max_length=10,
        choices=Frequency,
        default=Frequency.INSTANT,
        help_text="New ratings and resource requests on papers you are a verified author of. "
        "At once: each request is emailed when it is asked, new ratings come with your "
        "recommendation digest.",
    )
    request_answers_frequency = models.CharField(
        "answers to my resource requests",
        max_length=10,
        choices=Frequency,
        default=Frequency.INSTANT,
    )
    claim_decisions_frequency = models.CharField(
        "decisions on my author claims",
        max_length=10,
        choices=Frequency,
        default=Frequency.INSTANT,
    )
    follow_alerts_frequency = models.CharField(
        "new papers from what I follow",
        max_length=10,
        choices=DIGEST_ONLY,
        default=Frequency.WEEKLY,
        help_text="New papers by the authors, in the journals, categories and keywords you "
        "follow, and new matches of your saved searches: they come in your digest.",
    )
    review_notices = models.BooleanField(
        "notices about my reviews",
        default=True,
        help_text="A paper you rated is retracted; a curator hid one of your reviews.",
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

    def frequency_of(self, kind):
        """How often ``kind`` (an EmailKind) is wanted: a Frequency value."""
        if kind == EmailKind.REVIEW_NOTICES:
            return self.Frequency.INSTANT if self.review_notices else self.Frequency.OFF
        return getattr(self, EMAIL_KIND_FIELDS[kind])

    def wants_at_once(self, kind):
        return self.frequency_of(kind) == self.Frequency.INSTANT


class EmailKind(models.TextChoices):
    """The kinds of email a user can choose the frequency of, or stop (unsubscribe)."""

    RECOMMENDATIONS = "recommendations", "Recommendation digest"
    PAPER_ACTIVITY = "paper_activity", "Activity on my papers"
    REQUEST_ANSWERS = "request_answers", "Answers to my resource requests"
    CLAIM_DECISIONS = "claim_decisions", "Decisions on my author claims"
    FOLLOW_ALERTS = "follow_alerts", "New papers from what I follow"
    REVIEW_NOTICES = "review_notices", "Notices about my reviews"


# The Profile field that holds each kind's frequency (review notices: a yes/no field).
EMAIL_KIND_FIELDS = {
    EmailKind.RECOMMENDATIONS: "recommendation_frequency",
    EmailKind.PAPER_ACTIVITY: "paper_activity_frequency",
    EmailKind.REQUEST_ANSWERS: "request_answers_frequency",
    EmailKind.CLAIM_DECISIONS: "claim_decisions_frequency",
    EmailKind.FOLLOW_ALERTS: "follow_alerts_frequency",
}


class SentEmail(models.Model):
    """The send log of every email sent to one user about one thing (accounts.emails.send_once).

    The row is written *before* the message goes out, and (kind, key, recipient) is unique:
    a task run twice, redelivered or racing another finds the row and sends nothing. A send
    the email backend refused is marked "failed", and the next try takes the row again; a
    row left "sending" (the worker died mid-send) is never sent again, since its message may
    have gone out. Digests too: their row is claimed in the transaction that records what
    the digest holds (recommendations.Digest, linked to its row).
    """

    class Kind(models.TextChoices):
        CLAIM_DECISION = "claim_decision", "Claim decision"
        RESOURCE_REQUEST = "resource_request", "Resource requests, to an author"
        REQUEST_ANSWERED = "request_answered", "Answer to a resource request"
        REQUEST_STATUS = "request_status", "Status of a resource request"
        REVIEW_HIDDEN = "review_hidden", "Review hidden"
        RETRACTION = "retraction", "Retraction of a rated paper"
        # Key "<period>:<period key>": "weekly:2026-W49".
        DIGEST = "digest", "Email digest"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind)
    # What the email is about, within its kind: "12" (a decision id), "12:acknowledged".
    key = models.CharField(max_length=100)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_emails"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.SENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "recipient"], name="accounts_sentemail_once"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.kind} {self.key} to {self.recipient_id} ({self.status})"


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
