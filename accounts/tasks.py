"""Celery tasks of the accounts app: ids in, one function called, done."""

import smtplib

from celery import shared_task

from accounts import emails


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=6,
)
def send_claim_decision_email(decision_id):
    """Email the claimant about a curator's decision. Safe to run twice (sends once)."""
    return emails.send_claim_decision(decision_id)
