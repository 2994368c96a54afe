"""Reviews of papers (a required 1-5 rating, three optional secondary ratings, optional text),
readers' "helpful" votes and reports, and the rating summary stored per paper.

The rules on who may do what and the arithmetic live in ``reviews.ratings``; these are the
tables and their database constraints.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from papers.links import validate_link
from papers.models import Paper

MAX_TEXT_CHARS = 10_000
SECONDARY = ("novelty", "significance", "rigor")


def shown_name(user):
    """The name shown for a review, request or answer: never the email address."""
    return "a deleted user" if user is None else user.public_name


def _one_to_five(name):
    return Q(**{f"{name}__gte": 1, f"{name}__lte": 5})


class Review(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="reviews")
    # A deleted account's reviews stay, shown as by "a deleted user" (see the README).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField("primary rating")
    novelty = models.PositiveSmallIntegerField(null=True, blank=True)
    significance = models.PositiveSmallIntegerField(null=True, blank=True)
    rigor = models.PositiveSmallIntegerField("scientific rigor", null=True, blank=True)
    text = models.TextField(blank=True, help_text="Plain text or Markdown.")
    # The text rendered and sanitised once, when written (reviews.text.render_review_text).
    text_html = models.TextField(blank=True, editable=False)
    # The reviewer's ORCID was proven by ORCID sign-in when they rated.
    verified_researcher = models.BooleanField(default=False)
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    # When the reviewer was emailed that the paper was retracted (never twice).
    retraction_told_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_hidden = models.BooleanField(default=False, db_index=True)
    hidden_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "user"], name="reviews_one_per_user_and_paper"
            ),
            models.CheckConstraint(condition=_one_to_five("rating"), name="reviews_rating_1_5"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | _one_to_five(name),
                    name=f"reviews_{name}_1_5",
                )
                for name in SECONDARY
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), MAX_TEXT_CHARS),
                name="reviews_text_max_length",
            ),
        ]
        indexes = [models.Index(fields=["paper", "is_hidden", "-helpful_count", "-created_at"])]

    def __str__(self):
        return f"{self.rating}/5 on {self.paper_id} by {self.reviewer_name}"

    @property
    def reviewer_name(self):
        """The name shown with the review; never the email address."""
        return shown_name(self.user)


class HelpfulVote(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="helpful_votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="reviews_one_helpful_vote")
        ]

    def __str__(self):
        return f"helpful: review {self.review_id} by user {self.user_id}"


class ReviewReport(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="reviews_one_report_per_user")
        ]

    def __str__(self):
        return f"report on review {self.review_id}: {self.reason[:60]}"


class RatingSummary(models.Model):
    """What the paper page shows of its ratings, kept exactly equal to the visible reviews.

    Sums and counts rather than averages, so that a summary can be checked against a fresh
    aggregate. ``Paper.rating_average`` / ``rating_count`` / ``rating_score`` repeat what
    lists and sorts need, written in the same transaction.
    """

    paper = models.OneToOneField(
        Paper, on_delete=models.CASCADE, primary_key=True, related_name="rating_summary"
    )
    count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    count_1 = models.PositiveIntegerField(default=0)
    count_2 = models.PositiveIntegerField(default=0)
    count_3 = models.PositiveIntegerField(default=0)
    count_4 = models.PositiveIntegerField(default=0)
    count_5 = models.PositiveIntegerField(default=0)
    novelty_count = models.PositiveIntegerField(default=0)
    novelty_total = models.PositiveIntegerField(default=0)
    significance_count = models.PositiveIntegerField(default=0)
    significance_total = models.PositiveIntegerField(default=0)
    rigor_count = models.PositiveIntegerField(default=0)
    rigor_total = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "rating summaries"

    def __str__(self):
        return f"{self.count} ratings of paper {self.paper_id}"


# --- resource requests ("Ask authors/readers for more resources") ---

MAX_REQUEST_CHARS = 2_000
MAX_ANSWER_CHARS = 5_000


class ResourceKind(models.TextChoices):
    DATA = "data", "Data"
    CODE = "code", "Code"
    PROTOCOL = "protocol", "Protocol"
    MATERIALS = "materials", "Materials"
    FULL_TEXT = "full_text", "Full text"
    OTHER = "other", "Other"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    FULFILLED = "fulfilled", "Fulfilled"
    DECLINED = "declined", "Declined"


class ResourceRequestQuerySet(models.QuerySet):
    def active_of(self, *, user, paper, kind):
        """``user``'s open or acknowledged, visible request of ``kind`` on ``paper`` (one at
        most: a constraint)."""
        return self.filter(requester=user, paper=paper, kind=kind).filter(ACTIVE_REQUEST)


# A reader's request that still waits for the resource; one per reader, paper and kind.
ACTIVE_REQUEST = Q(status__in=["open", "acknowledged"], is_hidden=False)


class ResourceRequest(models.Model):
    """A reader asks the authors (and other readers) of a paper for a resource.

    The status moves open -> acknowledged -> fulfilled (with a link) or declined (with a
    reason); the rules are in ``reviews.resources``.
    """

    Kind = ResourceKind
    Status = RequestStatus

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="resource_requests")
    # A deleted account's requests stay, shown as by "a deleted user".
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="resource_requests",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    fulfilled_url = models.URLField(
        "where the resource is", max_length=1000, blank=True, validators=[validate_link]
    )
    declined_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When the paper's verified authors were emailed; null while the request waits for one.
    authors_notified_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False, db_index=True)
    hidden_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResourceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "requester", "kind"],
                condition=ACTIVE_REQUEST,
                name="resource_request_one_active_per_reader_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values), name="resource_request_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="resource_request_status"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("message"), MAX_REQUEST_CHARS),
                name="resource_request_message_max_length",
            ),
            # A fulfilled request says where the resource is; a declined one says why.
            models.CheckConstraint(
                condition=~Q(status="fulfilled") | ~Q(fulfilled_url=""),
                name="resource_request_fulfilled_has_link",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(declined_reason=""),
                name="resource_request_declined_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["paper", "is_hidden", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} for paper {self.paper_id} ({self.status})"

    @property
    def requester_name(self):
        return shown_name(self.requester)


class ResourceAnswer(models.Model):
    request = models.ForeignKey(ResourceRequest, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="resource_answers",
    )
    text = models.TextField(blank=True, help_text="Plain text or Markdown.")
    # Rendered and sanitised once, when written (reviews.text.render_review_text).
    text_html = models.TextField(blank=True, editable=False)
    link = models.URLField(max_length=1000, blank=True, validators=[validate_link])
    # The user was a verified author of the paper when they answered.
    as_author = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False, db_index=True)
    hidden_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("text"), MAX_ANSWER_CHARS),
                name="resource_answer_text_max_length",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(link=""), name="resource_answer_not_empty"
            ),
        ]

    def __str__(self):
        return f"answer to request {self.request_id} by {self.answerer_name}"

    @property
    def answerer_name(self):
        return shown_name(self.user)


class MeToo(models.Model):
    """Another reader wants the same resource ("me too"), once per reader and request."""

    request = models.ForeignKey(ResourceRequest, on_delete=models.CASCADE, related_name="me_toos")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "me too"
        verbose_name_plural = "me toos"
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="resource_one_me_too_per_user")
        ]

    def __str__(self):
        return f"me too: request {self.request_id} by user {self.user_id}"
