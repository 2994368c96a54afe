"""Celery tasks of the reviews app: ids in, one function called, done.

Each email about a resource request, and the retraction notice to raters, goes out from a
worker once the change is committed.
"""

import smtplib

from celery import shared_task

from reviews import notifications, resources

# A retry's countdown waits in the broker, and Redis hands a message still unacknowledged
# after its visibility timeout (the hard time limit + 60 s) to a second worker: both copies
# would run. tell_asker_* keep no send log, so their waits stay under five minutes.
RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 60,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(**RETRY)
def tell_raters_of_retraction(paper_id):
    """Email the readers who rated a newly retracted paper. Safe to run twice."""
    return notifications.tell_raters_of_retraction(paper_id)


@shared_task(**RETRY)
def tell_authors_of_request(request_id):
    """Email the paper's verified authors of a new request (once; see resources)."""
    return resources.tell_authors_of_request(request_id)


@shared_task(**RETRY)
def tell_new_author_of_waiting_requests(user_id, paper_id):
    """A claim was verified: tell its author of the requests that waited (once)."""
    return resources.tell_new_author_of_waiting_requests(user_id=user_id, paper_id=paper_id)


@shared_task(**RETRY)
def tell_asker_answered(answer_id):
    notifications.tell_asker_answered(answer_id)


@shared_task(**RETRY)
def tell_asker_status(request_id):
    notifications.tell_asker_status(request_id)
