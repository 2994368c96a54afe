"""papers.vectors: the stored vectors, the nearest-neighbour index and its versions, on the
real arXiv listings of tests/fixtures/arxiv (598 papers: enough for topics, so placements
go through the index)."""

import numpy as np
import pytest
from django.core.files.storage import default_storage

from papers import vectors
from papers.arxiv import import_listings
from papers.ingest import ImportReport
from papers.models import Paper, PaperVector, RelatedPaper, VectorIndex
from papers.recommend import current_run, place_paper, rebuild_related
from tests.papers.test_similarity import fitted, listings

K = 10


def test_the_index_finds_at_least_95_percent_of_the_exact_ten_nearest():
    index = fitted()
    ann = vectors.build_ann(index.ids, index.dense)
    exact = index.dense @ index.dense.T
    found = wanted = 0
    for row, paper_id in enumerate(index.ids):
        ids, _scores = vectors.search_ann(ann, index.dense[row], K + 1)
        truth = [index.ids[c] for c in np.argsort(-exact[row], kind="stable") if c != row][:K]
        found += len(set(truth) & {i for i in ids if i != paper_id})
        wanted += K

    assert found / wanted >= 0.95


def closest_pair():
    """The two papers of the sample closest to each other (by the recommender, on the
    fixture alone): each is expected in the other's list when both are placed."""
    pairs = [(score, p, o) for p, best in fitted().neighbours(1) for o, score in best]
    _score, paper_id, other = max(pairs)
    return sorted([paper_id, other])


def import_sample(numbers):
    """Import these lines (1-based) of the sample through the bulk arXiv path; their
    Papers by line number."""
    records = [listings()[n - 1] for n in numbers]
    import_listings(records, report=ImportReport())
    by_doi = {paper.doi: paper for paper in Paper.objects.all()}
    return {n: by_doi[f"10.48550/arxiv.{listings()[n - 1]['id']}".lower()] for n in numbers}


def catalogue_without(held_back):
    numbers = [n for n in range(1, len(listings()) + 1) if n not in held_back]
    import_sample(numbers)
    return rebuild_related()


@pytest.mark.django_db
def test_a_rebuild_stores_every_vector_the_model_and_one_index_version():
    run = catalogue_without(set())
    space = run.space

    assert PaperVector.objects.filter(space=space).count() == Paper.objects.count()
    row = PaperVector.objects.filter(space=space).first()
    assert len(bytes(row.dense)) == 4 * space.dimensions  # float32
    built = VectorIndex.objects.get(space=space)
    assert built.paper_count == Paper.objects.count()
    assert default_storage.exists(space.file) and default_storage.exists(built.file)
    with default_storage.open(space.file, "rb") as file:
        assert file.read(4) == b"PK\x03\x04"  # a NumPy archive, not a pickle


@pytest.mark.django_db
def test_a_placed_paper_is_found_beside_the_index_until_the_next_build_takes_it_in():
    first, second = closest_pair()
    run = catalogue_without({first, second})
    built = VectorIndex.objects.get(space=run.space)
    papers = import_sample([first, second])

    place_paper(papers[first].pk)  # not in the index file: searched exactly beside it
    place_paper(papers[second].pk)

    assert papers[first] in [r.related for r in RelatedPaper.objects.for_paper(papers[second].pk)]
    assert papers[second] in [r.related for r in RelatedPaper.objects.for_paper(papers[first].pk)]

    newer = VectorIndex.objects.get(pk=vectors.build_vector_index.apply().result)
    assert newer.pk > built.pk and newer.paper_count == built.paper_count + 2
    assert not VectorIndex.objects.filter(pk=built.pk).exists()
    assert not default_storage.exists(built.file)
    # The new version holds them: a changed paper's fresh vector still wins over it.
    _row, ann = vectors.loaded_index(run.space)
    assert {papers[first].pk, papers[second].pk} <= set(ann.get_ids_list())


@pytest.mark.django_db
def test_a_second_rebuild_replaces_the_space_and_deletes_the_old_files():
    first = catalogue_without(set())
    old_space, old_files = (
        first.space,
        [first.space.file, *first.space.indexes.values_list("file", flat=True)],
    )

    second = rebuild_related()

    assert second.space_id != old_space.pk
    assert current_run().space_id == second.space_id
    assert not PaperVector.objects.filter(space_id=old_space.pk).exists()
    assert not any(default_storage.exists(name) for name in old_files)
