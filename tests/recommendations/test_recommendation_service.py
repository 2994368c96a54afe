"""A real `celery worker` on the real Redis computes the recommendation lists after papers
are imported, as the nightly beat task and the import's placement task do in production."""

import pytest

from papers.models import RecommendationRun, RelatedPaper
from papers.recommend import current_run
from recommendations.models import Recommendation
from reviews.models import Review
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.papers.test_recommend import BLOGS, NEWSLETTER, import_all
from tests.records import import_record

pytestmark = pytest.mark.service


def test_a_worker_builds_every_list_and_the_users_picks(start_worker, redis_url):
    papers = import_all()
    reader = UserFactory(username="reader")
    Review.objects.create(user=reader, paper=papers[BLOGS], rating=5)
    worker = start_worker(broker_url=redis_url)

    worker.send("recommendations.picks.rebuild_recommendations")
    assert wait_for(current_run, timeout=60), worker.output()
    worker.send("recommendations.picks.refresh_user_picks", reader.pk)
    first = wait_for(lambda: Recommendation.objects.for_user(reader).first(), timeout=30)

    assert first is not None, worker.output()
    assert first.paper == papers[NEWSLETTER]
    run = current_run()
    assert run.paper_count == len(papers)
    assert RelatedPaper.objects.filter(run=run, paper=papers[BLOGS]).exists()


def test_a_worker_places_a_paper_imported_after_the_rebuild(start_worker, redis_url):
    papers = import_all()
    papers.pop(BLOGS).delete()
    worker = start_worker(broker_url=redis_url)
    worker.send("recommendations.picks.rebuild_recommendations")
    assert wait_for(current_run, timeout=60), worker.output()

    blogs = import_record(BLOGS)
    worker.send("papers.recommend.place_related_paper", blogs.pk)
    placed = wait_for(
        lambda: RelatedPaper.objects.current().filter(paper=blogs).exists(), timeout=30
    )

    assert placed, worker.output()
    assert RelatedPaper.objects.current().filter(paper=papers[NEWSLETTER], related=blogs).exists()
    assert RecommendationRun.objects.count() == 1  # placed into the run, not a new one
