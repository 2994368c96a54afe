"""Email digests: who is due, what goes in, how it is rendered, and sending it once.

A digest goes to a user per period (daily, weekly or monthly) and holds the kinds of email
(accounts.models.EmailKind) they chose that period for in the preference centre:

- recommendations: their best personal picks (Recommendation) never emailed before;
- activity on their papers (verified authors): new ratings and resource requests; with
  "at once" the requests were emailed as asked, and the ratings ride in the
  recommendation digest;
- answers to their resource requests, and status changes of those requests;
- decisions on their author claims;
- new papers from what they follow (library.follows: authors, journals, categories,
  keywords, saved searches), each with its reason; each follow's watermark moves in the
  transaction that logs the digest, so a paper is alerted once per follow.

Each kind covers what happened since the end of the last digest that carried it (or one
period back). A user with nothing new gets no email.

Sending is safe to repeat (``send``), on the send log of every email the portal sends
(accounts.emails): one transaction claims the send (a SentEmail row of kind "digest", key
"weekly:2026-W49", unique per user) and inserts the Digest row (what the digest holds)
and the EmailedPaper rows of its papers, *before* the email goes out. A second run, a
second beat, or a task redelivered after a crash finds the claim taken and sends nothing;
a paper already emailed to the user makes the insert fail, and the claim with it. A
failed send is recorded on the send-log row (status, error, attempts), as for every
email, and raised as DigestFailed for the caller to retry; a retry sends the same content
(from the Digest row) again, until DIGEST_SEND_ATTEMPTS tries are used.

Beat's task ``send_digests`` and the per-user ``send_digest`` are at the bottom, beside
the functions they call.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from accounts import emails, signing
from accounts.models import Claim, ClaimDecision, EmailKind, Profile, SentEmail
from library import follows
from library.models import Follow
from papers.models import LIST_DEFERRED, Authorship, Paper
from recommendations import picks
from recommendations.models import Digest, EmailedPaper, Recommendation
from reviews.models import ResourceAnswer, ResourceRequest, Review

PERIODS = ("daily", "weekly", "monthly")
# How far back the first digest of a kind looks.
PERIOD_LENGTH = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=31),
}
AUTHORS_SHOWN = 3
TEMPLATE = "recommendations/emails/digest"


class DigestFailed(Exception):
    """The email backend refused a digest; its send-log row records the error."""


# --- who is due -------------------------------------------------------------------------


def period_key(period, when=None):
    """Which day, ISO week or month ``when`` (default now, local time) is in, for ``period``:
    "2026-11-26", "2026-W48" or "2026-11". The send log is unique per user and key."""
    if period not in PERIODS:
        raise ValueError(f"unknown digest period {period!r}; use one of {', '.join(PERIODS)}")
    when = timezone.localtime(when or timezone.now())
    if period == "daily":
        return when.strftime("%Y-%m-%d")
    if period == "weekly":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    return when.strftime("%Y-%m")


def kinds_due(profile, period):
    """The kinds of email ``profile`` wants in its ``period`` digest (EmailKind values)."""
    kinds = []
    if profile.recommendation_frequency == period:
        kinds.append(EmailKind.RECOMMENDATIONS)
    activity = profile.paper_activity_frequency
    # "At once" sends requests as they come; ratings wait for the recommendation digest.
    if activity == period or (
        activity == Profile.Frequency.INSTANT and profile.recommendation_frequency == period
    ):
        kinds.append(EmailKind.PAPER_ACTIVITY)
    if profile.request_answers_frequency == period:
        kinds.append(EmailKind.REQUEST_ANSWERS)
    if profile.claim_decisions_frequency == period:
        kinds.append(EmailKind.CLAIM_DECISIONS)
    # Last: collect() drops the alerts of papers the picks already carry.
    if profile.follow_alerts_frequency == period:
        kinds.append(EmailKind.FOLLOW_ALERTS)
    return kinds


def users_due(period, key):
    """Ids of active users with an address, some kind of email at ``period`` (follow alerts:
    when they follow something), and no digest
    for ``key`` yet, in id order (a values_list queryset: iterate it in batches)."""
    wanted = Q()
    for name in (
        "recommendation_frequency",
        "paper_activity_frequency",
        "request_answers_frequency",
        "claim_decisions_frequency",
    ):
        wanted |= Q(**{f"profile__{name}": period})
    # Follow alerts only for readers who follow something.
    wanted |= Q(profile__follow_alerts_frequency=period) & Q(
        Exists(Follow.objects.filter(user=OuterRef("pk")))
    )
    already = Digest.objects.filter(user=OuterRef("pk"), period=period, period_key=key)
    return (
        get_user_model()
        .objects.filter(wanted, is_active=True)
        .exclude(email="")
        .exclude(Exists(already))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- what goes in -----------------------------------------------------------------------


@dataclass
class Pick:
    """One recommended paper as the email shows it (plain values: templates never query)."""

    paper_id: int
    title: str
    authors: str
    journal: str
    year: int | None
    rating: str
    reason: str
    url: str
    not_relevant_url: str


@dataclass
class Content:
    user: object
    period: str
    end: datetime
    # Each kind carried, with the start of the window it covers.
    windows: dict = field(default_factory=dict)
    picks: list = field(default_factory=list)
    ratings: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    status_changes: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    alerts: list = field(default_factory=list)

    @property
    def kinds(self):
        """The kinds that have something to say (what unsubscribing from it stops)."""
        found = {
            EmailKind.RECOMMENDATIONS: self.picks,
            EmailKind.PAPER_ACTIVITY: self.ratings or self.requests,
            EmailKind.REQUEST_ANSWERS: self.answers or self.status_changes,
            EmailKind.CLAIM_DECISIONS: self.decisions,
            EmailKind.FOLLOW_ALERTS: self.alerts,
        }
        return [kind for kind in self.windows if found[kind]]

    @property
    def is_empty(self):
        return not self.kinds


def user_for_digest(user_id):
    """The user with their profile (one query), or None when gone, inactive or addressless."""
    return (
        get_user_model()
        .objects.select_related("profile")
        .filter(pk=user_id, is_active=True)
        .exclude(email="")
        .first()
    )


def windows_for(user, period, *, end):
    """When each kind due at ``period`` starts: the end of the last digest (sent or being
    sent) that carried it, else one period before ``end``. One query."""
    kinds = kinds_due(user.profile, period)
    if not kinds:
        return {}
    earlier = list(
        Digest.objects.filter(user=user)
        .exclude(email__status=SentEmail.Status.FAILED)
        .order_by("-window_end")
        .values_list("kinds", "window_end")[:50]
    )
    default = end - PERIOD_LENGTH[period]
    return {
        kind: next((ended for carried, ended in earlier if kind in carried), default)
        for kind in kinds
    }


def collect(user, period, *, end=None, windows=None, items=None):
    """What ``user``'s ``period`` digest holds now (writes nothing).

    ``windows`` (kind -> start) and ``items`` (the recommended papers) come from the send
    log when a failed digest is tried again, so that it says the same thing.
    Queries: 1 for the windows (unless given), then per kind carried — recommendations:
    2 (picks with paper and journal, their authors); activity: 1 (the user's verified
    papers), plus ratings and requests for an author; answers: 2 (answers, status
    changes); claim decisions: 1; follow alerts: see ``library.follows.alerts_for``.
    """
    end = end or timezone.now()
    if windows is None:
        windows = windows_for(user, period, end=end)
    content = Content(user=user, period=period, end=end, windows=dict(windows))
    recommendations_only_ratings = (
        user.profile.paper_activity_frequency == Profile.Frequency.INSTANT
    )
    for kind, start in windows.items():
        if kind == EmailKind.RECOMMENDATIONS:
            content.picks = _picks(user, items)
        elif kind == EmailKind.PAPER_ACTIVITY:
            content.ratings, content.requests = _paper_activity(
                user, start, end, with_requests=not recommendations_only_ratings
            )
        elif kind == EmailKind.REQUEST_ANSWERS:
            content.answers, content.status_changes = _request_answers(user, start, end)
        elif kind == EmailKind.CLAIM_DECISIONS:
            content.decisions = _claim_decisions(user, start, end)
        elif kind == EmailKind.FOLLOW_ALERTS:
            picked = {pick.paper_id for pick in content.picks}
            content.alerts = [a for a in _alerts(user, end, items) if a.paper_id not in picked]
    return content


def _authorships():
    return Prefetch(
        "authorships",
        queryset=Authorship.objects.select_related("author")
        .only("paper_id", "position", "author__name")
        .order_by("position"),
    )


def _logged_papers(items):
    """The logged items' papers, with journals and authors (three queries)."""
    return (
        Paper.objects.filter(pk__in=[item["paper"] for item in items])
        .select_related("journal")
        .defer(*LIST_DEFERRED)
        .prefetch_related(_authorships())
        .in_bulk()
    )


def _picks(user, items):
    """The user's best picks never emailed before (or, for a retry, the logged ones)."""
    if items is not None:
        items = [item for item in items if not item.get("alert")]
    if items is None:
        recommendations = list(
            Recommendation.objects.for_user(user)
            .exclude(paper__emailed_to__user=user)
            .prefetch_related(Prefetch("paper__authorships", queryset=_authorships().queryset))[
                : settings.DIGEST_MAX_PAPERS
            ]
        )
        rows = [(r.paper, r.reason_display) for r in recommendations]
    else:
        papers = _logged_papers(items)
        rows = [(papers[i["paper"]], i["reason"]) for i in items if i["paper"] in papers]
    return [_pick(user, paper, reason) for paper, reason in rows]


def _alerts(user, end, items):
    """New papers from what ``user`` follows, up to ``end``, each with its reason (or, for
    a retry, the logged ones). Not "not relevant": that link is about recommendations."""
    if items is None:
        rows = follows.alerts_for(user, until=end)
    else:
        items = [item for item in items if item.get("alert")]
        papers = _logged_papers(items)
        rows = [(papers[i["paper"]], i["reason"]) for i in items if i["paper"] in papers]
    return [_pick(user, paper, reason, not_relevant=False) for paper, reason in rows]


def _pick(user, paper, reason, *, not_relevant=True):
    names = [a.author.name for a in paper.authorships.all()]
    authors = ", ".join(names[:AUTHORS_SHOWN]) + (" et al." if len(names) > AUTHORS_SHOWN else "")
    if paper.rating_count >= settings.RATINGS_MIN_SHOWN and paper.rating_average is not None:
        rating = f"{paper.rating_average:.1f}/5 from {paper.rating_count} ratings"
    else:
        rating = "Not enough ratings"
    return Pick(
        paper_id=paper.pk,
        title=paper.title,
        authors=authors,
        journal=paper.journal.title if paper.journal else "",
        year=paper.published_year,
        rating=rating,
        reason=reason,
        url=settings.SITE_URL + paper.get_absolute_url(),
        not_relevant_url=not_relevant_url(user.pk, paper.pk) if not_relevant else "",
    )


def _paper_activity(user, start, end, *, with_requests):
    """New ratings (and requests) on the papers ``user`` is a verified author of. One query
    for a user who is nobody's verified author, three for an author."""
    paper_ids = list(
        Claim.objects.filter(user=user, status=Claim.Status.VERIFIED).values_list(
            "paper_id", flat=True
        )
    )
    if not paper_ids:
        return [], []
    ratings = list(
        Review.objects.filter(
            paper_id__in=paper_ids, is_hidden=False, created_at__gte=start, created_at__lt=end
        )
        .exclude(user=user)
        .select_related("paper", "user__profile")
        .defer(*(f"paper__{name}" for name in LIST_DEFERRED))
        .order_by("paper_id", "created_at")
    )
    requests = []
    if with_requests:
        requests = list(
            ResourceRequest.objects.filter(
                paper_id__in=paper_ids,
                is_hidden=False,
                created_at__gte=start,
                created_at__lt=end,
            )
            .select_related("paper", "requester__profile")
            .defer(*(f"paper__{name}" for name in LIST_DEFERRED))
            .order_by("paper_id", "created_at")
        )
    return ratings, requests


def _request_answers(user, start, end):
    answers = list(
        ResourceAnswer.objects.filter(
            request__requester=user,
            request__is_hidden=False,
            is_hidden=False,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(user=user)
        .select_related("request__paper", "user__profile")
        .order_by("created_at", "id")
    )
    changes = list(
        ResourceRequest.objects.filter(
            requester=user,
            is_hidden=False,
            status_changed_at__gte=start,
            status_changed_at__lt=end,
        )
        .select_related("paper")
        .order_by("status_changed_at", "id")
    )
    return answers, changes


def _claim_decisions(user, start, end):
    return list(
        ClaimDecision.objects.filter(
            claim__user=user,
            verdict__in=[ClaimDecision.Verdict.APPROVED, ClaimDecision.Verdict.REJECTED],
            decided_at__gte=start,
            decided_at__lt=end,
        )
        .select_related("claim__paper", "claim__authorship__author")
        .order_by("decided_at", "id")
    )


# --- render -----------------------------------------------------------------------------


def not_relevant_url(user_id, paper_id):
    """The signed one-click "not relevant" link of a recommended paper (no log-in)."""
    token = signing.make_token(signing.NOT_RELEVANT, {"u": user_id, "p": paper_id})
    return settings.SITE_URL + reverse("recommendations:not-relevant", args=[token])


def subject_of(content):
    """No user-written text in the subject: only counts (titles stay in the body)."""
    parts = []
    if content.picks:
        n = len(content.picks)
        parts.append(f"{n} recommended paper{'s' if n != 1 else ''}")
    if content.ratings or content.requests:
        parts.append("activity on your papers")
    if content.answers or content.status_changes:
        parts.append("news on your resource requests")
    if content.decisions:
        parts.append("claim decisions")
    if content.alerts:
        n = len(content.alerts)
        parts.append(f"{n} new paper{'s' if n != 1 else ''} from what you follow")
    return f"[{settings.SITE_NAME}] Your {content.period} digest: " + ", ".join(parts)


def message_for(content):
    """The digest as an email (text and HTML parts, unsubscribe headers); not sent."""
    context = {
        "user": content.user,
        "name": content.user.public_name,
        "period": content.period,
        "picks": content.picks,
        "ratings": content.ratings,
        "requests": content.requests,
        "answers": content.answers,
        "status_changes": content.status_changes,
        "decisions": content.decisions,
        "alerts": content.alerts,
        "follows_url": settings.SITE_URL + reverse("library:follows"),
        "site_url": settings.SITE_URL,
    }
    return emails.message_to(
        content.user,
        kinds=content.kinds,
        subject=subject_of(content),
        template=TEMPLATE,
        context=context,
    )


def preview(user, period):
    """A user's next ``period`` digest as it would go out now, for curators: (content,
    message), the message rendered but never sent; nothing is written."""
    user = user_for_digest(user.pk) or user
    content = collect(user, period)
    return content, (None if content.is_empty else message_for(content))


# --- send once --------------------------------------------------------------------------


def email_key(period, key):
    """The digest's key in the send log (accounts.SentEmail): "weekly:2026-W49"."""
    return f"{period}:{key}"


def send(user_id, period, key):
    """Send ``user_id`` their ``period`` digest for ``key``, at most once.

    Returns "sent", "empty" (nothing new: no email, no row), "skipped" (already sent or
    being sent, tries used up, or the user is gone). Raises DigestFailed when the backend
    fails; the send-log row then says "failed" with the error, and calling again retries
    it with the same content, until DIGEST_SEND_ATTEMPTS tries are used.

    One transaction claims the send (accounts.emails.claim_send) and writes the Digest and
    its EmailedPaper rows, so the papers recorded as emailed and the claim commit together
    (or neither); the message, rendered inside it, is handed to the backend after commit
    (accounts.emails.deliver). Call it outside a transaction (from a task or command).
    Queries: the claim (1 INSERT; a SELECT and an UPDATE more for a retry, which also reads
    its Digest), a handful to collect (see ``collect``), the Digest and EmailedPaper INSERTs,
    then one UPDATE with the outcome.
    """
    user = user_for_digest(user_id)
    if user is None:
        return "skipped"
    with transaction.atomic():
        row = emails.claim_send(
            kind=SentEmail.Kind.DIGEST,
            key=email_key(period, key),
            to=user,
            max_attempts=settings.DIGEST_SEND_ATTEMPTS,
        )
        if row is None:
            return "skipped"
        # A retry (a failed row taken again) says what the failed try said; a first claim
        # has no Digest yet.
        logged = Digest.objects.filter(email=row).first() if row.attempts > 1 else None
        if logged is not None:
            windows = {kind: datetime.fromisoformat(start) for kind, start in logged.kinds.items()}
            content = collect(
                user, period, end=logged.window_end, windows=windows, items=logged.items
            )
        else:
            content = collect(user, period)
            if content.is_empty:
                transaction.set_rollback(True)  # nothing to say: no claim, no row
                return "empty"
            if not _log(content, key, row):
                transaction.set_rollback(True)
                return "skipped"
        message = message_for(content)
    return _deliver(row, message)


def _log(content, key, row):
    """Insert the Digest row and its EmailedPaper rows for the claimed send-log ``row``;
    False when another run has already emailed one of its papers to the user (or logged
    this period's digest)."""
    windows = {kind: content.windows[kind] for kind in content.kinds}
    try:
        with transaction.atomic():
            digest = Digest.objects.create(
                user=content.user,
                period=content.period,
                period_key=key,
                kinds={kind: start.isoformat() for kind, start in windows.items()},
                window_start=min(windows.values()),
                window_end=content.end,
                items=[{"paper": p.paper_id, "reason": p.reason} for p in content.picks]
                + [
                    {"paper": a.paper_id, "reason": a.reason, "alert": True} for a in content.alerts
                ],
                email=row,
            )
            EmailedPaper.objects.bulk_create(
                EmailedPaper(user=content.user, paper_id=p.paper_id, digest=digest)
                for p in content.picks
            )
            if EmailKind.FOLLOW_ALERTS in content.windows:
                # The alerted papers are logged: each follow's next window starts here.
                follows.mark_alerted(content.user, content.end)
    except IntegrityError:
        return False
    return True


def _deliver(row, message):
    """Hand the digest to the backend (accounts.emails.deliver marks the send-log row);
    a refusal, or a backend that sent nothing, is DigestFailed for the caller to retry."""
    try:
        sent = emails.deliver(row, message)
    except Exception as error:
        raise DigestFailed(f"digest to user {row.recipient_id}: {error}") from error
    if not sent:
        raise DigestFailed(f"digest to user {row.recipient_id}: the email backend sent nothing")
    return "sent"


# --- "not relevant" ---------------------------------------------------------------------


def read_not_relevant(token):
    """(user_id, paper_id) from a "not relevant" token; BadToken / ExpiredToken otherwise."""
    value = signing.read_token(signing.NOT_RELEVANT, token)
    try:
        return int(value["u"]), int(value["p"])
    except (KeyError, TypeError, ValueError) as error:
        raise signing.BadToken("not a not-relevant token") from error


def dismiss(user_id, paper_id):
    """Record "not relevant" from an email link: the same as the button on the "For you"
    page (picks.dismiss: the pick goes, its neighbours are pushed away at the
    next refresh). Idempotent. Returns False when the user or paper no longer exists."""
    user = get_user_model().objects.filter(pk=user_id).first()
    paper = Paper.objects.filter(pk=paper_id).only("pk").first()
    if user is None or paper is None:
        return False
    picks.dismiss(user=user, paper=paper)
    return True


# --- tasks: ids in, one function called, done --------------------------------------------


@shared_task
def send_digests(period, key=None, after=0):
    """Beat (daily, weekly, monthly): enqueue one ``send_digest`` per user due, one batch of
    DIGEST_BATCH_SIZE users (ids above ``after``) per run; a run that fills its batch
    enqueues itself for the next one, so no run holds many ids or outlasts its time limit.
    Safe to run twice: users already sent this period's digest are not enqueued, and
    ``send_digest`` sends at most once anyway. Returns how many this run enqueued."""
    key = key or period_key(period)
    batch = list(users_due(period, key).filter(pk__gt=after)[: settings.DIGEST_BATCH_SIZE])
    for user_id in batch:
        send_digest.delay(user_id, period, key)
    if len(batch) == settings.DIGEST_BATCH_SIZE:
        send_digests.delay(period, key, batch[-1])
    return len(batch)


# rate_limit bounds how fast each worker hands digests to the email backend; a failed send
# is retried with backoff, and after the last try the send log keeps the error.
@shared_task(
    rate_limit=settings.DIGEST_RATE_LIMIT,
    autoretry_for=(DigestFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=settings.DIGEST_SEND_ATTEMPTS - 1,
)
def send_digest(user_id, period, key):
    """One user's digest for one period: sent at most once (see ``send``)."""
    return send(user_id, period, key)
