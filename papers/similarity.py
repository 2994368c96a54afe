"""Content similarity between papers: documents in, nearest neighbours out. No ORM here.

``ContentIndex.fit(documents)`` learns the vectors of a catalogue; ``neighbours(k)`` gives
every paper its k most similar others; ``place(document)`` gives a new paper its
neighbours without refitting. ``papers.recommend`` turns these into RelatedPaper rows.

How two papers are compared, top to bottom:

1. Words. A TF-IDF vector of the title (counted twice: a title word says more than an
   abstract word), abstract and keywords, with sublinear term frequency, English stop words
   dropped, words seen in fewer than 2 papers or in more than half of them ignored.
   Authors, categories and the journal are features of their own, one token each, weighed
   by rarity (TAG_WEIGHTS): a shared author is strong evidence, a shared journal weak.
2. Topics. A truncated SVD of those vectors (latent semantic analysis) gives every paper a
   short dense vector. Its first TOPIC_DIMENSIONS say what broad field the paper is in;
   word overlap alone misses that when two papers describe one problem in different words.
3. Score = cosine of the word vectors + TOPIC_WEIGHT x cosine of the topic vectors,
   divided by (1 + TOPIC_WEIGHT) so that it stays in (0, 1]. A neighbour must share at
   least one word or tag. On the arXiv corpus (bench/recommend_quality.py) the share of
   the 10 neighbours in the paper's own primary category is 0.732 this way, 0.688 with
   words alone. Below MIN_TOPIC_PAPERS papers there are no topics: words alone.
4. All pairs, fast. Exact word cosines for every pair would be a 75,000 x 75,000 sparse
   product (minutes, gigabytes). Instead the dense SVD vectors (all CANDIDATE_DIMENSIONS)
   find CANDIDATES likely neighbours per paper with BLAS products in chunks, and only
   those are scored exactly as in 3: the corpus (74,727 papers) in under a minute and
   1.5 GB on 2 cores; ``place()`` in ~25 ms.
5. Sentence embeddings (optional, ``papers.embeddings``). ``with_embeddings`` blends a
   sentence model's unit vectors into the score of every pair whose papers both have one:
   (1 - w) x the score of 3 + w x their cosine; and the CANDIDATES nearest embeddings of a
   paper are candidates too, beside those of 4 (two papers about one thing in other words
   may be far apart in words and topics). On the arXiv corpus this lifts the share of the
   10 neighbours in the paper's own primary category (bench/README.md).
6. Storage. ``dumps()`` keeps the vocabulary (JSON), the SVD axes and the sparse vectors
   (float16 weights) as a compressed NumPy archive; the dense vectors are recomputed on
   ``loads()``, which reads arrays only (no pickle: a stored row can never run code).
"""

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


@dataclass(frozen=True, slots=True)
class Document:
    """What the recommender may read of one paper."""

    paper_id: int
    title: str
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    journal: str = ""
    # Stable keys of the authors (Author ids as text), so that namesakes stay apart.
    authors: tuple[str, ...] = ()


TITLE_REPEAT = 2  # a title word counts as much as two abstract words
TAG_WEIGHTS = {"authors": 0.4, "categories": 0.4, "journal": 0.15}  # the words weigh 1
CANDIDATE_DIMENSIONS = 64  # SVD dimensions used to find candidates
TOPIC_DIMENSIONS = 16  # the first (broadest) of them, used in the score
TOPIC_WEIGHT = 1.5
CANDIDATES = 40  # per paper, scored exactly
MIN_TOPIC_PAPERS = 500  # below this, no topics: words alone, all pairs exact
CHUNK = 2048  # papers per block of the all-pairs product
DOT_ROWS = 1024  # query rows per block of exact candidate scores
# Words that help to match papers but say nothing to a reader as the shared topic.
VAGUE_WORDS = frozenset(
    "using based novel new approach approaches method methods paper propose proposed "
    "results result study studies including use used analysis model models data "
    "show shows present presents work performance different existing".split()
)
# A neighbour at least this close in words, and in topic, is a "close" one (below it, the
# related-papers list takes the cold-start fill): see ContentIndex.close_score.
CLOSE_WORD_COSINE = 0.2
CLOSE_TOPIC_COSINE = 0.8
# With sentence embeddings blended in (with_embeddings), the bar of their cosine: on the
# arXiv corpus 99 % of a paper's 10 nearest embeddings have a cosine of 0.465 or more, and
# with this bar 96 % of the blended 10 best count as close (99 % by content alone).
CLOSE_EMBEDDING_COSINE = 0.4
WORD_OPTIONS = dict(sublinear_tf=True, stop_words="english", dtype=np.float32)
INDEX_FORMAT = "portal-content-index/1"  # what ``dumps`` writes; anything else is refused


class IndexFormatError(ValueError):
    """Stored bytes that are not an index ``ContentIndex.dumps`` wrote (e.g. a pickle)."""


class ContentIndex:
    """The fitted vectors of a catalogue."""

    def __init__(self, *, ids, words, tags, components, vectors, dense):
        self.ids = list(ids)
        self.row_of = {paper_id: row for row, paper_id in enumerate(self.ids)}
        self.words = words  # TfidfVectorizer of title, abstract and keywords (or None)
        self.tags = tags  # {"authors": TfidfVectorizer, ...} for the fields anyone has
        self.components = components  # SVD axes, (dimensions, features), float32
        self.vectors = vectors  # sparse, one L2-normalised row per paper
        self.dense = dense  # (papers, dimensions) float32: SVD vector, topic part scaled
        self._terms = None  # the vocabulary by column, for shared_terms
        # Sentence embeddings blended into the scores (with_embeddings), or None.
        self.embeddings = None  # (papers, width) float32, unit rows, zero without one
        self.embedded = None  # (papers,) bool: which papers have one
        self.embedding_weight = 0.0

    @classmethod
    def fit(cls, documents):
        """Learn the vocabulary and vectors of these documents. Returns a ContentIndex."""
        documents = list(documents)
        words, counted = _fit_words([_text(d) for d in documents])
        tags = {}
        for field in TAG_WEIGHTS:
            values = [_tags(d, field) for d in documents]
            if any(values):
                tags[field] = _tag_vectorizer().fit(values)
        index = cls(ids=[], words=words, tags=tags, components=None, vectors=None, dense=None)
        vectors = index._sparse(documents, words=counted)
        dimensions = min(CANDIDATE_DIMENSIONS, vectors.shape[1] - 1, len(documents) - 1)
        if dimensions >= 1 and len(documents) >= MIN_TOPIC_PAPERS:
            svd = TruncatedSVD(dimensions, algorithm="randomized", n_iter=4, random_state=0)
            components = svd.fit(vectors).components_.astype(np.float32)
        else:  # too few papers to learn topics from (they would be noise): words alone
            components = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        index.components = components
        index._append([d.paper_id for d in documents], vectors)
        return index

    def with_embeddings(self, embeddings, weight):
        """Blend sentence embeddings (``papers.embeddings``) into this index's scores:
        ``embeddings`` has one unit-length row per paper of the index, all zero for a paper
        without one. A pair of papers that both have one is scored (1 - weight) x the
        content score + weight x the cosine of their embeddings; any other pair by content
        alone. Candidates are found by the content vectors and by the embeddings (their
        nearest rows, exactly; a rebuild's chunks get both sets from the nearest-neighbour
        indexes of ``papers.vectors`` instead). Returns the index."""
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape[0] != len(self.ids):
            raise ValueError(f"{embeddings.shape[0]} embeddings for {len(self.ids)} papers")
        self.embeddings, self.embedding_weight = embeddings, float(weight)
        self.embedded = embeddings.any(axis=1)
        return self

    @property
    def close_score(self):
        """The score from which a neighbour counts as close, on this index's scale: with
        topics a pair is scored by words and topic together, so the bar is higher; with
        embeddings blended in, the bar is blended the same way."""
        if not self.components.shape[0]:
            close = CLOSE_WORD_COSINE
        else:
            close = (CLOSE_WORD_COSINE + TOPIC_WEIGHT * CLOSE_TOPIC_COSINE) / (1 + TOPIC_WEIGHT)
        if self.embeddings is None:
            return close
        weight = self.embedding_weight
        return (1 - weight) * close + weight * CLOSE_EMBEDDING_COSINE

    # --- vectors ---

    def _sparse(self, documents, *, words=None):
        """One L2-normalised sparse row per document (all zero if nothing is known);
        ``words``: their word vectors when already computed."""
        blocks = []
        if words is None and self.words is not None:
            words = self.words.transform([_text(d) for d in documents])
        if words is not None:
            blocks.append(words)  # already L2-normalised
        for field, vectorizer in self.tags.items():
            values = [_tags(d, field) for d in documents]
            blocks.append(TAG_WEIGHTS[field] * vectorizer.transform(values))
        if not blocks:
            return sp.csr_matrix((len(documents), 1), dtype=np.float32)
        return normalize(sp.hstack(blocks, format="csr", dtype=np.float32))

    def _densify(self, vectors):
        """The dense vector of each sparse row: the SVD projection, L2-normalised, with its
        first TOPIC_DIMENSIONS repeated (normalised on their own, scaled by the square root
        of TOPIC_WEIGHT), so that one dot product of two rows is cos(svd) + w cos(topic)."""
        if not self.components.shape[0]:  # no topics learnt: candidates by words alone
            return np.zeros((vectors.shape[0], 1), dtype=np.float32)
        projected = np.asarray(vectors @ self.components.T, dtype=np.float32)
        topic = normalize(projected[:, :TOPIC_DIMENSIONS]) * np.sqrt(TOPIC_WEIGHT)
        return np.hstack([normalize(projected), topic]).astype(np.float32)

    def _append(self, ids, vectors):
        for paper_id in ids:
            self.row_of[paper_id] = len(self.ids)
            self.ids.append(paper_id)
        dense = self._densify(vectors)
        if self.vectors is None:
            self.vectors, self.dense = vectors, dense
        else:
            self.vectors = sp.vstack([self.vectors, vectors], format="csr")
            self.dense = np.vstack([self.dense, dense])
        if self.embeddings is not None:  # the new papers have none: scored by content
            width = self.embeddings.shape[1]
            missing = np.zeros((len(ids), width), dtype=np.float32)
            self.with_embeddings(np.vstack([self.embeddings, missing]), self.embedding_weight)

    # --- neighbours ---

    def neighbours(self, k=10):
        """Yield (paper_id, [(other_id, score), ...]) for every document, best first, k at
        most, never the paper itself; scores in (0, 1], higher is closer."""
        for start in range(0, len(self.ids), CHUNK):
            rows = np.arange(start, min(start + CHUNK, len(self.ids)))
            yield from zip(
                (self.ids[r] for r in rows), self._best(rows, k=k, exclude=rows), strict=True
            )

    def _best(self, rows, *, k, exclude):
        """The k best others of these fitted rows (or of these vectors, see place)."""
        return self._rank(
            self.vectors[rows],
            self.dense[rows],
            k=k,
            exclude=exclude,
            embedded=self._embeddings_of(rows),
        )

    def _embeddings_of(self, rows):
        return None if self.embeddings is None else self.embeddings[rows]

    def _rank(self, vectors, dense, *, k, exclude=None, embedded=None):
        """Candidates by the dense vectors, then the exact score of each. Without topics
        (a small catalogue) every paper is a candidate: its word cosine is the dense score."""
        if self.components.shape[0]:
            approximate = dense @ self.dense.T
        else:
            approximate = (vectors @ self.vectors.T).toarray()
        if exclude is not None:
            approximate[np.arange(len(exclude)), exclude] = -np.inf  # never the paper itself
        n = max(CANDIDATES, k + 10)
        candidates = _top_columns(approximate, n)
        excluded = np.take_along_axis(approximate, candidates, 1) == -np.inf
        del approximate  # a rebuild chunk's: as large as the embeddings' products below
        if embedded is not None and self.embeddings is not None:
            nearest, missing = self._nearest_embeddings(embedded, n, exclude)
            candidates = np.hstack([candidates, nearest])
            excluded = np.hstack([excluded, missing]) | repeated_columns(candidates)
        return self._score(vectors, dense, candidates, k=k, excluded=excluded, embedded=embedded)

    def _nearest_embeddings(self, embedded, n, exclude):
        """(columns, left out) of each query row's n nearest sentence embeddings among this
        index's rows, exactly: the second set of candidates when embeddings are blended in.
        Never the paper itself, nor a row without an embedding; a query without one has
        none (all left out)."""
        scores = embedded @ self.embeddings.T
        if exclude is not None:
            scores[np.arange(len(exclude)), exclude] = -np.inf
        scores[:, ~self.embedded] = -np.inf
        columns = _top_columns(scores, n)
        missing = np.take_along_axis(scores, columns, 1) == -np.inf
        return columns, missing | ~embedded.any(axis=1)[:, None]

    def rank_candidates(self, rows, candidates, *, k, excluded=None):
        """The k best of the given candidate rows (an array, one row of row numbers per
        row in ``rows``, found elsewhere: an approximate index), scored exactly; where the
        boolean array ``excluded`` is set, a candidate is left out (the paper itself, or one
        found twice: ``repeated_columns``)."""
        rows = list(rows)
        return self._score(
            self.vectors[rows],
            self.dense[rows],
            candidates,
            k=k,
            excluded=excluded,
            embedded=self._embeddings_of(rows),
        )

    def _score(self, vectors, dense, candidates, *, k, excluded=None, embedded=None):
        """The exact scores of each row's candidate columns; the k best, as _rank says.
        ``embedded``: the query rows' sentence embeddings, blended in (with_embeddings)."""
        words = _row_dots(vectors, self.vectors, candidates)
        exact = words.copy()
        if TOPIC_WEIGHT and self.components.shape[0]:
            topics = dense[:, -TOPIC_DIMENSIONS:]
            others = self.dense[:, -TOPIC_DIMENSIONS:][candidates]
            exact += np.einsum("rd,rcd->rc", topics, others)  # already scaled by the weight
        exact /= 1 + (TOPIC_WEIGHT if self.components.shape[0] else 0)
        if embedded is not None and self.embeddings is not None:
            exact = self._blend(exact, embedded, candidates)
        # A neighbour shares at least a word, an author, a category or the journal (topics
        # alone mean little in a small catalogue); and it is never the paper itself.
        exact[words <= 0] = 0
        if excluded is not None:
            exact[excluded] = 0
        order = np.argsort(-exact, axis=1, kind="stable")[:, :k]
        results = []
        for columns, scores in zip(
            np.take_along_axis(candidates, order, 1),
            np.take_along_axis(exact, order, 1),
            strict=True,
        ):
            results.append(
                [
                    (self.ids[c], min(float(s), 1.0))
                    for c, s in zip(columns, scores, strict=True)
                    if s > 1e-6
                ]
            )
        return results

    def _blend(self, exact, embedded, candidates):
        """(1 - weight) x content + weight x embedding cosine where both papers of a pair
        have an embedding, the content score elsewhere; DOT_ROWS query rows at a time (the
        candidates' embeddings of a whole rebuild chunk would take a gigabyte)."""
        weight, blended = self.embedding_weight, exact.copy()
        for start in range(0, len(candidates), DOT_ROWS):
            rows = slice(start, start + DOT_ROWS)
            columns = candidates[rows]
            cosine = np.einsum("rd,rcd->rc", embedded[rows], self.embeddings[columns])
            both = embedded[rows].any(axis=1)[:, None] & self.embedded[columns]
            blended[rows] = np.where(
                both, (1 - weight) * exact[rows] + weight * cosine, exact[rows]
            )
        return blended

    def place(self, document, k=10):
        """[(other_id, score), ...] best first for a document not (or no longer) in the
        fit, and remember it so that later places can find it. Meant to take well under a
        second on a catalogue of 100,000."""
        vectors = self._sparse([document])
        row = self.row_of.get(document.paper_id)
        if row is not None:  # a new version of a known paper: replace its vectors
            self.vectors = sp.vstack(
                [self.vectors[:row], vectors, self.vectors[row + 1 :]], format="csr"
            )
            self.dense[row] = self._densify(vectors)[0]
            return self._best([row], k=k, exclude=[row])[0]
        best = self._rank(vectors, self._densify(vectors), k=k)[0]
        self._append([document.paper_id], vectors)
        return best

    def vectorize(self, documents):
        """(sparse rows, dense rows) of these documents in this index's space, as stored
        per paper by ``papers.vectors``; the index itself is left as it is."""
        vectors = self._sparse(list(documents))
        return vectors, self._densify(vectors)

    def with_rows(self, ids, vectors, dense):
        """A new index of the same fitted space holding only these papers' rows (e.g. a
        placed paper and its candidates, read from the database)."""
        index = type(self)(
            ids=ids,
            words=self.words,
            tags=self.tags,
            components=self.components,
            vectors=vectors,
            dense=dense,
        )
        index._terms = self._terms  # the vocabulary as an array, when already built
        return index

    def scores_of(self, paper_id, other_ids):
        """[(other_id, score), ...] of these papers of the index against ``paper_id``, best
        first; a paper sharing nothing with it is left out (score 0)."""
        others = [self.row_of[o] for o in other_ids if o in self.row_of and o != paper_id]
        if not others:
            return []
        return self.rank_candidates([self.row_of[paper_id]], np.array([others]), k=len(others))[0]

    def neighbours_of(self, paper_id, k=10):
        """[(other_id, score), ...] best first among this index's rows, never itself."""
        row = self.row_of[paper_id]
        return self._best([row], k=k, exclude=[row])[0]

    @property
    def has_topics(self):
        """False below MIN_TOPIC_PAPERS: the dense vectors are then empty and candidates
        are found by words over every paper."""
        return bool(self.components.shape[0])

    @property
    def feature_count(self):
        return self.components.shape[1]

    def shared_terms(self, paper_id, other_id, n=3):
        """Up to n words or phrases that weigh most in both papers, for the reason shown."""
        if self.words is None or paper_id not in self.row_of or other_id not in self.row_of:
            return []
        # Straight from the CSR arrays: called for every row of a rebuild, and slicing the
        # matrix costs ~50x more.
        return self._shared(self._row(self.row_of[paper_id]), self.row_of[other_id], n)

    def shared_terms_with(self, vector, other_id, n=3):
        """``shared_terms`` between a query's sparse row (``vectorize``; not in this index)
        and a paper of this index."""
        if self.words is None or other_id not in self.row_of:
            return []
        vector = sp.csr_matrix(vector)
        return self._shared((vector.indices, vector.data), self.row_of[other_id], n)

    def query_words(self, vector):
        """The words of the vocabulary a query's sparse row holds (numbers left out)."""
        if self.words is None:
            return []
        terms = self._vocabulary()
        columns = sp.csr_matrix(vector).indices
        return [str(terms[c]) for c in columns[columns < len(terms)] if _has_letter(terms[c])]

    def rank_vectors(self, vectors, dense, *, k):
        """[(paper_id, score), ...] best first, k at most, of this index's rows for a query
        that is not one of them (one sparse row and its dense row, from ``vectorize``):
        every row is scored exactly, as a neighbour is (words + topics, a shared word or
        tag required)."""
        if not self.ids:
            return []
        rows = np.arange(len(self.ids))[None, :]
        return self._score(sp.csr_matrix(vectors), np.atleast_2d(dense), rows, k=k)[0]

    def _vocabulary(self):
        if self._terms is None:  # built once: the vocabulary as an array is slow to make
            self._terms = self.words.get_feature_names_out()
        return self._terms

    def _shared(self, one, other_row, n):
        """The shared words of a row given as (columns, weights) and row ``other_row``."""
        self._vocabulary()
        (one_columns, one_weights), (other_columns, other_weights) = one, self._row(other_row)
        columns, mine, theirs = np.intersect1d(
            one_columns, other_columns, assume_unique=True, return_indices=True
        )
        words = columns < len(self._terms)  # the word columns come first, then the tags
        weights = (one_weights[mine] * other_weights[theirs])[words]
        order = np.argsort(-weights, kind="stable")
        shared = (str(self._terms[c]) for c in columns[words][order])
        return [term for term in shared if term not in VAGUE_WORDS][:n]

    def _row(self, row):
        start, stop = self.vectors.indptr[row], self.vectors.indptr[row + 1]
        return self.vectors.indices[start:stop], self.vectors.data[start:stop]

    # --- storage ---

    def dumps(self, *, rows=True):
        """The index as bytes: NumPy arrays in an ``np.savez_compressed`` archive (sparse
        weights and SVD axes as float16; the dense vectors are recomputed), and the
        vocabularies as JSON. Nothing in it is code. ``rows=False``: the fitted model alone
        (vocabularies, weights, axes), the papers' vectors being kept elsewhere
        (``papers.vectors`` keeps them in the database, one row per paper)."""
        vectors = self.vectors if rows else sp.csr_matrix((0, self.feature_count))
        meta = {
            "format": INDEX_FORMAT,
            "shape": list(vectors.shape),
            "words": _terms_of(self.words) if self.words is not None else None,
            "tags": {field: _terms_of(vectorizer) for field, vectorizer in self.tags.items()},
        }
        arrays = {
            "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            "ids": np.asarray(self.ids if rows else [], dtype=np.int64),
            "components": self.components.astype(np.float16),
            "indptr": vectors.indptr.astype(np.int64),
            "indices": vectors.indices.astype(np.int32),
            "data": vectors.data.astype(np.float16),
        }
        if self.words is not None:
            arrays["idf_words"] = self.words.idf_.astype(np.float32)
        for field, vectorizer in self.tags.items():
            arrays[f"idf_{field}"] = vectorizer.idf_.astype(np.float32)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def loads(cls, data):
        """The index ``dumps`` wrote. Raises IndexFormatError for anything else (a pickle
        included: arrays are read with allow_pickle=False, so no stored byte runs code)."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            meta = json.loads(arrays.pop("meta").tobytes())
            if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, not {INDEX_FORMAT!r}")
            vectors = sp.csr_matrix(
                (arrays["data"].astype(np.float32), arrays["indices"], arrays["indptr"]),
                shape=tuple(meta["shape"]),
            )
            words = meta["words"]
            words = _word_vectorizer(words, arrays["idf_words"]) if words is not None else None
            tags = {
                field: _tag_vectorizer(vocabulary=terms, idf=arrays[f"idf_{field}"])
                for field, terms in meta["tags"].items()
            }
        except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise IndexFormatError(
                f"not a stored content index ({INDEX_FORMAT}): {error}"
            ) from error
        index = cls(
            ids=[],
            words=words,
            tags=tags,
            components=arrays["components"].astype(np.float32),
            vectors=None,
            dense=None,
        )
        if len(arrays["ids"]):
            index._append(arrays["ids"].tolist(), vectors)
        else:  # the model alone
            index.vectors, index.dense = vectors, np.zeros((0, index.dense_width), np.float32)
        return index

    @property
    def dense_width(self):
        """The length of a dense vector (1 when there are no topics: all zero)."""
        dimensions = self.components.shape[0]
        return dimensions + min(dimensions, TOPIC_DIMENSIONS) if dimensions else 1


# --- helpers ---


def _text(document):
    # The title twice: its words count double against the abstract's.
    return "\n".join([document.title] * TITLE_REPEAT + [document.abstract, *document.keywords])


def _tags(document, field):
    if field == "journal":
        return (document.journal.strip().lower(),) if document.journal.strip() else ()
    return tuple(getattr(document, field))


def _has_letter(term):
    return any(char.isalpha() for char in term)


def _as_tokens(values):
    return values  # already one token per value


def _tag_vectorizer(*, vocabulary=None, idf=None):
    """A tag vectorizer to fit, or (``vocabulary`` and ``idf`` given) a stored one."""
    vectorizer = TfidfVectorizer(
        analyzer=_as_tokens, lowercase=False, dtype=np.float32, vocabulary=vocabulary
    )
    return _with_idf(vectorizer, idf) if vocabulary is not None else vectorizer


def _word_vectorizer(vocabulary, idf):
    """The word vectorizer of a stored index: its vocabulary and weights, as fitted."""
    return _with_idf(TfidfVectorizer(**WORD_OPTIONS, vocabulary=vocabulary), idf)


def _with_idf(vectorizer, idf):
    if len(idf) != len(vectorizer.vocabulary):
        raise ValueError("a vocabulary and its weights differ in length")
    vectorizer.idf_ = idf  # sets the fitted vocabulary too (sklearn's idf_ setter)
    return vectorizer


def _terms_of(vectorizer):
    """The vectorizer's terms in column order (JSON-ready)."""
    return [str(term) for term in vectorizer.get_feature_names_out()]


def _fit_words(texts):
    """The word vocabulary and the texts' vectors; (None, None) when there are no words."""
    for limits in (dict(min_df=2, max_df=0.5), dict(min_df=1, max_df=1.0)):
        # Tiny or odd catalogues (one paper, no word in two papers): every word counts.
        vectorizer = TfidfVectorizer(**WORD_OPTIONS, **limits)
        try:
            return vectorizer, vectorizer.fit_transform(texts)
        except ValueError:
            continue
    return None, None


def _top_columns(scores, n):
    """The columns of each row's n highest scores (any order), by blocks: the best n
    entries lie in the n blocks with the highest maxima, so one pass finds the blocks and
    only those are partitioned (several times faster than argpartition on whole rows)."""
    rows, width = scores.shape
    n = min(n, width)
    block = 64
    if width <= block * n:
        return np.argpartition(-scores, n - 1, axis=1)[:, :n]
    blocks = width // block
    head = scores[:, : blocks * block].reshape(rows, blocks, block).max(axis=2)
    if width > blocks * block:  # the ragged last block
        head = np.hstack([head, scores[:, blocks * block :].max(axis=1, keepdims=True)])
        blocks += 1
    best_blocks = np.argpartition(-head, n - 1, axis=1)[:, :n]
    columns = (best_blocks[:, :, None] * block + np.arange(block)).reshape(rows, -1)
    beyond = columns >= width  # past the end of the ragged last block
    columns[beyond] = 0
    values = np.take_along_axis(scores, columns, 1)
    values[beyond] = -np.inf
    chosen = np.argpartition(-values, n - 1, axis=1)[:, :n]
    return np.take_along_axis(columns, chosen, 1)


def repeated_columns(columns):
    """True where a row's entry equals an earlier entry of the same row: a candidate that
    two methods both found, to be scored once (see ``ContentIndex.rank_candidates``)."""
    order = np.argsort(columns, axis=1, kind="stable")  # equal entries keep their order
    ordered = np.take_along_axis(columns, order, 1)
    repeated = np.zeros(columns.shape, dtype=bool)
    repeated[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    found = np.empty_like(repeated)
    np.put_along_axis(found, order, repeated, 1)
    return found


def _row_dots(queries, matrix, columns):
    """Exact sparse dot products: result[r, c] = queries[r] . matrix[columns[r, c]]; in
    blocks of DOT_ROWS query rows, so that a rebuild chunk's 20,000 × 31 products do not
    hold two copies of 620,000 sparse rows at once."""
    rows, n = columns.shape
    result = np.empty((rows, n), dtype=np.float32)
    for start in range(0, rows, DOT_ROWS):
        block = columns[start : start + DOT_ROWS]
        left = queries[np.repeat(np.arange(start, start + len(block)), n)]
        right = matrix[block.ravel()]
        result[start : start + len(block)] = np.asarray(
            left.multiply(right).sum(axis=1), dtype=np.float32
        ).reshape(len(block), n)
    return result
