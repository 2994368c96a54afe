"""Fifty readers rating one paper at the same moment, each on their own database connection:
the stored summary must equal a fresh aggregate of the reviews afterwards."""

import threading

import pytest
from django.db import connection

from papers.models import Paper
from reviews import ratings
from reviews.models import RatingSummary, Review
from tests.factories import PaperFactory, UserFactory

RATERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_raters_leave_an_exact_summary():
    paper = PaperFactory()
    users = [UserFactory() for _ in range(RATERS)]
    start = threading.Barrier(RATERS)
    errors = []

    def rate(index):
        try:
            start.wait()
            ratings.submit_review(
                user=users[index],
                paper=paper,
                rating=1 + index % 5,
                novelty=1 + index % 3 if index % 2 else None,
            )
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(repr(error))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=rate, args=(i,)) for i in range(RATERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert Review.objects.filter(paper=paper).count() == RATERS
    summary = RatingSummary.objects.get(paper=paper)
    fresh = ratings.fresh_aggregate(paper.pk)
    assert {name: getattr(summary, name) for name in fresh} == fresh
    assert summary.count == RATERS
    assert summary.total == sum(1 + i % 5 for i in range(RATERS))
    paper = Paper.objects.get(pk=paper.pk)
    assert paper.rating_count == RATERS
    assert float(paper.rating_average) == pytest.approx(summary.total / RATERS, abs=0.005)
