"""Two real `celery worker` processes share the paper vectors through the database and the
index files through the storage: a paper one of them places is found by the other, and a
new index version built by one is loaded by the others."""

import pytest

from papers import vectors
from papers.models import RelatedPaper, VectorIndex
from tests.conftest import wait_for
from tests.papers.test_vectors import catalogue_without, closest_pair, import_sample

pytestmark = pytest.mark.service


def listed(paper):
    return [row.related_id for row in RelatedPaper.objects.for_paper(paper.pk)]


def test_a_paper_placed_by_one_worker_is_found_by_another(start_worker, redis_url):
    first, second = closest_pair()
    run = catalogue_without({first, second})
    papers = import_sample([first, second])
    one = start_worker(broker_url=redis_url)
    two = start_worker(broker_url=redis_url)

    one.send("papers.recommend.place_related_paper", papers[first].pk)
    assert wait_for(lambda: listed(papers[first]), timeout=60), one.output()
    # The second worker loaded the index before the first paper existed: it finds it in the
    # vectors table, written by the other process.
    two.send("papers.recommend.place_related_paper", papers[second].pk)
    assert wait_for(lambda: listed(papers[second]), timeout=60), two.output()

    assert papers[first].pk in listed(papers[second]), two.output()
    assert papers[second].pk in listed(papers[first])  # and it entered the first's list
    assert RelatedPaper.objects.current().filter(run=run).exists()


def test_an_index_version_built_by_a_worker_is_loaded_by_another_process(start_worker, redis_url):
    first, second = closest_pair()
    run = catalogue_without({first, second})
    papers = import_sample([first, second])
    held, ann = vectors.loaded_index(run.space)  # this process holds the rebuild's version
    assert papers[first].pk not in ann.get_ids_list()
    worker = start_worker(broker_url=redis_url)

    worker.send("papers.recommend.place_related_paper", papers[first].pk)
    assert wait_for(lambda: listed(papers[first]), timeout=60), worker.output()
    worker.send("papers.vectors.build_vector_index")
    newer = wait_for(lambda: VectorIndex.objects.filter(pk__gt=held.pk).first(), timeout=60)

    assert newer is not None, worker.output()
    loaded, ann = vectors.loaded_index(run.space)
    assert loaded.pk == newer.pk
    assert papers[first].pk in ann.get_ids_list()
