"""Related papers: the "Recommended" list of every paper, as ranked RelatedPaper rows.

Content similarity comes from ``papers.similarity``, the stored vectors and the
nearest-neighbour index from ``papers.vectors``; this module reads the catalogue into
documents, writes the lists of a run, and swaps runs when one is complete.

A full rebuild has three steps: ``start_rebuild`` fits the catalogue's vectors, stores
them, builds their index and cuts the papers into RebuildChunk rows; ``rank_chunk``
computes one chunk's lists (candidates from the index, scored exactly from the stored
vectors) and the last chunk to finish finishes the run (``_complete``). ``rebuild_related``
runs them all in one process (the command, the demo); ``rebuild_in_parallel`` sends one
Celery task per chunk, so that every worker takes a share (the nightly task).
"""

import bisect
import logging
from datetime import timedelta

import numpy as np
from celery import group, shared_task, signature
from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from papers import cocitation, embeddings, vectors
from papers.models import (
    Author,
    Authorship,
    Paper,
    PaperCategory,
    PaperKeyword,
    PaperVector,
    RebuildChunk,
    RecommendationRun,
    RelatedPaper,
    VectorSpace,
    newest_finished_runs,
)
from papers.rows import analyze, insert_tuples
from papers.similarity import ContentIndex, Document, repeated_columns
from papers.versions import bump_version_on_commit

logger = logging.getLogger(__name__)

# Content neighbours considered per paper before behaviour re-orders them.
CANDIDATES = 30
# What a co-rating reader (up to three) and a shared author add to a cosine score.
CO_RATED_WEIGHT = 0.1
AUTHOR_WEIGHT = 0.15
AUTHOR_MAX_PAPERS = 200
# What a citation neighbour adds: this times its score (papers.cocitation: shared references
# and co-citations, each a cosine of counts, so in [0, 2]). Chosen on the Paperscape graph
# (bench/citation_recall.py, bench/README.md).
CITATION_WEIGHT = 2.0
# Papers whose documents are read and vectors written at once by a rebuild.
VECTOR_BATCH = 10000


def load_documents(paper_ids=None, *, with_categories=True, id_range=None):
    """The catalogue (or these papers, or those with ids in ``id_range``, both ends
    included) as similarity Documents, in id order.

    Retracted papers are included: they get no list shown, but leaving them out would
    change every other paper's vectors the day one is retracted. Four queries, read as
    plain tuples (model instances would cost more than the rest of a rebuild).
    """
    papers = Paper.objects.order_by("pk").values_list("pk", "title", "abstract", "journal__title")
    authorships = Authorship.objects.order_by("paper_id", "position")
    authorships = authorships.values_list("paper_id", "author_id")
    keywords = PaperKeyword.objects.order_by("pk").values_list("paper_id", "keyword__name")
    categories = PaperCategory.objects.order_by("pk").values_list("paper_id", "category__name")
    if paper_ids is not None:
        paper_ids = list(paper_ids)
        papers = papers.filter(pk__in=paper_ids)
        authorships, keywords, categories = (
            links.filter(paper_id__in=paper_ids) for links in (authorships, keywords, categories)
        )
    if id_range is not None:
        first, last = id_range
        papers = papers.filter(pk__gte=first, pk__lte=last)
        authorships, keywords, categories = (
            links.filter(paper_id__gte=first, paper_id__lte=last)
            for links in (authorships, keywords, categories)
        )
    authors_of = _grouped(authorships, str)
    keywords_of = _grouped(keywords)
    categories_of = _grouped(categories) if with_categories else {}
    return [
        Document(
            paper_id=pk,
            title=title,
            abstract=abstract,
            keywords=keywords_of.get(pk, ()),
            categories=categories_of.get(pk, ()),
            journal=journal or "",
            authors=authors_of.get(pk, ()),
        )
        for pk, title, abstract, journal in papers.iterator(chunk_size=5000)
    ]


def _grouped(pairs, convert=None):
    """{paper id: (value, ...)} from (paper id, value) rows, in the rows' order."""
    grouped = {}
    for paper_id, value in pairs.iterator(chunk_size=20000):
        grouped.setdefault(paper_id, []).append(convert(value) if convert else value)
    return {paper_id: tuple(values) for paper_id, values in grouped.items()}


# --- Full rebuild -----------------------------------------------------------------------


def current_run():
    """The newest finished run (its index not loaded), or None before the first."""
    return newest_finished_runs().select_related("space").first()


def rebuild_related(*, co_rated=None, progress=None):
    """Compute every paper's list into a new run, here, then make it the current one.

    ``co_rated`` maps a paper id to {other paper id: number of readers who rated both
    highly} (from ``reviews.ratings.co_rated_pairs``); papers knows nothing of reviews.
    Pages go on reading the previous run until this one is marked finished, so a rebuild
    that dies half-way changes nothing they show. The same steps as ``rebuild_in_parallel``
    (prepare, every chunk, finish), in this process. Returns the run.
    """
    run = start_rebuild()
    chunks = list(run.chunks.order_by("number"))
    if progress:
        progress.reset(total=sum(chunk.paper_count for chunk in chunks))
    try:
        for chunk in chunks:
            rank_chunk(run.pk, chunk.number, co_rated=co_rated)
            if progress:
                progress.update(chunk.paper_count)
    except BaseException as error:  # interrupted between chunks
        _fail(run.pk, error)
        raise
    if not chunks:
        _complete(run.pk)
    run.refresh_from_db()
    return run


def rebuild_in_parallel(*, co_rated=None, then=None):
    """The same rebuild fanned out: prepared here, then one Celery task per chunk
    (``rank_related_chunk``), so that every worker takes a share; the task finishing the
    last chunk finishes the run, then sends ``then`` (a Celery signature, or None). Returns
    the run, still running."""
    run = start_rebuild()
    chunks = list(run.chunks.order_by("number"))
    if not chunks:
        _complete(run.pk)
        if then is not None:
            signature(then).delay()
        return run
    shares = _co_rated_shares(co_rated or {}, chunks)
    group(
        rank_related_chunk.si(run.pk, chunk.number, shares[chunk.number], then) for chunk in chunks
    ).apply_async()
    return run


def start_rebuild():
    """A new run, prepared for its chunks: the catalogue's vectors fitted and stored, their
    nearest-neighbour index built, and the papers cut into RebuildChunk rows of
    ``settings.RELATED_REBUILD_CHUNK`` papers. The run names the space from the start, so a
    finishing rebuild never deletes the space of one still running."""
    fail_abandoned_runs()
    run = RecommendationRun.objects.create(compared_with=current_run())
    try:
        ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
        if not ids:
            return run
        space = _fit_space(ids)
        RecommendationRun.objects.filter(pk=run.pk).update(space=space, paper_count=len(ids))
        vectors.refresh_statistics()
        vectors.build_index(space)
        ids = sorted(vectors.all_paper_ids(space))
        size = settings.RELATED_REBUILD_CHUNK
        RebuildChunk.objects.bulk_create(
            RebuildChunk(
                run=run,
                number=number,
                first_paper_id=ids[start],
                last_paper_id=ids[min(start + size, len(ids)) - 1],
                paper_count=min(size, len(ids) - start),
            )
            for number, start in enumerate(range(0, len(ids), size))
        )
    except BaseException as error:
        _fail(run.pk, error)
        raise
    run.refresh_from_db()
    return run


def fail_abandoned_runs():
    """Fail the runs still "running" ``RELATED_RUN_ABANDONED_AFTER_HOURS`` after they
    started: their chunk tasks were lost (a worker killed, a broker restarted), and their
    vectors, kept while a run may still finish, are dropped. A chunk task delivered later
    finds its run failed and does nothing. Returns the number failed."""
    hours = settings.RELATED_RUN_ABANDONED_AFTER_HOURS
    stale = RecommendationRun.objects.filter(
        status=RecommendationRun.Status.RUNNING,
        started_at__lt=timezone.now() - timedelta(hours=hours),
    )
    run_ids = list(stale.values_list("pk", flat=True))
    for run_id in run_ids:
        logger.warning("Rebuild run %s still running after %s h: marked failed", run_id, hours)
        _fail(run_id, RuntimeError(f"abandoned: still running {hours} h after it started"))
    return len(run_ids)


def _fit_space(ids):
    """A new vector space fitted to the papers ``ids`` (sorted), every one's vectors stored
    in it. Beyond ``settings.RELATED_FIT_SAMPLE`` papers the vocabulary, weights and topics
    are learnt from an evenly spread sample of that many (a million papers' texts would not
    fit in a worker's memory at once; a sample of that size gives the same words and
    topics), then every paper's vectors are computed and written a batch at a time."""
    step = -(-len(ids) // settings.RELATED_FIT_SAMPLE)  # ceiling division
    sample = ids[::step]
    index = ContentIndex.fit(_documents_of(sample))
    space = vectors.save_space(index, paper_count=len(ids))
    try:
        if step == 1:  # the sample is the catalogue: its vectors are computed already
            for start in range(0, len(ids), VECTOR_BATCH):
                rows = slice(start, start + VECTOR_BATCH)
                vectors.write_vectors(
                    space,
                    index.ids[rows],
                    index.vectors[rows],
                    index.dense[rows],
                    before_current=True,
                )
            return space
        model = index.with_rows([], index.vectors[:0], index.dense[:0])
        del index
        for start in range(0, len(ids), VECTOR_BATCH):
            batch = ids[start : start + VECTOR_BATCH]
            documents = load_documents(id_range=(batch[0], batch[-1]))
            sparse, dense = model.vectorize(documents)
            written = [document.paper_id for document in documents]
            vectors.write_vectors(space, written, sparse, dense, before_current=True)
    except BaseException:
        vectors.delete_space(space)
        raise
    return space


def _documents_of(ids):
    """load_documents of these ids, a query batch of VECTOR_BATCH at a time."""
    documents = []
    for start in range(0, len(ids), VECTOR_BATCH):
        documents += load_documents(ids[start : start + VECTOR_BATCH])
    return documents


def rank_chunk(run_id, number, *, co_rated=None):
    """Compute and write the lists of one chunk of a run; when it was the last one, finish
    the run. Safe to run twice (a redelivered task): a finished chunk is left as it is, and
    the rows of one that died half-way were never committed. Returns True when this call
    finished the run."""
    chunk = RebuildChunk.objects.select_related("run__space", "run__compared_with")
    chunk = chunk.filter(run_id=run_id, number=number).first()
    if chunk is None or chunk.finished_at or chunk.run.status != RecommendationRun.Status.RUNNING:
        return False
    try:
        rows, changed = _chunk_rows(chunk, co_rated or {})
        with transaction.atomic():
            locked = RebuildChunk.objects.select_for_update().filter(pk=chunk.pk, finished_at=None)
            if not locked.exists():  # the same chunk, finished meanwhile by another delivery
                return False
            written = _write_rows(rows)
            locked.update(finished_at=timezone.now(), row_count=written, changed=changed)
        return _complete(run_id)
    except BaseException as error:
        _fail(run_id, error)
        raise


def _chunk_rows(chunk, co_rated):
    """(RelatedPaper rows as ROW_COLUMNS tuples, ids of the papers whose list changed) of
    the papers of one chunk. Candidates: the nearest-neighbour index's (or, without topics,
    a small catalogue, every paper by words), each scored exactly from the stored vectors."""
    run, space = chunk.run, chunk.run.space
    model = vectors.model_of(space)
    id_range = (chunk.first_paper_id, chunk.last_paper_id)
    ids, _sparse, dense = vectors.read_vectors(space, id_range=id_range)
    if model is None or not ids:
        return [], []
    if model.has_topics:
        # The nearest by content and, with the embedding extra, by sentence embedding.
        found = np.hstack(
            [
                vectors.nearest_many(space, dense, CANDIDATES + 1),
                vectors.nearest_embedded_many(space, ids, CANDIDATES + 1),
            ]
        )
        index = _scoring_index(model, space, {*ids, *found.ravel().tolist()})
        rows, candidates, excluded = candidate_rows(index, ids, found)
        ranked = index.rank_candidates(rows, candidates, k=CANDIDATES, excluded=excluded)
        neighbours = zip(ids, ranked, strict=True)
    else:
        index = _scoring_index(model, space, None)
        neighbours = (
            (paper_id, candidates)
            for paper_id, candidates in index.neighbours(k=CANDIDATES)
            if id_range[0] <= paper_id <= id_range[1]
        )
    lists = _ListMaker(
        co_rated=co_rated,
        index=index,
        paper_ids=Paper.objects.filter(pk__range=id_range).values("pk"),
        citations=cocitation.catalogue_neighbours(only=ids),
    )
    changes = _ChangedLists(run.compared_with)
    rows = []
    for paper_id, candidates in neighbours:
        entries = lists.rank(paper_id, candidates)
        changes.add(paper_id, entries)
        rows += [
            (run.pk, paper_id, related, rank, float(score), str(reason), detail[:300])
            for rank, (related, score, reason, detail) in enumerate(entries, start=1)
        ]
    changes.compare()
    return rows, changes.changed


def candidate_rows(index, ids, found):
    """(rows, candidates, excluded) for ``index.rank_candidates``: the rows of these papers
    in ``index``, and of the papers ``found`` for each (ids, one row per paper, from the
    nearest-neighbour indexes). A paper deleted since the index was built has no row: it
    stands in as the paper itself, which is excluded, as is a paper found twice (by both
    indexes) the second time."""
    rows = [index.row_of[paper_id] for paper_id in ids]
    candidates = np.array(
        [
            [index.row_of.get(other, row) for other in others]
            for row, others in zip(rows, found.tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    excluded = candidates == np.asarray(rows)[:, None]
    return rows, candidates, excluded | repeated_columns(candidates)


def _complete(run_id):
    """Finish the run if every chunk of it is finished and no one else did (the run row
    locked, so two last chunks cannot both finish it). Returns True when this call did."""
    with transaction.atomic():
        run = RecommendationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RecommendationRun.Status.RUNNING:
            return False
        if run.chunks.filter(finished_at=None).exists():
            return False
        chunks = list(run.chunks.values_list("row_count", "changed"))
        _finish(
            run,
            paper_count=run.paper_count,
            row_count=sum(count for count, _changed in chunks),
            previous=run.compared_with,
            changed=sorted(pk for _count, changed in chunks for pk in changed),
        )
    run.refresh_from_db(fields=["status", "finished_at", "paper_count", "row_count", "space"])
    _place_again_since(run.compared_with, run)
    return True


def _fail(run_id, error):
    """A rebuild failed: its rows are useless and its space is dropped; the previous run
    stays the current one."""
    RelatedPaper.objects.filter(run_id=run_id).delete()
    RecommendationRun.objects.filter(pk=run_id, status=RecommendationRun.Status.RUNNING).update(
        status=RecommendationRun.Status.FAILED, error=repr(error)[:2000]
    )
    space_id = (
        RecommendationRun.objects.filter(pk=run_id).values_list("space_id", flat=True).first()
    )
    if space_id is not None:
        vectors.delete_space(VectorSpace.objects.get(pk=space_id))


def _co_rated_shares(co_rated, chunks):
    """{chunk number: [[paper, other, readers], ...]}: the co-ratings of each chunk's
    papers, as JSON a task message carries."""
    shares = {chunk.number: [] for chunk in chunks}
    firsts = [chunk.first_paper_id for chunk in chunks]
    for paper_id, others in co_rated.items():
        at = bisect.bisect_right(firsts, paper_id) - 1
        if at >= 0 and paper_id <= chunks[at].last_paper_id:
            shares[chunks[at].number] += [[paper_id, o, n] for o, n in others.items()]
    return shares


@shared_task(soft_time_limit=3000, time_limit=3600)
def rank_related_chunk(run_id, number, co_rated=None, then=None):
    """One chunk of a fanned-out rebuild (``rebuild_in_parallel``); the task that finishes
    the run sends ``then``. Safe to run twice."""
    shares = {}
    for paper_id, other, readers in co_rated or ():
        shares.setdefault(paper_id, {})[other] = readers
    if rank_chunk(run_id, number, co_rated=shares) and then is not None:
        signature(then).delay()


def _place_again_since(previous, run):
    """Papers placed into the previous run while this one was being computed (their
    vectors and list entries went to the previous space and run): placed again, now into
    this one, after the commit."""
    if previous is None or previous.space_id is None:
        return
    placed = PaperVector.objects.filter(space_id=previous.space_id, updated_at__gte=run.started_at)
    paper_ids = sorted(placed.values_list("paper_id", flat=True))
    if paper_ids:
        place_related_papers.delay_on_commit(paper_ids)


ROW_COLUMNS = ("run_id", "paper_id", "related_id", "rank", "score", "reason", "detail")


def _write_rows(rows):
    """Insert RelatedPaper rows given as tuples in ROW_COLUMNS order; returns how many.
    A full rebuild writes ten rows a paper: by COPY on PostgreSQL (``papers.rows``)."""
    return insert_tuples(RelatedPaper, ROW_COLUMNS, rows)


# Papers whose content_version one UPDATE of a finishing rebuild bumps (ids as parameters).
BUMP_BATCH = 5000
# Above this many changed lists a finishing rebuild keys every page anew (``_finish``):
# re-rendering the pages read in the next few minutes costs less than bumping each paper.
BUMP_ALL_ABOVE = 20_000


class _ChangedLists:
    """Which papers' lists a rebuild changes, found in the same pass that writes them: the
    new lists of each written batch are compared with the same papers' lists in
    ``previous`` (the run pages read when the rebuild started), one range query a batch.

    A list is the same when its entries (related paper, reason, detail) are the same in the
    same order: the title, journal and year of a related paper are bumped on the pages
    listing it when they change (``papers.curation.pages_listing``), not here."""

    def __init__(self, previous):
        self.previous = previous
        self.pending = {}  # paper id -> its new list, not yet compared
        self.changed = []

    def add(self, paper_id, entries):
        self.pending[paper_id] = [
            (related, str(reason), detail[:300]) for related, _score, reason, detail in entries
        ]

    def compare(self):
        """Compare the pending lists with the previous run's (one query) and forget them."""
        if not self.pending:
            return
        old = {}
        if self.previous is not None:
            rows = RelatedPaper.objects.filter(
                run=self.previous,
                paper_id__gte=min(self.pending),
                paper_id__lte=max(self.pending),
            ).order_by("paper_id", "rank")
            for paper_id, related, reason, detail in rows.values_list(
                "paper_id", "related_id", "reason", "detail"
            ):
                old.setdefault(paper_id, []).append((related, reason, detail))
        self.changed += [pk for pk, new in self.pending.items() if old.get(pk, []) != new]
        self.pending = {}


def _finish(run, *, paper_count, row_count, previous, changed):
    """Mark the run finished (now pages read it), bump the papers whose lists ``changed``
    since ``previous`` (or the run's ``page_generation``, which keys every page anew, when
    another run finished meanwhile or more than ``BUMP_ALL_ABOVE`` changed), and drop the
    rows of older runs."""
    with transaction.atomic():
        shown = current_run()  # what pages read until this run is marked finished
        # Every page's "Recommended" list now reads this run: the pages whose list differs
        # from the one they showed are rendered again, the others keep their fragments.
        # When the lists were not compared with the shown ones (another run finished
        # meanwhile), or many changed (a first run changes them all), the run's generation
        # goes up instead: one row, and every page's fragments are keyed anew (an UPDATE of
        # a million papers' versions took 6 minutes).
        generation = shown.page_generation if shown else 0
        if (shown and shown.pk) != (previous and previous.pk) or len(changed) > BUMP_ALL_ABOVE:
            generation, changed = generation + 1, []
        RecommendationRun.objects.filter(pk=run.pk).update(
            status=RecommendationRun.Status.FINISHED,
            finished_at=timezone.now(),
            paper_count=paper_count,
            row_count=row_count,
            page_generation=generation,
        )
        for start in range(0, len(changed), BUMP_BATCH):
            Paper.objects.filter(pk__in=changed[start : start + BUMP_BATCH]).bump_version()
    # Older runs go, but a rebuild still running elsewhere is left alone (one that lost its
    # chunk tasks was failed when a later rebuild started: fail_abandoned_runs).
    older = RecommendationRun.objects.filter(started_at__lt=run.started_at).exclude(pk=run.pk)
    older.exclude(status=RecommendationRun.Status.RUNNING).delete()
    vectors.delete_unused_spaces()
    # The lists of the run pages now read, and the older runs' rows gone: placements read
    # "this paper's rows of the current run" (1.2-1.5 s a query at 1M before it: 7.5 s a
    # placement).
    analyze(RelatedPaper)


def add_citations(scored, links):
    """Blend citation neighbours (``{other id: cocitation.CitationLink}``) into ``scored``
    ({other id: [score, reason, detail]}): each adds CITATION_WEIGHT × its score, or
    enters the candidates with it; the reason is the citations' where they outweigh the
    content score."""
    for other, link in links.items():
        entry = scored.setdefault(other, [0.0, RelatedPaper.Reason.CONTENT, ""])
        boost = CITATION_WEIGHT * link.score
        if boost > entry[0]:
            entry[1], entry[2] = RelatedPaper.Reason.CITATIONS, link.detail
        entry[0] += boost


class _ListMaker:
    """Turns content candidates into a paper's ranked rows: behaviour blended in,
    retracted papers left out, and the cold-start fill when no neighbour is close."""

    def __init__(self, *, co_rated, index, paper_ids=None, citations=None):
        self.co_rated = co_rated
        self.citations = citations or {}
        self.index = index
        self.shown = settings.RELATED_PAPERS_SHOWN
        # The setting overrides the index's own bar (which depends on its scale).
        self.min_score = settings.RELATED_MIN_SCORE or (index.close_score if index else 1.0)
        self.retracted = set(Paper.objects.filter(is_retracted=True).values_list("pk", flat=True))
        # For an incremental update only the placed paper's authors and categories are read.
        self.authors_of, self.papers_of = _authorship_maps(paper_ids)
        self.categories_of = _category_map(paper_ids)
        self._best_in_category = {}
        self._best_overall = None

    def rows_for(self, paper_id, candidates, *, run):
        entries = self.rank(paper_id, candidates)
        return [
            RelatedPaper(
                run=run,
                paper_id=paper_id,
                related_id=related,
                rank=rank,
                score=score,
                reason=reason,
                detail=detail[:300],
            )
            for rank, (related, score, reason, detail) in enumerate(entries, start=1)
        ]

    def rank(self, paper_id, candidates):
        """[(related_id, score, reason, detail)] best first, at most RELATED_PAPERS_SHOWN."""
        scored = {}
        for other, score in candidates:
            if score >= self.min_score:
                scored[other] = [score, RelatedPaper.Reason.CONTENT, ""]
        add_citations(scored, self.citations.get(paper_id, {}))
        # Readers who liked both papers, and shared authors, lift a paper (or bring it in).
        for other, readers in self.co_rated.get(paper_id, {}).items():
            entry = scored.setdefault(other, [0.0, RelatedPaper.Reason.CONTENT, ""])
            entry[0] += CO_RATED_WEIGHT * min(readers, 3)
            entry[1] = RelatedPaper.Reason.CO_RATED
            entry[2] = f"{readers} reader{'s' if readers != 1 else ''}"
        for other, author_name in self._coauthored(paper_id):
            entry = scored.setdefault(other, [0.0, RelatedPaper.Reason.CONTENT, ""])
            entry[0] += AUTHOR_WEIGHT
            entry[1], entry[2] = RelatedPaper.Reason.AUTHORS, author_name
        scored.pop(paper_id, None)
        for other in self.retracted & scored.keys():
            del scored[other]
        best = sorted(scored.items(), key=lambda item: (-item[1][0], item[0]))[: self.shown]
        entries = [
            (other, score, reason, detail or self._terms(paper_id, other, reason))
            for other, (score, reason, detail) in best
        ]
        if len(entries) < self.shown:
            entries += self._fill(paper_id, taken={paper_id, *scored})
        return entries[: self.shown]

    def _terms(self, paper_id, other, reason):
        """The shared topic words shown beside a content neighbour."""
        if reason != RelatedPaper.Reason.CONTENT or self.index is None:
            return ""
        try:
            return ", ".join(self.index.shared_terms(paper_id, other, n=3))
        except KeyError:  # a paper placed after the fit, unknown to this index
            return ""

    def _coauthored(self, paper_id):
        seen = set()
        for author_id in self.authors_of.get(paper_id, ()):
            papers, name = self.papers_of[author_id]
            for other in papers:
                if other != paper_id and other not in seen:
                    seen.add(other)
                    yield other, name

    def _fill(self, paper_id, *, taken):
        """Cold start: the best-rated recent papers of the paper's categories, then of the
        catalogue, each labelled as such, with a score below any real neighbour's."""
        fill = []
        for category_id, name in self.categories_of.get(paper_id, ()):
            for other in self._best_of_category(category_id):
                if other not in taken:
                    taken.add(other)
                    fill.append((other, 0.0, RelatedPaper.Reason.CATEGORY_BEST, name))
        for other in self._best_of_catalogue():
            if other not in taken:
                taken.add(other)
                fill.append((other, 0.0, RelatedPaper.Reason.CATALOGUE_BEST, ""))
        return fill

    def _best_of_category(self, category_id):
        if category_id not in self._best_in_category:
            papers = best_rated_recent(Paper.objects.filter(categories=category_id))
            self._best_in_category[category_id] = list(papers[: self.shown * 2])
        return self._best_in_category[category_id]

    def _best_of_catalogue(self):
        if self._best_overall is None:
            self._best_overall = list(best_rated_recent(Paper.objects.all())[: self.shown * 2])
        return self._best_overall


def best_rated_recent(papers):
    """Ids of these papers, not retracted, one per work (``one_per_version_group``),
    best-rated (the Bayesian score) then newest, those of the last RELATED_RECENT_YEARS
    before older ones (a small catalogue has few)."""
    since = timezone.now().year - settings.RELATED_RECENT_YEARS
    recent = Case(When(published_year__gte=since, then=Value(1)), default=Value(0))
    order = [F("is_recent").desc(), F("rating_score").desc(nulls_last=True)]
    return (
        papers.one_per_version_group()
        .filter(is_retracted=False)
        .annotate(is_recent=recent)
        .order_by(*order, *Paper._meta.ordering)
        .values_list("pk", flat=True)
    )


def _authorship_maps(paper_ids=None):
    """paper -> its author ids; author -> (their paper ids, name). Authors on more than
    AUTHOR_MAX_PAPERS papers (consortia, "et al." placeholders) link nothing."""
    authors_of, papers_by = {}, {}
    rows = Authorship.objects.values_list("paper_id", "author_id")
    names = Author.objects.values_list("pk", "name")
    if paper_ids is not None:
        authors = Authorship.objects.filter(paper_id__in=paper_ids).values("author_id")
        rows = rows.filter(author_id__in=authors)
        names = names.filter(pk__in=authors)
    # Pairs of ids, the names apart: a chunk of a million-paper rebuild reads millions.
    for paper_id, author_id in rows.iterator(chunk_size=20000):
        authors_of.setdefault(paper_id, []).append(author_id)
        papers_by.setdefault(author_id, []).append(paper_id)
    papers_by = {a: papers for a, papers in papers_by.items() if len(papers) <= AUTHOR_MAX_PAPERS}
    papers_of = {
        author_id: (papers_by[author_id], name)
        for author_id, name in names.iterator(chunk_size=20000)
        if author_id in papers_by
    }
    authors_of = {
        paper: [a for a in authors if a in papers_of] for paper, authors in authors_of.items()
    }
    return authors_of, papers_of


def _category_map(paper_ids=None):
    links = PaperCategory.objects.values_list("paper_id", "category_id", "category__name")
    if paper_ids is not None:
        links = links.filter(paper_id__in=paper_ids)
    categories_of = {}
    for paper_id, category_id, name in links.iterator(chunk_size=10000):
        categories_of.setdefault(paper_id, []).append((category_id, name))
    return categories_of


# --- Incremental update -----------------------------------------------------------------


@shared_task
def place_related_paper(paper_id):
    """A paper was added or its content changed: its own list, and its place in others'."""
    return place_paper(paper_id)


@shared_task
def place_related_papers(paper_ids):
    """A batch of papers was imported or changed (``papers.bulk``): one task for the batch."""
    return place_papers(paper_ids)


def place_papers(paper_ids):
    """``place_paper`` for each of these papers, in id order; without a current run (a new
    catalogue), one rebuild for them all. Returns the number of lists written."""
    run = current_run()
    if run is None or run.paper_count == 0:
        rebuild_related()
        return 1
    paper_ids = sorted(set(paper_ids))
    embeddings.embed_papers(paper_ids)  # the batch encoded at once (with the extra)
    return sum(place_paper(paper_id) for paper_id in paper_ids)


def place_paper(paper_id):
    """Give a new or changed paper its list, and put it into the lists it now belongs in.

    Works on the current run: without one (a new catalogue) it builds all lists instead.
    A retracted paper leaves every list. Locks the papers whose lists change (ordered, so
    that concurrent placements cannot deadlock). Returns the number of lists written.
    """
    run = current_run()
    if run is None or run.paper_count == 0:
        rebuild_related()
        return 1
    paper = Paper.objects.filter(pk=paper_id).only("pk", "is_retracted").first()
    if paper is None:
        return 0
    if paper.is_retracted:
        with transaction.atomic():
            listing = RelatedPaper.objects.filter(run=run, related_id=paper_id)
            bump_version_on_commit(listing.values_list("paper_id", flat=True))
            listing.delete()
        return 0
    # The lists showing it for its content or its citation links: those it no longer fits
    # (content changed, references gone) leave it below.
    owners = set(
        RelatedPaper.objects.filter(
            run=run, related_id=paper_id, reason__in=LEAVING_REASONS
        ).values_list("paper_id", flat=True)
    )
    index = _placed_index(run.space, paper_id, also=owners)
    candidates = index.neighbours_of(paper_id, k=CANDIDATES) if index else []
    co_rated = {paper_id: _co_ratings_of(paper_id)} if _co_ratings_of else {}
    links = cocitation.neighbours_of(paper_id, per_paper=None)
    citations = {paper_id: dict(list(links.items())[: cocitation.PER_PAPER])}
    lists = _ListMaker(co_rated=co_rated, index=index, paper_ids=[paper_id], citations=citations)
    joins = _joins(candidates, citations[paper_id], lists.min_score)
    gone = _no_longer_close(index, paper_id, owners - joins.keys() - links.keys(), lists.min_score)
    with transaction.atomic():
        touched = sorted({paper_id, *joins, *gone})
        list(Paper.objects.select_for_update().filter(pk__in=touched).values_list("pk"))
        RelatedPaper.objects.filter(run=run, paper_id=paper_id).delete()
        RelatedPaper.objects.bulk_create(lists.rows_for(paper_id, candidates, run=run))
        written = 1 + _insert_into_lists(run, paper_id, joins, lists)
        written += _leave_lists(run, paper_id, gone)
        # Its own list and the lists it may have entered (locked above), then the lists
        # that show it (its title or journal may be what changed), not locked here.
        Paper.objects.filter(pk__in=touched).bump_version()
        listing = RelatedPaper.objects.filter(run=run, related_id=paper_id)
        listing = listing.exclude(paper_id__in=touched)
        bump_version_on_commit(listing.values_list("paper_id", flat=True))
    return written


def _placed_index(space, paper_id, *, also=()):
    """Write the paper's vectors into the space (every worker sees them from now on) and
    return a ContentIndex holding it, its nearest candidates and the papers ``also``, read
    from the database, to score them exactly. None without a usable model (the cold-start
    fill then)."""
    model = vectors.model_of(space) if space is not None else None
    if model is None:
        return None
    sparse, dense = model.vectorize(load_documents([paper_id]))
    vectors.write_vectors(space, [paper_id], sparse, dense)
    embeddings.embed_papers([paper_id])  # with the extra: nothing when its text is known
    if model.has_topics:
        near = vectors.nearest(space, dense[0], CANDIDATES + 10, exclude=[paper_id])
        near += vectors.nearest_embedded(space, paper_id, CANDIDATES + 10)
    else:  # a small catalogue (no topics learnt): every paper, by words
        near = vectors.all_paper_ids(space)
    return _scoring_index(model, space, {paper_id, *near, *also})


def _scoring_index(model, space, paper_ids):
    """The stored vectors of these papers (None: all) as a ContentIndex that scores them,
    with their sentence embeddings blended in when the extra is enabled."""
    return embeddings.blend_into(vectors.local_index(model, space, paper_ids))


def _joins(candidates, citation_links, min_score):
    """{other id: [score, reason, detail]} of the lists a placed paper may enter: its close
    content neighbours and its citation neighbours (both relations are symmetric), scored
    as a rebuild scores them (``add_citations``)."""
    joins = {
        other: [score, RelatedPaper.Reason.CONTENT, ""]
        for other, score in candidates
        if score >= min_score
    }
    add_citations(joins, citation_links)
    return joins


def _no_longer_close(index, paper_id, owners, min_score):
    """Of the papers whose lists show ``paper_id`` and that it has no citation link with
    any more, those it is no longer close to in content either (its content or its
    references changed): their exact content score is now below ``min_score``."""
    if not owners:
        return set()
    if index is None:
        return set(owners)
    scores = dict(index.scores_of(paper_id, owners))
    return {owner for owner in owners if scores.get(owner, 0.0) < min_score}


def _leave_lists(run, paper_id, owners):
    """Take ``paper_id`` out of these papers' lists, the entries below it moving up (the
    lists are locked by the caller). Returns the number of lists changed."""
    for owner in owners:
        row = RelatedPaper.objects.filter(run=run, paper_id=owner, related_id=paper_id).first()
        if row is None:
            continue
        row.delete()
        RelatedPaper.objects.filter(run=run, paper_id=owner, rank__gt=row.rank).update(
            rank=F("rank") - 1
        )
    return len(owners)


# Where placement reads a paper's co-ratings ({other id: readers who rated both highly}):
# the reviews app, above this one, registers its function at start-up.
_co_ratings_of = None


def register_co_ratings(function):
    """Let placement blend co-ratings as rebuilds do: ``function(paper_id)`` returns
    {other paper id: readers who rated both highly} (``reviews.ratings.co_rated_with``)."""
    global _co_ratings_of
    _co_ratings_of = function


def _insert_into_lists(run, paper_id, joins, lists):
    """Put the paper into each list of ``joins`` ({other id: [score, reason, detail]})
    where it beats that list's last entry (or the list has room); a cold-start fill entry
    always gives way. Returns the number of lists changed."""
    current = {}
    rows = RelatedPaper.objects.filter(run=run, paper_id__in=list(joins))
    for row in rows.exclude(related_id=paper_id):
        current.setdefault(row.paper_id, []).append(row)
    changed = []
    for other, (score, reason, detail) in sorted(joins.items()):
        entries = sorted(current.get(other, []), key=lambda row: row.rank)
        real = [row for row in entries if row.reason not in FILL_REASONS]
        if len(real) >= lists.shown and score <= real[-1].score:
            continue
        new = RelatedPaper(
            run=run,
            paper_id=other,
            related_id=paper_id,
            score=score,
            reason=reason,
            detail=(detail or lists._terms(other, paper_id, reason))[:300],
            rank=0,
        )
        ordered = sorted(real + [new], key=lambda row: -row.score)
        ordered += [row for row in entries if row.reason in FILL_REASONS]
        for rank, row in enumerate(ordered[: lists.shown], start=1):
            row.pk, row.rank = None, rank
        changed.append((other, ordered[: lists.shown]))
    if changed:
        RelatedPaper.objects.filter(
            run=run, paper_id__in=[other for other, _rows in changed]
        ).delete()
        RelatedPaper.objects.bulk_create([row for _other, rows in changed for row in rows])
    return len(changed)


FILL_REASONS = {RelatedPaper.Reason.CATEGORY_BEST, RelatedPaper.Reason.CATALOGUE_BEST}
# The entries that placing their paper again re-checks (the others, shared authors and
# co-ratings, change with the authors and ratings, which rebuild them).
LEAVING_REASONS = {RelatedPaper.Reason.CONTENT, RelatedPaper.Reason.CITATIONS}


def related_papers(paper_id):
    """The "Recommended" list of one paper as evaluated rows (one query)."""
    return list(RelatedPaper.objects.for_paper(paper_id)[: settings.RELATED_PAPERS_SHOWN])
