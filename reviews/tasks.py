"""Celery tasks of the reviews app: ids in, one function called, done.

The email tasks are beside the functions they run, in reviews.notifications and
reviews.resources (portal.celery has the worker import those modules).
"""

from celery import shared_task

from reviews import ratings


@shared_task
def recompute_ratings():
    """Nightly (beat): every rating summary rebuilt from its reviews, and every score
    re-computed against the catalogue mean of now. Returns how many papers were visited."""
    paper_ids = ratings.papers_with_ratings()
    ratings.recompute_all(paper_ids)
    return len(paper_ids)
