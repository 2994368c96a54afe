"""Celery tasks of the catalogue: ids in, one function of papers.metadata called, done."""

from celery import shared_task
from django.conf import settings

from papers import metadata, recommend


@shared_task(bind=True, max_retries=None)
def fetch_metadata(self, paper_id):
    """Fetch and store one paper's metadata. Safe to run twice or concurrently.

    Transient faults (timeouts, 429, 5xx) retry with backoff until METADATA_MAX_ATTEMPTS;
    ``fetch_and_store`` counts the tries and records the outcome on the paper.
    """
    try:
        return metadata.fetch_and_store(paper_id, attempt=self.request.retries + 1)
    except metadata.RetryLater as retry:
        raise self.retry(countdown=retry.delay) from retry


@shared_task
def refresh_due_metadata():
    """Beat: enqueue a fetch for each paper whose metadata is due, in one bounded batch."""
    due = metadata.papers_due_for_refresh(limit=settings.METADATA_REFRESH_BATCH)
    return metadata.request_refresh(due)


@shared_task
def place_related_paper(paper_id):
    """A paper was added or its content changed: its own list, and its place in others'."""
    return recommend.place_paper(paper_id)
