"""papers.similarity on real arXiv listings.

tests/fixtures/arxiv/listings_sample.jsonl.gz holds every 125th line of the corpus
../shared/data/corpus/arxiv_cs_listings_74k.jsonl.gz (598 real papers: titles, abstracts,
authors, categories; see tests/fixtures/arxiv/README.md). The recommender is shown titles,
abstracts and authors only, and judged by the categories it did not see.
"""

import gzip
import io
import json
import zlib
from collections import Counter
from dataclasses import replace
from functools import cache

import numpy as np
import pytest

from papers.similarity import (
    CLOSE_EMBEDDING_COSINE,
    CLOSE_WORD_COSINE,
    VAGUE_WORDS,
    ContentIndex,
    Document,
    IndexFormatError,
    repeated_columns,
)
from tests.conftest import ROOT

LISTINGS = ROOT / "tests" / "fixtures" / "arxiv" / "listings_sample.jsonl.gz"


@cache
def listings():
    with gzip.open(LISTINGS, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def document(number, record, *, categories=False):
    return Document(
        paper_id=number,
        title=record["title"],
        abstract=record["summary"],
        # Author keys as the catalogue gives them: one key per distinct name here.
        authors=tuple(record["authors"]),
        categories=tuple(record["categories"]) if categories else (),
    )


@cache
def documents():
    return tuple(document(n, r) for n, r in enumerate(listings(), 1))


@cache
def fitted():
    return ContentIndex.fit(documents())


@cache
def fitted_lists():
    return dict(fitted().neighbours(10))


def primary(paper_id):
    return listings()[paper_id - 1]["categories"][0]


def test_neighbours_share_the_papers_primary_category_far_more_often_than_chance():
    lists = fitted_lists()
    counts = Counter(primary(n) for n in range(1, len(listings()) + 1))
    total = sum(counts.values())
    # The chance that a random other paper has the same primary category (~0.33 here).
    chance = sum(c * c for c in counts.values()) / total**2
    shared = [primary(o) == primary(p) for p, best in lists.items() for o, _ in best]

    assert sum(shared) / len(shared) > 1.6 * chance


def test_every_paper_gets_ten_neighbours_best_first_never_itself():
    lists = fitted_lists()

    assert set(lists) == {d.paper_id for d in documents()}
    for paper_id, best in lists.items():
        assert len(best) == 10
        assert paper_id not in [other for other, _ in best]
        assert len({other for other, _ in best}) == 10
        scores = [score for _, score in best]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < score <= 1 for score in scores)


def test_a_paper_placed_after_the_fit_finds_the_neighbours_it_would_have_had_in_it():
    everything = documents()
    overlaps = []
    for left_out in everything[::150]:
        index = ContentIndex.fit([d for d in everything if d is not left_out])
        placed = {other for other, _ in index.place(left_out)}
        fitted_list = {other for other, _ in fitted_lists()[left_out.paper_id]}
        overlaps.append(len(placed & fitted_list))

    # Vocabulary and topics were learnt without the paper (from 597 papers, so the topics
    # move a little): most of the ten stay, none of the lists is unrelated.
    assert sum(overlaps) / len(overlaps) >= 7
    assert min(overlaps) >= 5


def test_a_placed_paper_is_found_by_the_next_one_placed():
    index = ContentIndex.fit(documents()[:300])
    record = listings()[400]
    first = index.place(document(10_001, record))
    second = index.place(document(10_002, record))

    assert 10_001 not in [other for other, _ in first]
    assert second[0][0] == 10_001
    assert second[0][1] == pytest.approx(1.0, abs=1e-3)


def test_placing_a_fitted_paper_again_replaces_it_and_never_lists_it_as_its_own_neighbour():
    index = ContentIndex.fit(documents())
    paper = documents()[5]
    best = index.place(paper)

    assert paper.paper_id not in [other for other, _ in best]
    assert [o for o, _ in best] == [o for o, _ in fitted_lists()[paper.paper_id]]
    assert len(index.ids) == len(documents())


def test_dumps_and_loads_give_the_same_neighbours():
    data = fitted().dumps()
    loaded = ContentIndex.loads(data)

    for paper_id, best in loaded.neighbours(10):
        expected = fitted_lists()[paper_id]
        # Weights are stored as float16: near-equal neighbours may swap places.
        assert [s for _, s in best] == pytest.approx([s for _, s in expected], abs=2e-3)
        assert len({o for o, _ in best} & {o for o, _ in expected}) >= 9


def test_a_loaded_index_places_a_new_paper_like_the_original():
    new = document(10_001, listings()[0] | {"title": listings()[0]["title"] + " revisited"})
    original = ContentIndex.fit(documents()[1:])
    loaded = ContentIndex.loads(original.dumps())

    assert [o for o, _ in loaded.place(new)] == [o for o, _ in original.place(new)]


def test_shared_terms_are_words_both_papers_use():
    paper_id, best = next(iter(fitted_lists().items()))
    other = best[0][0]
    terms = fitted().shared_terms(paper_id, other, n=3)
    one, two = (documents()[i - 1] for i in (paper_id, other))

    assert 1 <= len(terms) <= 3
    for term in terms:
        assert term in f"{one.title} {one.abstract}".lower()
        assert term in f"{two.title} {two.abstract}".lower()


def test_a_shared_author_or_category_moves_a_neighbour_up():
    paper = documents()[10]
    tenth, score = fitted_lists()[paper.paper_id][-1]

    for shared in ({"authors": ("a-key",)}, {"categories": ("cs.XX",)}):
        changed = [
            replace(d, **shared) if d.paper_id in (paper.paper_id, tenth) else d
            for d in documents()
        ]
        best = dict(dict(ContentIndex.fit(changed).neighbours(10))[paper.paper_id])

        assert best.get(tenth, 0) > score


def test_one_document_has_no_neighbours():
    index = ContentIndex.fit([documents()[0]])

    assert dict(index.neighbours(10)) == {documents()[0].paper_id: []}
    assert ContentIndex.loads(index.dumps()).ids == [documents()[0].paper_id]
    assert [o for o, _ in index.place(documents()[1])] in ([], [documents()[0].paper_id])


def test_papers_with_empty_abstracts_or_no_words_in_common_do_not_crash():
    odd = [
        Document(paper_id=1, title="Graph neural networks for molecules"),
        Document(paper_id=2, title="Graph neural networks for proteins", abstract=""),
        Document(paper_id=3, title="Quantum chromodynamics on the lattice"),
        Document(paper_id=4, title=""),
        Document(paper_id=5, title="the of and"),  # stop words only
    ]
    index = ContentIndex.fit(odd)
    lists = dict(index.neighbours(10))

    assert lists[1][0][0] == 2
    assert lists[4] == [] and lists[5] == []
    assert index.place(Document(paper_id=6, title="")) == []
    assert index.shared_terms(1, 4) == []

    nothing_shared = ContentIndex.fit(
        [Document(paper_id=1, title="alpha beta"), Document(paper_id=2, title="gamma delta")]
    )
    assert dict(nothing_shared.neighbours(10)) == {1: [], 2: []}


def test_close_neighbours_are_on_topic_more_often_than_the_rest():
    # 598 papers: topics are learnt, so the bar is that of words and topic together.
    index = fitted()
    assert index.close_score > CLOSE_WORD_COSINE
    pairs = [(p, o, score) for p, best in fitted_lists().items() for o, score in best]
    close = [primary(o) == primary(p) for p, o, score in pairs if score >= index.close_score]
    far = [primary(o) == primary(p) for p, o, score in pairs if score < index.close_score]

    assert close and far
    assert sum(close) / len(close) > sum(far) / len(far)


def test_without_topics_the_bar_is_a_word_cosine():
    index = ContentIndex.fit(documents()[:50])
    assert index.close_score == CLOSE_WORD_COSINE


def copy_of(index):
    """The fitted index's rows in a new index (embeddings attach to it, not to the cache)."""
    return index.with_rows(index.ids, index.vectors, index.dense)


def unit_rows(count, seed=0):
    rows = np.abs(np.random.default_rng(seed).normal(size=(count, 8))).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_embeddings_blend_into_the_score_of_pairs_that_both_have_one():
    content = fitted()
    without, *others = [other for other, _ in content.neighbours_of(2, k=10)]
    embedded = unit_rows(len(content.ids))
    embedded[content.row_of[without]] = 0  # this neighbour has no embedding
    blended = copy_of(content).with_embeddings(embedded, 0.4)

    before = dict(content.scores_of(2, [without, *others]))
    after = dict(blended.scores_of(2, [without, *others]))
    assert after[without] == pytest.approx(before[without])  # content alone
    for other in others:
        cosine = embedded[content.row_of[2]] @ embedded[content.row_of[other]]
        assert after[other] == pytest.approx(0.6 * before[other] + 0.4 * cosine, abs=1e-6)
    assert blended.close_score == pytest.approx(
        0.6 * content.close_score + 0.4 * CLOSE_EMBEDDING_COSINE
    )


def test_a_paper_with_the_same_embedding_moves_up_its_neighbours_list():
    content = fitted()
    tenth = content.neighbours_of(2, k=10)[-1][0]
    embedded = np.zeros((len(content.ids), 2), dtype=np.float32)
    embedded[:, 1] = 1  # every paper alike ...
    embedded[[content.row_of[2], content.row_of[tenth]]] = [1, 0]  # ... but these two

    blended = copy_of(content).with_embeddings(embedded, 0.9)
    assert blended.neighbours_of(2, k=10)[0][0] == tenth
    with pytest.raises(ValueError, match="embeddings for"):
        copy_of(content).with_embeddings(embedded[:5], 0.4)


def far_paper(index, paper_id, beyond=150):
    """A paper that shares a word with ``paper_id`` but comes far down its list by content,
    well past the candidates the content vectors find."""
    ranked = index.neighbours_of(paper_id, k=len(index.ids))
    assert len(ranked) > beyond
    return ranked[beyond][0]


def test_the_nearest_embeddings_are_candidates_too():
    content = fitted()
    far = far_paper(content, 2)
    embedded = np.zeros((len(content.ids), 2), dtype=np.float32)
    embedded[:, 1] = 1  # every paper alike ...
    embedded[[content.row_of[2], content.row_of[far]]] = [1, 0]  # ... but these two

    blended = copy_of(content).with_embeddings(embedded, 0.4)
    assert far not in [other for other, _ in content.neighbours_of(2, k=10)]
    assert blended.neighbours_of(2, k=10)[0][0] == far


def test_a_paper_both_methods_find_is_listed_once():
    content = fitted()
    # Embeddings that find much the same candidates as the content vectors.
    embedded = content.dense / np.linalg.norm(content.dense, axis=1, keepdims=True)
    blended = copy_of(content).with_embeddings(embedded, 0.4)

    for paper_id in (2, 3, 4):
        listed = [other for other, _ in blended.neighbours_of(paper_id, k=30)]
        assert len(listed) >= 10
        assert len(listed) == len(set(listed))


def test_repeated_columns_marks_every_repeat_after_the_first():
    columns = np.array([[5, 3, 5, 1, 3, 5], [0, 1, 2, 3, 4, 5]])
    assert repeated_columns(columns).tolist() == [
        [False, False, True, False, True, True],
        [False] * 6,
    ]


def test_shared_terms_leave_out_words_that_name_no_topic():
    index = fitted()
    terms = [
        term
        for paper_id, best in list(fitted_lists().items())[:100]
        for other, _score in best
        for term in index.shared_terms(paper_id, other)
    ]
    assert terms
    assert not set(terms) & VAGUE_WORDS


RAN = []


def run_code(what):
    RAN.append(what)


class _Payload:
    """What an attacker who can write the stored model would put there: an object that,
    stored by NumPy with allow_pickle, calls run_code when loaded (an attacker would name
    os.system)."""

    def __reduce__(self):
        return (run_code, ("code ran",))


# The same as a bare pickle (protocol 0, written out here so that no module of ours
# imports pickle: tests/test_no_pickle.py): unpickled, it calls run_code("code ran").
PICKLE_PAYLOAD = b"ctests.papers.test_similarity\nrun_code\n(Vcode ran\ntR."


def unpickle_the_unsafe_way(blob):
    """What the old loads() did to a stored row (NumPy falls back to pickle when allowed)."""
    return np.load(io.BytesIO(blob), allow_pickle=True)


@pytest.mark.parametrize("compress", [False, True], ids=["pickle", "zlib-pickle"])
def test_a_stored_index_holding_a_pickle_is_refused_and_runs_nothing(compress):
    # Regression (issue 13): loads() unpickled the RecommendationRun.index row, so anyone
    # able to write that row ran code in every worker.
    blob = zlib.compress(PICKLE_PAYLOAD, 1) if compress else PICKLE_PAYLOAD  # was zlib(pickle)
    unpickle_the_unsafe_way(PICKLE_PAYLOAD)
    assert RAN == ["code ran"]  # the payload works: unpickled, it runs
    RAN.clear()

    with pytest.raises(IndexFormatError, match="not a stored content index"):
        ContentIndex.loads(blob)

    assert RAN == []


def test_an_archive_with_a_pickled_array_inside_is_refused():
    # An .npz whose arrays are right but one holds Python objects (stored by pickle).
    archive = np.load(io.BytesIO(fitted().dumps()))
    arrays = {name: archive[name] for name in archive.files}
    arrays["ids"] = np.array([_Payload()], dtype=object)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)

    with pytest.raises(IndexFormatError):
        ContentIndex.loads(buffer.getvalue())
    assert RAN == []
