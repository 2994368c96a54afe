"""The nightly rebuild fanned out over two real `celery worker` processes on the real Redis:
each takes chunks of the papers, the last chunk finishes the run, the lists are the ones a
rebuild in one process computes, and everyone's picks are refreshed after it."""

import pytest

from papers.models import RebuildChunk, RecommendationRun
from papers.recommend import current_run, rebuild_related
from recommendations.models import Recommendation
from reviews.models import Review
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.papers.test_rebuild_chunks import import_everything, lists_of

pytestmark = pytest.mark.service


def test_two_workers_share_a_rebuild_and_compute_the_lists_one_process_does(
    start_worker, redis_url, settings
):
    papers = list(import_everything().values())
    reader = UserFactory(username="reader")
    Review.objects.create(user=reader, paper=papers[0], rating=5)
    expected = lists_of(rebuild_related())
    first = current_run()
    shared = {"queue": "test-rebuild-shared", "env": {"RELATED_REBUILD_CHUNK": "60"}}
    one = start_worker(broker_url=redis_url, **shared)
    two = start_worker(broker_url=redis_url, **shared)
    assert not Recommendation.objects.filter(user=reader).exists()

    one.send("recommendations.picks.rebuild_recommendations")
    run = wait_for(lambda: current_run() if current_run().pk != first.pk else None, timeout=120)

    assert run is not None, one.output() + two.output()
    assert RebuildChunk.objects.filter(run=run).count() == 10  # 598 papers, 60 a chunk
    assert "rank_related_chunk" in one.output() and "rank_related_chunk" in two.output()
    assert run.status == RecommendationRun.Status.FINISHED
    assert lists_of(run) == expected
    # The last chunk sent the picks refresh: the reader's picks come from the new lists.
    assert wait_for(lambda: Recommendation.objects.filter(user=reader).exists(), timeout=60), (
        one.output() + two.output()
    )
