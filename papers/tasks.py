"""Celery tasks of the catalogue: ids in, one function of papers.metadata called, done."""

from celery import shared_task
from django.conf import settings

from papers import metadata, recommend


@shared_task
def fetch_metadata(paper_id):
    """Fetch and store one paper's metadata. Safe to run twice or concurrently.

    Never retried through the broker: after a transient fault the paper holds the time of
    its next try, and ``refresh_due_metadata`` enqueues it then (see papers.metadata).
    """
    return metadata.fetch_and_store(paper_id)


@shared_task
def refresh_due_metadata():
    """Beat (every minute): enqueue a fetch for each paper due, in one bounded batch."""
    return metadata.enqueue_due(limit=settings.METADATA_REFRESH_BATCH)


@shared_task
def place_related_paper(paper_id):
    """A paper was added or its content changed: its own list, and its place in others'."""
    return recommend.place_paper(paper_id)
