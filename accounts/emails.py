"""Emails of the accounts app, each from a .txt + .html template pair, and ``message_to``:
how every email the portal sends to a user is built (one-line subject, unsubscribe
headers and footer)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import unsubscribe
from accounts.models import ClaimDecision, EmailKind

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
    context = {**context, **unsubscribe.footer_context(user.pk, kinds)}
    message = EmailMultiAlternatives(
        subject=one_line(subject),
        body=render_to_string(f"{template}.txt", context),
        to=[user.email],
        headers=unsubscribe.headers(user.pk, kinds),
    )
    if html:
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def send_claim_decision(decision_id):
    """Tell the claimant that a curator approved or rejected their claim, and why.

    Takes an id (the task runs it after the decision's transaction commits). Safe to run
    twice or concurrently: the decision's ``emailed_at`` is claimed first with an optimistic
    update, and released again if sending fails (so that a retry sends). Returns the number
    of messages sent: 0 when already sent, or the decision or the user's address is gone.
    """
    claimed = ClaimDecision.objects.filter(
        pk=decision_id,
        emailed_at__isnull=True,
        verdict__in=[ClaimDecision.Verdict.APPROVED, ClaimDecision.Verdict.REJECTED],
    ).update(emailed_at=timezone.now())
    if not claimed:
        return 0
    try:
        return _send_claim_decision(decision_id)
    except Exception:
        ClaimDecision.objects.filter(pk=decision_id).update(emailed_at=None)
        raise


def _send_claim_decision(decision_id):
    decision = (
        ClaimDecision.objects.select_related("claim__user__profile", "claim__paper")
        .select_related("claim__authorship")
        .select_related("claim__authorship__author")
        .filter(pk=decision_id)
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
    return message.send()
