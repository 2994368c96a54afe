"""A rebuild cut into chunks (papers.recommend): each chunk's candidates come from the
nearest-neighbour index and are scored exactly, any number of chunks gives the same lists,
a chunk run twice is written once, and the last chunk finishes the run. On the real arXiv
listings of tests/fixtures/arxiv (598 papers: enough for topics, so the index is used)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from papers.models import PaperVector, RebuildChunk, RecommendationRun, RelatedPaper
from papers.recommend import (
    CANDIDATES,
    current_run,
    load_documents,
    rank_chunk,
    rebuild_related,
    start_rebuild,
)
from papers.similarity import ContentIndex
from tests.factories import PaperFactory
from tests.papers.test_similarity import listings
from tests.papers.test_vectors import import_sample

pytestmark = pytest.mark.django_db


def lists_of(run):
    rows = RelatedPaper.objects.filter(run=run).order_by("paper_id", "rank")
    lists = {}
    for paper_id, related_id, reason in rows.values_list("paper_id", "related_id", "reason"):
        lists.setdefault(paper_id, []).append((related_id, reason))
    return lists


def import_everything():
    return import_sample(range(1, len(listings()) + 1))


def test_any_number_of_chunks_gives_the_same_lists(settings):
    import_everything()
    settings.RELATED_REBUILD_CHUNK = 100_000
    whole = rebuild_related()
    expected = lists_of(whole)
    settings.RELATED_REBUILD_CHUNK = 70

    cut = rebuild_related()

    assert cut.chunks.count() == 9  # 598 papers, 70 a chunk
    assert cut.paper_count == whole.paper_count == len(listings())
    lists = lists_of(cut)
    assert len(lists) == len(listings())
    assert lists == expected
    assert cut.row_count == sum(len(entries) for entries in lists.values())


def test_the_index_candidates_give_the_lists_exact_candidates_give():
    papers = import_everything()
    run = rebuild_related()
    # The same fit, its candidates found by comparing every pair (what a rebuild did before
    # it used the index): the content neighbours of each list must be nearly all the same.
    exact = dict(ContentIndex.fit(load_documents()).neighbours(k=CANDIDATES))
    lists = lists_of(run)
    found = wanted = 0
    for paper in papers.values():
        content = [o for o, reason in lists[paper.pk] if reason == RelatedPaper.Reason.CONTENT]
        wanted += len(content)
        found += len(set(content) & {o for o, _score in exact[paper.pk]})

    assert wanted > len(papers)  # real content lists, not cold-start fillers
    assert found / wanted >= 0.95


def test_a_chunk_computed_twice_is_written_once_and_the_last_chunk_finishes_the_run(settings):
    import_everything()
    settings.RELATED_REBUILD_CHUNK = 300
    run = start_rebuild()
    first, second = run.chunks.order_by("number")

    assert rank_chunk(run.pk, first.number) is False  # one chunk to go
    written = RelatedPaper.objects.filter(run=run).count()
    assert rank_chunk(run.pk, first.number) is False  # a redelivered task: nothing to do
    assert RelatedPaper.objects.filter(run=run).count() == written
    assert current_run() is None  # pages see no half-made run

    assert rank_chunk(run.pk, second.number) is True
    assert rank_chunk(run.pk, second.number) is False
    run.refresh_from_db()
    assert run.status == RecommendationRun.Status.FINISHED
    assert current_run().pk == run.pk
    assert run.row_count == RelatedPaper.objects.filter(run=run).count() > written
    assert set(lists_of(run)) == {p.pk for p in import_everything().values()}


def test_a_chunk_of_a_failed_run_writes_nothing(settings):
    import_everything()
    settings.RELATED_REBUILD_CHUNK = 300
    run = start_rebuild()
    RecommendationRun.objects.filter(pk=run.pk).update(status=RecommendationRun.Status.FAILED)

    assert rank_chunk(run.pk, 0) is False
    assert not RelatedPaper.objects.filter(run=run).exists()
    assert not RebuildChunk.objects.filter(run=run, finished_at__isnull=False).exists()


def test_beyond_the_fit_sample_the_topics_are_learnt_from_a_sample_and_every_paper_placed(
    settings,
):
    papers = import_everything()
    whole = lists_of(rebuild_related())
    settings.RELATED_FIT_SAMPLE = 300  # every second paper of the 598

    run = rebuild_related()

    assert PaperVector.objects.filter(space=run.space).count() == len(papers)
    sampled = lists_of(run)
    assert set(sampled) == {paper.pk for paper in papers.values()}
    # As good at finding papers of the same primary arXiv category (which the recommender
    # never sees) as a fit on every paper, within a few points.
    primary = {paper.pk: listings()[n - 1]["categories"][0] for n, paper in papers.items()}
    assert same_primary(sampled, primary) >= same_primary(whole, primary) - 0.05


def same_primary(lists, primary):
    content = RelatedPaper.Reason.CONTENT
    pairs = [(p, o) for p, entries in lists.items() for o, reason in entries if reason == content]
    return sum(primary[p] == primary[o] for p, o in pairs) / len(pairs)


def test_a_run_whose_chunks_were_lost_is_failed_by_a_later_rebuild_and_its_vectors_dropped(
    settings,
):
    for n in range(6):
        PaperFactory(title=f"Graph networks for molecules, part {n}")
    settings.RELATED_REBUILD_CHUNK = 2
    lost = start_rebuild()  # prepared, its chunk tasks never delivered
    recent = start_rebuild()
    hours = settings.RELATED_RUN_ABANDONED_AFTER_HOURS
    long_ago = timezone.now() - timedelta(hours=hours, minutes=1)
    RecommendationRun.objects.filter(pk=lost.pk).update(started_at=long_ago)
    assert PaperVector.objects.filter(space=lost.space).count() == 6

    done = rebuild_related()

    assert not RecommendationRun.objects.filter(pk=lost.pk).exists()  # failed, then dropped
    assert not PaperVector.objects.filter(space_id=lost.space_id).exists()
    recent.refresh_from_db()
    assert recent.status == RecommendationRun.Status.RUNNING  # it may still finish
    assert PaperVector.objects.filter(space=recent.space).count() == 6
    assert current_run() == done
    # A chunk task of the lost run delivered late writes nothing.
    assert rank_chunk(lost.pk, 0) is False
    assert not RelatedPaper.objects.filter(run_id=lost.pk).exists()


def test_an_abandoned_run_is_marked_failed_with_the_reason(settings):
    PaperFactory(title="Graph networks for molecules")
    PaperFactory(title="Graph networks for proteins")
    run = start_rebuild()
    hours = settings.RELATED_RUN_ABANDONED_AFTER_HOURS
    RecommendationRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(hours=hours, minutes=1)
    )
    fresh = start_rebuild()

    run.refresh_from_db()
    assert run.status == RecommendationRun.Status.FAILED
    assert f"abandoned: still running {hours} h after it started" in run.error
    assert RecommendationRun.objects.get(pk=fresh.pk).status == RecommendationRun.Status.RUNNING


def test_a_rebuild_has_the_planner_count_the_new_spaces_vectors(settings):
    """Without it the planner took a new space for a rare one until autovacuum came by, and
    read a chunk's candidates by filtering the whole space (10-15 s a query at 1M)."""
    for n in range(4):
        PaperFactory(title=f"Graph networks for molecules, part {n}")
    run = start_rebuild()

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'papers_papervector'::regclass"
            )
        else:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'papers_papervector'")
        counted = cursor.fetchone()
    assert counted is not None
    stored = PaperVector.objects.count()
    assert stored == 4 and PaperVector.objects.filter(space=run.space).count() == 4
    if connection.vendor == "postgresql":
        assert counted[0] == stored
    else:
        assert int(str(counted[0]).split()[0]) == stored  # "rows rows-per-key..."
