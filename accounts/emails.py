"""Emails of the accounts app, each from a .txt + .html template pair."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import ClaimDecision


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
        ClaimDecision.objects.select_related("claim__user", "claim__paper", "claim__authorship")
        .select_related("claim__authorship__author")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None or not decision.claim.user.email:
        return 0
    claim = decision.claim
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
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] Your author claim was {verdict}",
        body=render_to_string("accounts/emails/claim_decided.txt", context),
        to=[claim.user.email],
    )
    message.attach_alternative(
        render_to_string("accounts/emails/claim_decided.html", context), "text/html"
    )
    return message.send()
