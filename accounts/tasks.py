"""Celery tasks of the accounts app: ids in, one function called, done."""

from celery import shared_task
from django.conf import settings

from accounts import digests, picks
from papers import recommend

# The claim-decision email's task is beside its function: accounts.emails.send_claim_decision.


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


@shared_task
def send_digests(period, key=None, after=0):
    """Beat (daily, weekly, monthly): enqueue one ``send_digest`` per user due, one batch of
    DIGEST_BATCH_SIZE users (ids above ``after``) per run; a run that fills its batch
    enqueues itself for the next one, so no run holds many ids or outlasts its time limit.
    Safe to run twice: users already sent this period's digest are not enqueued, and
    ``send_digest`` sends at most once anyway. Returns how many this run enqueued."""
    key = key or digests.period_key(period)
    batch = list(digests.users_due(period, key).filter(pk__gt=after)[: settings.DIGEST_BATCH_SIZE])
    for user_id in batch:
        send_digest.delay(user_id, period, key)
    if len(batch) == settings.DIGEST_BATCH_SIZE:
        send_digests.delay(period, key, batch[-1])
    return len(batch)


# rate_limit bounds how fast each worker hands digests to the email backend; a failed send
# is retried with backoff, and after the last try the send log keeps the error.
@shared_task(
    rate_limit=settings.DIGEST_RATE_LIMIT,
    autoretry_for=(digests.DigestFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=settings.DIGEST_SEND_ATTEMPTS - 1,
)
def send_digest(user_id, period, key):
    """One user's digest for one period: sent at most once (see digests.send_digest)."""
    return digests.send_digest(user_id, period, key)
