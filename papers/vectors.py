"""Paper vectors as data, and the nearest-neighbour index over them, shared by every process.

A full rebuild (``papers.recommend.rebuild_related``) fits a ``papers.similarity``
ContentIndex and keeps three things, none of them pickled:

- the fitted model (vocabularies, their weights, the topic axes) as a file in the storage
  (``save_space``: a NumPy archive read with ``allow_pickle=False`` and JSON), named by a
  VectorSpace row;
- every paper's vectors, one PaperVector row each (``write_vectors``): the dense vector as
  float32 bytes, and the sparse word and tag weights;
- an approximate nearest-neighbour index of the dense vectors (``build_index``, LIBRARY),
  as a file in the storage named by a VectorIndex row: that row is its version; beside it,
  the year, retraction and categories of each indexed paper (``papers.index_columns``),
  which a filtered "find papers like this" tests its candidates against;
- with the sentence-embedding extra (``papers.embeddings``), a second such index, of the
  papers' embeddings, built at the same time and named by the same row
  (``VectorIndex.embeddings_file``): a rebuild's chunks and a placement take the nearest
  embeddings as candidates too (``nearest_embedded_many``, ``nearest_embedded``). A
  process loads it only when it asks for those (web processes do not).

Placing a paper (``papers.recommend.place_paper``) writes its PaperVector row at once, so
any worker on any machine sees it; ``nearest`` asks the current index (each process loads
the file once per version, and again when a newer version appears) and searches exactly,
beside it, the vectors written since the index read them, so no placed paper is invisible
until the next build (``build_vector_index``, a Celery task) folds them in.

The storage is Django's (``STORAGES["default"]``): files under MEDIA_ROOT by default, S3
or similar in production through django-storages (see the README).
"""

import logging
import os
import tempfile
import time
from datetime import timedelta

import numpy as np
import scipy.sparse as sp
from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from papers import embeddings
from papers.index_columns import IndexColumns
from papers.models import PaperVector, VectorIndex, VectorSpace
from papers.rows import ColumnIn, analyze, insert_tuples
from papers.similarity import ContentIndex, IndexFormatError

logger = logging.getLogger(__name__)

LIBRARY = "hnswlib"
STORAGE_FOLDER = "vectors"
# HNSW parameters, chosen on the arXiv corpus (bench/vector_index.py): recall@10 against
# exact search 0.99 at these values.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
# Vectors written this long before an index build started its read are searched exactly
# beside it too: a placement whose transaction was still open when the read began.
FRESH_OVERLAP = timedelta(minutes=10)
WRITE_BATCH = 5000
FEW_ROWS = 10000
EXACT_BLOCK = 2048  # query rows per product of an exact search


# --- the fitted model ---------------------------------------------------------------------


def save_space(index, *, paper_count):
    """Store the fitted model of ``index`` (no paper vectors) in the storage; returns its
    new VectorSpace row."""
    data = index.dumps(rows=False)
    name = default_storage.save(
        f"{STORAGE_FOLDER}/space-{timezone.now():%Y%m%d-%H%M%S}.npz", ContentFile(data)
    )
    return VectorSpace.objects.create(
        file=name, dimensions=index.dense_width, paper_count=paper_count
    )


def delete_space(space):
    """A space, its vectors, its index rows and its files."""
    for built in space.indexes.all():
        _delete_files(built)
    default_storage.delete(space.file)
    space.delete()


def delete_unused_spaces():
    """Delete the spaces no recommendation run names any more (older runs are deleted by
    the rebuild that replaces them), with their files."""
    for space in VectorSpace.objects.filter(runs__isnull=True):
        delete_space(space)


_models = {}  # (space id, file) -> ContentIndex without rows, per process


def model_of(space):
    """The fitted model of a space (a ContentIndex holding no paper), from this process's
    memory or the storage; None when its file is missing or not a model (logged)."""
    # The file name too: a database restored from a copy (or a test's) reuses ids.
    key = (space.pk, space.file)
    if key not in _models:
        try:
            with default_storage.open(space.file, "rb") as file:
                model = ContentIndex.loads(file.read())
        except (OSError, IndexFormatError):
            logger.exception("The model of vector space %s cannot be read", space.pk)
            return None
        _models.clear()  # one space is current at a time
        _models[key] = model
    return _models[key]


# --- the vectors table --------------------------------------------------------------------


def write_vectors(space, ids, vectors, dense, *, before_current=False):
    """Insert or replace the PaperVector rows of these papers (sparse ``vectors`` and
    ``dense`` rows in ``ids`` order) in one transaction. Returns how many.

    ``before_current``: a rebuild writing a new space before its run is current, so no
    placement writes into it meanwhile and the index built next holds every row: the rows
    are dated before that build's FRESH_OVERLAP, so that searches do not scan all of them
    exactly beside the index (``nearest``) until an hourly build comes after them."""
    vectors = sp.csr_matrix(vectors, dtype=np.float32)
    dense = np.ascontiguousarray(dense, dtype=np.float32)
    now = timezone.now()
    if before_current:
        now -= FRESH_OVERLAP + timedelta(seconds=1)
    rows = []
    for row, paper_id in enumerate(ids):
        start, stop = vectors.indptr[row], vectors.indptr[row + 1]
        rows.append(
            (
                space.pk,
                paper_id,
                dense[row].tobytes(),
                vectors.indices[start:stop].astype(np.int32).tobytes(),
                vectors.data[start:stop].astype(np.float32).tobytes(),
                now,
            )
        )
    with transaction.atomic():
        PaperVector.objects.filter(space=space, paper_id__in=list(ids)).delete()
        for start in range(0, len(rows), WRITE_BATCH):
            _insert(rows[start : start + WRITE_BATCH])
    return len(rows)


VECTOR_COLUMNS = ("space_id", "paper_id", "dense", "term_columns", "term_weights", "updated_at")


def _insert(rows):
    """A rebuild writes a row per paper: by COPY on PostgreSQL (``papers.rows``)."""
    insert_tuples(PaperVector, VECTOR_COLUMNS, rows)


def read_vectors(space, paper_ids=None, *, since=None, id_range=None):
    """(ids, sparse rows, dense rows) of these papers (or all, or those written ``since``,
    or those with ids in ``id_range``, both ends included) in a space, in id order. One
    query, or one per FEW_ROWS papers asked for by id (a rebuild chunk's candidates)."""
    rows = PaperVector.objects.filter(space=space).order_by("paper_id")
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    if id_range is not None:
        rows = rows.filter(paper_id__gte=id_range[0], paper_id__lte=id_range[1])
    rows = rows.values_list("paper_id", "dense", "term_columns", "term_weights")
    if paper_ids is None:
        # All of a space's rows (a build) through a server-side cursor; those written since
        # the index in one round trip.
        selected = rows if since is not None else rows.iterator(chunk_size=10000)
    else:
        paper_ids = sorted(set(paper_ids))
        batches = [paper_ids[i : i + FEW_ROWS] for i in range(0, len(paper_ids), FEW_ROWS)]
        selected = (row for batch in batches for row in rows.filter(ColumnIn("paper_id", batch)))
    ids, dense, columns, weights, indptr = [], [], [], [], [0]
    for paper_id, vector, term_columns, term_weights in selected:
        ids.append(paper_id)
        dense.append(np.frombuffer(bytes(vector), dtype=np.float32))
        columns.append(np.frombuffer(bytes(term_columns), dtype=np.int32))
        weights.append(np.frombuffer(bytes(term_weights), dtype=np.float32))
        indptr.append(indptr[-1] + len(columns[-1]))
    width = space.dimensions or 1
    dense = np.vstack(dense) if dense else np.zeros((0, width), dtype=np.float32)
    return ids, (columns, weights, indptr), dense


def read_dense(space):
    """(ids, dense rows) of every paper of a space, in id order: what an index build needs
    (a million papers' sparse rows would not fit beside it). One streamed query."""
    rows = PaperVector.objects.filter(space=space).order_by("paper_id")
    ids, dense = [], []
    for paper_id, vector in rows.values_list("paper_id", "dense").iterator(chunk_size=10000):
        ids.append(paper_id)
        dense.append(np.frombuffer(bytes(vector), dtype=np.float32))
    width = space.dimensions or 1
    return ids, (np.vstack(dense) if dense else np.zeros((0, width), dtype=np.float32))


def local_index(model, space, paper_ids):
    """A ContentIndex of the model's space holding only these papers' stored rows (those
    that have one): what a placement scores exactly. One query."""
    ids, (columns, weights, indptr), dense = read_vectors(space, paper_ids)
    vectors = sp.csr_matrix(
        (
            np.concatenate(weights) if weights else np.zeros(0, np.float32),
            np.concatenate(columns) if columns else np.zeros(0, np.int32),
            np.asarray(indptr),
        ),
        shape=(len(ids), model.feature_count),
    )
    vectors.check_format(full_check=True)  # rows of another model would index past its end
    return model.with_rows(ids, vectors, dense)


# --- the nearest-neighbour index ----------------------------------------------------------


def build_ann(ids, vectors):
    """An HNSW index (inner product) of these dense vectors, labelled by paper id."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ann = empty_ann(vectors.shape[1], len(ids))
    if len(ids):
        ann.add_items(vectors, np.asarray(ids, dtype=np.int64))
    return ann


def empty_ann(dimensions, capacity):
    """An empty HNSW index (inner product) for up to ``capacity`` vectors."""
    import hnswlib

    ann = hnswlib.Index(space="ip", dim=dimensions)
    ann.init_index(
        max_elements=max(capacity, 1),
        M=HNSW_M,
        ef_construction=HNSW_EF_CONSTRUCTION,
        random_seed=0,
    )
    ann.set_ef(HNSW_EF_SEARCH)
    return ann


def search_ann(ann, vector, k):
    """(paper ids, inner products) of the k nearest (fewer when the index is smaller)."""
    k = min(k, ann.get_current_count())
    if k == 0:
        return [], []
    labels, distances = ann.knn_query(np.asarray(vector, dtype=np.float32)[None, :], k=k)
    # hnswlib's "ip" distance is 1 - inner product.
    return labels[0].tolist(), (1 - distances[0]).tolist()


def _ann_bytes(ann):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "index.bin")
        ann.save_index(path)
        with open(path, "rb") as file:
            return file.read()


def _ann_from(data, dimensions):
    import hnswlib

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "index.bin")
        with open(path, "wb") as file:
            file.write(data)
        ann = hnswlib.Index(space="ip", dim=dimensions)
        ann.load_index(path)
    ann.set_ef(HNSW_EF_SEARCH)
    return ann


def refresh_statistics():
    """Have the database's planner count the vectors again (ANALYZE), once a space's rows
    are written. A new space's rows are invisible to it until autovacuum's next analyze,
    and meanwhile it takes the new space for a rare one: at 1,000,000 papers, reading a
    rebuild chunk's candidates by (space, paper ids) then filtered the whole space through
    the space_id index, 10-15 s a query instead of milliseconds."""
    analyze(PaperVector)


def build_index(space):
    """Build the nearest-neighbour index of every vector of ``space``, save it in the
    storage and record it as the space's newest VectorIndex (the version every process
    loads next). Vectors written after the read began are searched exactly beside it.
    Safe to run twice: the newer build wins, older files are deleted. Returns the row."""
    started = time.perf_counter()
    read_at = timezone.now()
    ids, dense = read_dense(space)
    ann = build_ann(ids, dense)
    name = default_storage.save(
        f"{STORAGE_FOLDER}/index-{space.pk}-{read_at:%Y%m%d-%H%M%S}.hnsw",
        ContentFile(_ann_bytes(ann)),
    )
    columns = IndexColumns.read(ids)
    default_storage.save(_columns_name(name), ContentFile(columns.to_bytes()))
    similar = build_embedding_ann(ids) if embeddings.enabled() else None
    embeddings_file = ""
    if similar is not None:
        embeddings_file = default_storage.save(
            f"{name}.embeddings.hnsw", ContentFile(_ann_bytes(similar))
        )
    built = VectorIndex.objects.create(
        space=space,
        file=name,
        embeddings_file=embeddings_file,
        library=f"{LIBRARY} {_library_version()}",
        paper_count=len(ids),
        vectors_read_at=read_at,
        build_seconds=time.perf_counter() - started,
    )
    _loaded.clear()
    _loaded[space.pk] = (built.file, ann, columns)  # this process has them already
    _loaded_embeddings.clear()
    if similar is not None:
        _loaded_embeddings[embeddings_file] = similar
    delete_old_indexes(space, keep=built)
    return built


def build_embedding_ann(ids):
    """An HNSW index of the sentence embeddings of these papers (those that have one),
    labelled by paper id, read and added embeddings.READ_BATCH papers at a time (so a
    million papers' vectors are never held beside it)."""
    ann = empty_ann(embeddings.MODEL_DIMENSIONS, len(ids))
    for start in range(0, len(ids), embeddings.READ_BATCH):
        batch = np.asarray(ids[start : start + embeddings.READ_BATCH], dtype=np.int64)
        matrix = embeddings.read_embeddings(batch.tolist())
        has = matrix.any(axis=1)
        if has.any():
            ann.add_items(matrix[has], batch[has])
    return ann


def _columns_name(index_name):
    return f"{index_name}.columns.npz"


def delete_old_indexes(space, *, keep):
    """Drop the older index rows of a space and their files (a process that still holds
    one in memory keeps using it until it sees the new version)."""
    for old in VectorIndex.objects.filter(space=space, pk__lt=keep.pk):
        _delete_files(old)
        old.delete()


def _delete_files(built):
    for name in (built.file, _columns_name(built.file), built.embeddings_file):
        if name:
            default_storage.delete(name)


def _library_version():
    from importlib.metadata import version

    return version(LIBRARY)


@shared_task
def build_vector_index(space_id=None):
    """Build the index of a space (default: the current run's), folding in the papers
    placed since the last build. Run by a full rebuild and hourly by beat."""
    space = VectorSpace.objects.filter(pk=space_id).first() if space_id else current_space()
    if space is None:
        return None
    return build_index(space).pk


def current_space():
    """The space of the newest finished recommendation run, or None."""
    from papers.models import RecommendationRun

    run = (
        RecommendationRun.objects.filter(status=RecommendationRun.Status.FINISHED)
        .order_by("-finished_at", "-id")
        .select_related("space")
        .first()
    )
    return run.space if run else None


_loaded = {}  # space id -> (VectorIndex file, the loaded index, its IndexColumns), per process


def loaded_index(space):
    """(VectorIndex row or None, the loaded index or None) of a space: its newest version,
    from this process's memory, or read from the storage when a newer one was built. One
    query when the version is unchanged."""
    newest = VectorIndex.objects.filter(space=space).order_by("-id").first()
    if newest is None:
        return None, None
    held = _loaded.get(space.pk)
    if held is None or held[0] != newest.file:  # a new version (file names are unique)
        try:
            with default_storage.open(newest.file, "rb") as file:
                ann = _ann_from(file.read(), space.dimensions)
        except (OSError, RuntimeError):
            logger.exception("Vector index %s cannot be read; searching exactly", newest.pk)
            return None, None
        _loaded.clear()
        _loaded[space.pk] = (newest.file, ann, _read_columns(newest))
        held = _loaded[space.pk]
    return newest, held[1]


_loaded_embeddings = {}  # embeddings file -> the loaded index of embeddings, per process


def loaded_embedding_index(built):
    """The index of sentence embeddings built beside ``built`` (a VectorIndex row), from
    this process's memory or the storage; None when there is none (built without the
    extra) or it cannot be read (logged: placement then takes content candidates alone)."""
    if built is None or not built.embeddings_file:
        return None
    ann = _loaded_embeddings.get(built.embeddings_file)
    if ann is None:
        try:
            with default_storage.open(built.embeddings_file, "rb") as file:
                ann = _ann_from(file.read(), embeddings.MODEL_DIMENSIONS)
        except (OSError, RuntimeError):
            logger.exception("Embedding index of vector index %s cannot be read", built.pk)
            return None
        _loaded_embeddings.clear()  # one version at a time
        _loaded_embeddings[built.embeddings_file] = ann
    return ann


def _read_columns(built):
    """The IndexColumns saved beside an index, or None (an index built before they were,
    or an unreadable file: filtered searches then check their candidates in the database)."""
    try:
        with default_storage.open(_columns_name(built.file), "rb") as file:
            return IndexColumns.from_bytes(file.read())
    except (OSError, ValueError, KeyError):
        logger.warning("Vector index %s has no readable columns file", built.pk)
        return None


def loaded_columns(space):
    """(VectorIndex row, the loaded index, its IndexColumns), None in place of each that is
    missing: what a filtered search tests its candidates against. Loads the newest version
    as ``loaded_index`` does (one query when unchanged)."""
    built, ann = loaded_index(space)
    held = _loaded.get(space.pk) if ann is not None else None
    return built, ann, (held[2] if held else None)


def fresh_vectors(space, built):
    """(ids, dense rows) of the vectors written since the index ``built`` read them (every
    vector when None): what a search scores exactly beside the index. One query."""
    since = built.vectors_read_at - FRESH_OVERLAP if built else None
    ids, _sparse, dense = read_vectors(space, since=since)
    return ids, dense


def nearest(space, vector, n, *, exclude=()):
    """The ids of about the n papers of ``space`` whose dense vectors are nearest to
    ``vector`` (inner product): the current index's answer, merged with an exact search of
    the vectors written since it read them (all of the space's vectors when no index is
    built yet). Papers in ``exclude`` are left out. Two or three queries."""
    built, ann = loaded_index(space)
    fresh_ids, fresh_dense = fresh_vectors(space, built)
    scores = {}
    if ann is not None:
        for paper_id, score in zip(*search_ann(ann, vector, n + len(exclude)), strict=True):
            scores[paper_id] = score
    if fresh_ids:
        # A fresh vector replaces what the index holds for that paper (its content changed).
        for paper_id, score in zip(fresh_ids, (fresh_dense @ vector).tolist(), strict=True):
            scores[paper_id] = score
    for paper_id in exclude:
        scores.pop(paper_id, None)
    return sorted(scores, key=lambda paper_id: -scores[paper_id])[:n]


def nearest_many(space, queries, n):
    """For each row of ``queries`` (dense vectors of ``space``), the ids of about the n
    papers nearest to it, as an array of shape (rows, n or fewer): the current index's
    answer in one batched call (every core), or an exact search of the space's vectors
    when it has no readable index. What a rebuild's chunk asks, just after the build."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    _built, ann = loaded_index(space)
    if ann is not None:
        k = min(n, ann.get_current_count())
        if k == 0:
            return np.zeros((len(queries), 0), np.int64)
        return ann.knn_query(queries, k=k)[0].astype(np.int64)  # hnswlib's labels: uint64
    ids, dense = read_dense(space)
    ids = np.asarray(ids, dtype=np.int64)
    k = min(n, len(ids))
    found = []
    for start in range(0, len(queries), EXACT_BLOCK):
        scores = queries[start : start + EXACT_BLOCK] @ dense.T
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k else scores[:, :0]
        order = np.argsort(-np.take_along_axis(scores, best, 1), axis=1, kind="stable")
        found.append(ids[np.take_along_axis(best, order, 1)])
    return np.vstack(found) if found else np.zeros((0, k), np.int64)


def nearest_embedded_many(space, paper_ids, n):
    """For each of these papers, the ids of about the n papers whose sentence embeddings
    are nearest its own (the current embedding index's answer, in one batched call), as an
    array of shape (papers, n or fewer); a paper without an embedding, or every paper when
    the extra is off or no embedding index is built, gets its own id instead (which a
    caller leaves out). What a rebuild's chunk asks beside ``nearest_many``."""
    own = np.asarray(paper_ids, dtype=np.int64)[:, None]
    built, _ann = loaded_index(space) if embeddings.enabled() else (None, None)
    ann = loaded_embedding_index(built)
    k = min(n, ann.get_current_count()) if ann is not None else 0
    if k == 0:
        return own
    queries = embeddings.read_embeddings(paper_ids)
    has = queries.any(axis=1)
    found = np.repeat(own, k, axis=1)
    if has.any():
        found[has] = ann.knn_query(queries[has], k=k)[0]
    return found


def nearest_embedded(space, paper_id, n):
    """The ids of about the n papers whose sentence embeddings are nearest the paper's
    own: the current embedding index's answer merged with an exact search of the
    embeddings written since it was built (a placed paper's included). [] when the paper
    has no embedding, the extra is off or no embedding index is built. Three queries."""
    if not embeddings.enabled():
        return []
    built, _ann = loaded_index(space)
    ann = loaded_embedding_index(built)
    vector = embeddings.read_embeddings([paper_id])[0]
    if ann is None or not vector.any():
        return []
    scores = dict(zip(*search_ann(ann, vector, n + 1), strict=True))
    since = built.vectors_read_at - FRESH_OVERLAP
    fresh_ids, fresh = embeddings.embeddings_since(since, limit=FEW_ROWS)
    scores.update(zip(fresh_ids, (fresh @ vector).tolist(), strict=True))
    scores.pop(paper_id, None)
    return sorted(scores, key=lambda other: -scores[other])[:n]


def all_paper_ids(space):
    return list(PaperVector.objects.filter(space=space).values_list("paper_id", flat=True))
