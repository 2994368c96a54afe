"""The rows of personal recommendations and email digests.

Recommendation (a user's picks, replaced as a whole by ``recommendations.picks``),
Dismissal ("not relevant"), Digest (what a digest held, one row per user and period, with
its send-log row, accounts.SentEmail) and
EmailedPaper (never the same paper by email twice). The tables keep the names they had
when these models lived in accounts (``db_table``): migration recommendations 0001 took
them over without moving a row.
"""

from django.conf import settings
from django.db import models

from papers.models import LIST_DEFERRED

DIGEST_PERIOD_CHOICES = [
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
]


class RecommendationQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's shown picks, best first: one query with papers and journals joined.

        Retracted, dismissed and rated papers are left out here too, because they may have
        become so after the list was computed.
        """
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

    A user's list is replaced as a whole in one transaction (``recommendations.picks``).
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
        db_table = "accounts_recommendation"
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
        db_table = "accounts_dismissal"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="accounts_dismissal_once")
        ]

    def __str__(self):
        return f"{self.user_id} dismissed {self.paper_id}"


class Digest(models.Model):
    """What a digest held: one row per user and digest period (e.g. weekly 2026-W48).

    Whether and when it went out is its send-log row (``email``, accounts.SentEmail of
    kind "digest", key "weekly:2026-W48"), as for every email of the portal. The row is
    claimed, and this row and its papers' EmailedPaper rows inserted, in one transaction
    *before* the email goes out (recommendations.digests): a second run, a second beat or
    a redelivered task finds the claim taken and sends nothing; a retry of a failed send
    says again what this row records.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    period = models.CharField(max_length=10, choices=DIGEST_PERIOD_CHOICES)
    # Which day, ISO week or month: "2026-11-26", "2026-W48", "2026-11".
    period_key = models.CharField(max_length=10)
    # The kinds of email (EmailKind values) it carried, and what happened in which window.
    kinds = models.JSONField(default=list)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # The recommended papers in their order, with the reason shown: [{"paper": id, "reason": ...}].
    items = models.JSONField(default=list, blank=True)
    email = models.OneToOneField(
        "accounts.SentEmail", on_delete=models.CASCADE, related_name="digest"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_digest"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period", "period_key"], name="accounts_digest_once_per_period"
            )
        ]

    def __str__(self):
        return f"{self.period} digest {self.period_key} for {self.user_id}"

    # How its sending went: read from the send-log row (one query unless joined).
    @property
    def status(self):
        return self.email.status

    @property
    def attempts(self):
        return self.email.attempts

    @property
    def error(self):
        return self.email.error

    @property
    def sent_at(self):
        return self.email.sent_at


class EmailedPaper(models.Model):
    """A paper recommended to a user by email: the unique pair means never twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="emailed_papers"
    )
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="emailed_to")
    emailed_at = models.DateTimeField(auto_now_add=True)
    # The digest that carried it (the send log's "papers it contained").
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="emailed_papers"
    )

    class Meta:
        db_table = "accounts_emailedpaper"
        ordering = ["-emailed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="accounts_emailed_paper_once")
        ]

    def __str__(self):
        return f"{self.paper_id} emailed to {self.user_id}"
