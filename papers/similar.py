"""Find papers like this: the papers nearest to a pasted text (an abstract, a question, a
draft's introduction) or to a paper, by the vectors the related lists use.

``similar_to_text(text, limit=, filters=)`` and ``similar_to_paper(paper, limit=, filters=)``
turn the text (or the paper's title, abstract, keywords, categories, journal and authors)
into vectors in the current ``VectorSpace`` (``papers.vectors.model_of``: the model the
papers' own vectors were computed in, so nothing is refitted), ask the nearest-neighbour
index for candidates together with an exact search of the papers placed since it was built
(``papers.vectors.nearest``: each call sees the newest index version, so a web process loads
a new version the first time it searches after a build), keep those that pass the filters
of /papers/ (``papers.filters.SimilarFilter``) and are not retracted, then score each
exactly as a related paper is scored (words + topics, at least one shared word or tag) and
name the words they share with the text as the reason.

Filters are applied to the candidates, so a narrow filter widens the candidate set
(CANDIDATE_STEPS) until enough pass or the catalogue is exhausted. A filter by category and
years only is tested in memory first, against the columns saved with the index
(``papers.index_columns``): the papers of the index that pass are known at once, the
nearest of them are taken (exactly when they are few, from the index otherwise), and only
those, with the papers placed since the build, are checked in the database.

Before the first rebuild of the related lists (a new portal: no space yet) a catalogue of up
to FIT_NOW_MAX_PAPERS papers is fitted in memory for the question; a larger one answers
``SimilarUnavailable`` until the rebuild has run (``manage.py recompute_recommendations``).
"""

import math
from dataclasses import dataclass

import numpy as np
from django.db.models import Count

from papers import vectors
from papers.filters import SimilarFilter
from papers.models import Category, Paper
from papers.recommend import load_documents
from papers.rows import ColumnIn
from papers.similarity import ContentIndex, Document

MAX_TEXT_CHARS = 20_000
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Candidates asked of the index, widened step by step while too few pass the filters.
CANDIDATE_STEPS = (200, 1000, 5000)
# The filters the index's columns can test (papers.index_columns); how many passing papers
# are scored exactly from the index's own vectors (hnswlib's get_items: ~10 µs a paper)
# rather than searched for in it; and the most neighbours asked of the index for the rest
# (at 1,000,000 papers: 5 ms for 5,000, 22 ms for 20,000; a Python filter callback inside
# the search took 55-315 ms).
COLUMN_FILTERS = {"year_min", "year_max", "category"}
EXACT_PASSING = 2_000
COLUMN_SEARCH_MAX = 20_000
FIT_NOW_MAX_PAPERS = 5000
SHARED_WORDS = 3


class SimilarError(ValueError):
    """A question that cannot be answered as asked; its message says why, for a person."""


class InvalidFilters(SimilarError):
    """Filters that are not understood: ``errors`` maps each parameter to its messages."""

    def __init__(self, errors):
        self.errors = {name: list(messages) for name, messages in errors.items()}
        super().__init__("; ".join(f"{name}: {' '.join(m)}" for name, m in self.errors.items()))


class SimilarUnavailable(SimilarError):
    """No vectors yet, and too many papers to fit them for one question."""


@dataclass(frozen=True, slots=True)
class SimilarPaper:
    """One result: the paper (rows of the ``papers`` queryset), its score in (0, 1] and the
    words it shares with the text (or paper), weightiest first."""

    paper: Paper
    score: float
    shared_words: tuple[str, ...]

    @property
    def reason(self):
        if self.shared_words:
            return "Shares: " + ", ".join(self.shared_words)
        return "Similar topic"


def clean_text(text):
    """The text as searched (stripped), or SimilarError saying what is wrong with it."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise SimilarError("Paste some text to find papers like it: the text is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise SimilarError(
            f"The text is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} are "
            "compared. Paste the abstract or the introduction only."
        )
    return text


def clean_limit(limit):
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise SimilarError(f"The limit must be a whole number from 1 to {MAX_LIMIT}.")
    return limit


def similar_to_text(text, *, limit=DEFAULT_LIMIT, filters=None, papers=None):
    """The papers most like ``text``, best first: [SimilarPaper], at most ``limit``.

    ``filters``: the /papers/ parameters (year_min, year_max, journal, category, keyword,
    funder, type, has_abstract) as a mapping; ``papers``: the queryset the rows are read
    from (default ``Paper.objects.for_cards()``). Raises SimilarError for empty, oversized
    or unusable text (no word the catalogue knows), a bad limit or bad filters.
    """
    text = clean_text(text)
    limit = clean_limit(limit)
    filterset = _filterset(filters)
    model, space = _model()
    sparse, dense = model.vectorize([Document(paper_id=0, title="", abstract=text)])
    if not model.query_words(sparse):
        raise SimilarError(
            "None of the words of this text appear in the catalogue's papers, so there is "
            "nothing to compare: paste sentences in English, e.g. an abstract."
        )
    return _ranked(model, space, sparse, dense, limit=limit, filterset=filterset, papers=papers)


def similar_to_paper(paper, *, limit=DEFAULT_LIMIT, filters=None, papers=None):
    """The papers most like ``paper`` (never itself), best first, as ``similar_to_text``
    but from all the paper's content (its authors, categories and journal count too)."""
    limit = clean_limit(limit)
    filterset = _filterset(filters)
    model, space = _model()
    sparse, dense = model.vectorize(load_documents([paper.pk]))
    if not sparse.nnz:
        return []
    return _ranked(
        model,
        space,
        sparse,
        dense,
        limit=limit,
        filterset=filterset,
        papers=papers,
        exclude={paper.pk},
    )


def _filterset(filters):
    filterset = SimilarFilter(filters or {}, queryset=Paper.objects.all())
    if filterset.form.errors:
        raise InvalidFilters(filterset.form.errors)
    return filterset


def _model():
    """(the model to vectorize in, its space or None when it was fitted just now)."""
    space = vectors.current_space()
    model = vectors.model_of(space) if space is not None else None
    if model is not None:
        return model, space
    return _fit_now(), None


def _fit_now():
    """The whole catalogue fitted in memory, for a portal whose lists were never built."""
    count = Paper.objects.aggregate(n=Count("pk"))["n"]
    if count > FIT_NOW_MAX_PAPERS:
        raise SimilarUnavailable(
            "Similar papers are not available yet: the catalogue's vectors are being "
            "computed. Try again in a few minutes."
        )
    documents = load_documents()
    if not documents:
        raise SimilarUnavailable("There are no papers in the catalogue yet.")
    return ContentIndex.fit(documents)


def _ranked(model, space, sparse, dense, *, limit, filterset, papers, exclude=frozenset()):
    if space is None:  # fitted now: its rows are the catalogue
        allowed = _allowed(filterset, model.ids, exclude)
        rows = [model.row_of[paper_id] for paper_id in allowed]
        index = model.with_rows(allowed, model.vectors[rows], model.dense[rows])
    else:
        index = vectors.local_index(
            model, space, _candidates(model, space, dense, limit, filterset, exclude)
        )
    best = index.rank_vectors(sparse, dense, k=limit)
    found = {
        paper.pk: paper
        for paper in (papers if papers is not None else Paper.objects.for_cards()).filter(
            pk__in=[pk for pk, _ in best]
        )
    }
    return [
        SimilarPaper(
            paper=found[paper_id],
            score=score,
            shared_words=tuple(index.shared_terms_with(sparse, paper_id, n=SHARED_WORDS)),
        )
        for paper_id, score in best
        if paper_id in found
    ]


def _candidates(model, space, dense, limit, filterset, exclude):
    """Ids of the papers to score: the index's nearest (with the exact search of papers
    placed since it was built) that pass the filters, widened until enough do; without
    topics (a small catalogue), every paper that passes them.

    Each widening checks only the papers the last step did not, and skips the steps that
    the share passing so far says cannot give enough (a narrow filter goes from 200 straight
    to the widest step)."""
    if not model.has_topics:
        return _allowed(filterset, vectors.all_paper_ids(space), exclude)
    tested = _column_candidates(space, dense, limit, filterset, exclude)
    if tested is not None:
        return tested
    enough = limit * 2
    checked, allowed = set(), []
    step = CANDIDATE_STEPS[0]
    while True:
        wanted = max(step, limit * 5)
        near = vectors.nearest(space, dense[0], wanted, exclude=exclude)
        unchecked = [pk for pk in near if pk not in checked]
        checked.update(unchecked)
        allowed += _allowed(filterset, unchecked, exclude)
        if len(allowed) >= enough or len(near) < wanted or step == CANDIDATE_STEPS[-1]:
            return sorted(allowed)
        step = _next_step(step, passing=len(allowed) / len(checked), enough=enough)


def _column_candidates(space, dense, limit, filterset, exclude):
    """The candidates of a search filtered by category and years only, tested against the
    index's columns: the nearest papers of the index that pass them (as many as the first
    widening step, or five times the limit), and as many of the papers placed since the
    build, then checked in the database (one query). None when another filter is set, or
    the index has no columns."""
    data = filterset.form.cleaned_data
    asked = {name for name, value in data.items() if value not in (None, "")}
    if not asked or not asked <= COLUMN_FILTERS:
        return None
    built, ann, columns = vectors.loaded_columns(space)
    if columns is None:
        return None
    category_id = None
    if data.get("category"):
        category_id = Category.objects.filter(slug=data["category"]).values_list("pk", flat=True)
        category_id = category_id.first()
        if category_id is None:
            return []
    passing = columns.passing(
        year_min=data.get("year_min"), year_max=data.get("year_max"), category_id=category_id
    )
    if exclude:
        passing = passing[~np.isin(passing, list(exclude))]
    wanted = max(CANDIDATE_STEPS[0], limit * 5)
    query = np.asarray(dense[0], dtype=np.float32)
    if len(passing) <= EXACT_PASSING:
        scores = ann.get_items(passing, return_type="numpy") @ query if len(passing) else []
        nearest = passing[np.argsort(-np.asarray(scores), kind="stable")[:wanted]].tolist()
    else:
        # Enough of the index's nearest to keep ``wanted`` in the share that passes.
        share = len(passing) / len(columns)
        k = min(math.ceil(1.5 * wanted / share), COLUMN_SEARCH_MAX)
        found = np.asarray(vectors.search_ann(ann, query, k)[0], dtype=np.int64)
        at = np.minimum(np.searchsorted(passing, found), len(passing) - 1)
        nearest = found[passing[at] == found][:wanted].tolist()
    fresh_ids, fresh_dense = vectors.fresh_vectors(space, built)
    if fresh_ids:
        order = np.argsort(-(fresh_dense @ query), kind="stable")[:wanted]
        nearest += [fresh_ids[i] for i in order.tolist()]
    return _allowed(filterset, set(nearest), exclude)


def _next_step(step, *, passing, enough):
    """The smallest wider step at which the share ``passing`` would give ``enough``."""
    wider = [s for s in CANDIDATE_STEPS if s > step]
    return next((s for s in wider if s * passing >= enough), wider[-1])


def _allowed(filterset, paper_ids, exclude):
    """Those of these papers that pass the filters and are not retracted (one query)."""
    paper_ids = [pk for pk in paper_ids if pk not in exclude]
    if not paper_ids:
        return []
    # One array parameter, not one placeholder an id: the widest step asks about thousands.
    passing = filterset.filter_queryset(Paper.objects.filter(ColumnIn("id", paper_ids)))
    return sorted(passing.filter(is_retracted=False).order_by().values_list("pk", flat=True))
