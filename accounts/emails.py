"""How the portal emails a user: ``message_to`` builds every message (one-line subject,
unsubscribe headers and footer), ``send_once`` sends each at most once (a send-log row
written before it goes out; ``claim_send`` and ``deliver`` are its two steps, for the
digests, which claim inside their own transaction); and the emails of the accounts app,
each from a .txt + .html template pair, with their tasks."""

import contextlib
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import unsubscribe
from accounts.models import ClaimDecision, EmailKind, SentEmail

SUBJECT_MAX_LENGTH = 200


def one_line(text, limit=SUBJECT_MAX_LENGTH):
    """``text`` made safe for a header such as the Subject: every run of whitespace,
    newlines included, becomes one space (Django would refuse a newline with
    BadHeaderError, and a title must not be able to break the message), then cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wants_at_once(user, kind):
    """Whether ``user`` wants ``kind`` of email as it happens ("at once" in the preference
    centre). A user without a profile has the defaults. May query the profile once."""
    profile = getattr(user, "profile", None)
    return profile is None or profile.wants_at_once(kind)


def message_to(user, *, kinds, subject, template, context, html=True):
    """An email to ``user`` from ``template``.txt (and ``template``.html when ``html``).

    Every email to a user goes through here, so each carries the List-Unsubscribe and
    List-Unsubscribe-Post headers (RFC 8058) and, in its footer (the templates include
    ``accounts/emails/_footer``), the same unsubscribe link and the preferences link.
    ``kinds`` are the EmailKind values unsubscribing stops. Renders; sends nothing.
    """
    # One token for the header and the footer: signed twice, a second apart, they differ.
    url = unsubscribe.unsubscribe_url(user.pk, kinds)
    context = {**context, **unsubscribe.footer_context(url, kinds)}
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"{template}.txt", context),
        to=[user.email],
        headers=unsubscribe.headers(url),
    )
    if html:
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


# A task that sends email retries transient faults (a refused connection, an SMTP error)
# with backoff. A retry's countdown waits in the broker, and Redis hands a message still
# unacknowledged after its visibility timeout (the hard time limit + 60 s) to a second
# worker, so the waits stay under five minutes; a second copy would find the send log anyway.
RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 60,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


def send_once(*, kind, key, to, message):
    """Send ``message`` to the user ``to`` unless the email (``kind``, ``key``) has already
    been sent to them, or is being sent. Returns True when this call sent it, else False.

    ``claim_send`` then ``deliver``, the claim committed on its own before the message goes
    out: its unique (kind, key, recipient) decides between two calls at the same moment, in
    threads or processes: exactly one sends. So call it outside a transaction (from a
    task), or a rollback would forget a message that went out. A caller that must write
    rows together with the claim (the digest records which papers it emailed) calls
    ``claim_send`` inside its own transaction and ``deliver`` after it commits.
    Queries: one INSERT (with a SELECT and an UPDATE when the row exists), one UPDATE.
    """
    row = claim_send(kind=kind, key=key, to=to)  # outside a transaction: committed at once
    if row is None:
        return False
    return deliver(row, message)


def claim_send(*, kind, key, to, max_attempts=None):
    """Claim the email (``kind``, ``key``) to the user ``to``: the send-log row (SentEmail)
    this caller now owns, status "sending", or None when someone else owns it.

    The row is new, or a "failed" one taken for a retry (its ``attempts`` counted up) by an
    optimistic update, so that of two retries at the same moment one wins. None when the
    email was sent, is being sent (or a worker died sending it: at most once), or failed
    ``max_attempts`` times already (None: no limit). Writes inside the caller's transaction
    (a savepoint for the INSERT): the claim holds only once that transaction commits, and
    a rollback forgets it, with whatever the caller wrote beside it. Deliver after commit.
    """
    try:
        with transaction.atomic():
            return SentEmail.objects.create(kind=kind, key=key, recipient=to)
    except IntegrityError:
        pass  # logged before: sent, being sent, or failed
    row = SentEmail.objects.get(kind=kind, key=key, recipient=to)
    if row.status != SentEmail.Status.FAILED:
        return None
    if max_attempts is not None and row.attempts >= max_attempts:
        return None
    taken = SentEmail.objects.filter(pk=row.pk, status=SentEmail.Status.FAILED).update(
        status=SentEmail.Status.SENDING, attempts=F("attempts") + 1, error=""
    )
    if not taken:
        return None
    row.status, row.attempts, row.error = SentEmail.Status.SENDING, row.attempts + 1, ""
    return row


def deliver(row, message):
    """Hand ``message`` to the email backend for the claimed send-log ``row`` (from
    ``claim_send``, committed) and record the outcome on the row. Returns True when the
    backend took it, False when it sent nothing without an error (no recipient).

    When the email backend raises, the row is marked "failed" with the error and the error
    raised again: the task's retry claims the failed row again and sends. A backend that
    raises is taken to have sent nothing (an SMTP server refuses before it accepts). The
    row is marked "sent" as soon as the backend has accepted the message, before the
    connection is closed, so a fault in closing cannot make a sent message look failed. A
    worker that dies between the claim and the mark leaves the row "sending", and nothing
    sends it again: at most once. Queries: one UPDATE.
    """
    connection = get_connection()
    try:
        connection.open()
        sent = connection.send_messages([message])
    except Exception as error:
        _mark(row, status=SentEmail.Status.FAILED, error=f"{type(error).__name__}: {error}")
        with contextlib.suppress(Exception):
            connection.close()
        raise
    if not sent:  # the backend dropped it without an error (no recipient): nothing went out
        _mark(row, status=SentEmail.Status.FAILED, error="The email backend sent nothing.")
        return False
    _mark(row, status=SentEmail.Status.SENT, sent_at=timezone.now())
    with contextlib.suppress(Exception):  # the message is out; a failing QUIT changes nothing
        connection.close()
    return True


def _mark(row, *, status, error="", sent_at=None):
    SentEmail.objects.filter(pk=row.pk).update(status=status, error=error[:2000], sent_at=sent_at)
    row.status, row.error, row.sent_at = status, error[:2000], sent_at


@shared_task(**RETRY)
def send_claim_decision(decision_id):
    """Tell the claimant that a curator approved or rejected their claim, and why.

    A task (``send_claim_decision.delay_on_commit(decision.pk)``), also called directly.
    Sends once however often it runs (``send_once``). Returns the number of messages sent:
    0 when already sent, when the decision was an ORCID verification, when the decision or
    the user's address is gone, or when the claimant takes decisions in their digest.
    """
    decision = (
        ClaimDecision.objects.select_related("claim__user__profile", "claim__paper")
        .select_related("claim__authorship")
        .select_related("claim__authorship__author")
        .filter(
            pk=decision_id,
            verdict__in=[ClaimDecision.Verdict.APPROVED, ClaimDecision.Verdict.REJECTED],
        )
        .first()
    )
    if decision is None or not decision.claim.user.email:
        return 0
    claim = decision.claim
    if not wants_at_once(claim.user, EmailKind.CLAIM_DECISIONS):
        return 0  # daily/weekly/monthly: the digest carries it (accounts.digests); off: never
    context = {
        "user": claim.user,
        "decision": decision,
        "approved": decision.verdict == ClaimDecision.Verdict.APPROVED,
        "author_name": claim.authorship.author.name,
        "paper": claim.paper,
        "paper_url": settings.SITE_URL + claim.paper.get_absolute_url(),
        "profile_url": settings.SITE_URL + claim.user.profile.get_absolute_url(),
        "site_name": settings.SITE_NAME,
    }
    verdict = "approved" if context["approved"] else "not approved"
    message = message_to(
        claim.user,
        kinds=[EmailKind.CLAIM_DECISIONS],
        subject=f"[{settings.SITE_NAME}] Your author claim was {verdict}",
        template="accounts/emails/claim_decided",
        context=context,
    )
    sent = send_once(
        kind=SentEmail.Kind.CLAIM_DECISION, key=str(decision.pk), to=claim.user, message=message
    )
    return int(sent)
