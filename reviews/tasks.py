"""Celery tasks of the reviews app: ids in, one function called, done."""

import smtplib

from celery import shared_task

from reviews import notifications


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=6,
)
def tell_raters_of_retraction(paper_id):
    """Email the readers who rated a newly retracted paper. Safe to run twice."""
    return notifications.tell_raters_of_retraction(paper_id)
