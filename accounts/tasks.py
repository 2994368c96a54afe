"""Celery tasks of the accounts app: ids in, one function called, done."""

import smtplib

from celery import shared_task

from accounts import emails, picks
from papers import recommend


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=6,
)
def send_claim_decision_email(decision_id):
    """Email the claimant about a curator's decision. Safe to run twice (sends once)."""
    return emails.send_claim_decision(decision_id)


@shared_task
def refresh_user_picks(user_id):
    """One user's personal recommendations, after they rated or dismissed. Idempotent."""
    return picks.refresh_picks(user_id)


@shared_task(soft_time_limit=3000, time_limit=3600)
def rebuild_recommendations():
    """Beat (nightly): every related-papers list, with the readers' co-ratings blended in,
    then one refresh task per user (fanned out, so that any worker takes a share)."""
    from reviews.ratings import co_rated_pairs  # reviews.ratings imports accounts.claims

    run = recommend.rebuild_related(co_rated=co_rated_pairs())
    users = list(picks.users_to_refresh())
    for user_id in users:
        refresh_user_picks.delay(user_id)
    return {"papers": run.paper_count, "rows": run.row_count, "users": len(users)}
