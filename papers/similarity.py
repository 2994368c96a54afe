"""Content similarity between papers: documents in, nearest neighbours out. No ORM here.

``ContentIndex.fit(documents)`` learns the vectors of a catalogue; ``neighbours(k)`` gives
every paper its k most similar others; ``place(document)`` gives a new paper its
neighbours without refitting. ``papers.recommend`` turns these into RelatedPaper rows.

A paper's vector is a TF-IDF of its words and two-word phrases (title weighted above
abstract and keywords), next to its authors, categories and journal as features of their
own; similarity is the cosine of two vectors, computed in chunks of sparse products.
"""

import io
import pickle
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
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


# How much each part of a paper weighs in its vector (the text block is the unit).
TITLE_WEIGHT = 2.0
KEYWORD_WEIGHT = 1.0
TAG_WEIGHTS = {"authors": 0.3, "categories": 0.5, "journal": 0.2}
CHUNK = 2000  # rows per block of the all-pairs product


def _text_vectorizer():
    return TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        stop_words="english",
        min_df=2,
        max_df=0.5,
        dtype=np.float32,
    )


def _tag_vectorizer():
    """Authors, categories, journal: each value is one token, weighed by its rarity."""
    return TfidfVectorizer(
        analyzer=_as_tokens, lowercase=False, sublinear_tf=True, dtype=np.float32
    )


def _as_tokens(values):
    return values  # already one token per value (a module-level function, so it pickles)


def _tags(documents, field):
    if field == "journal":
        return [(d.journal.strip().lower(),) if d.journal.strip() else () for d in documents]
    return [tuple(getattr(d, field)) for d in documents]


class ContentIndex:
    """The fitted vectors of a catalogue."""

    def __init__(self, text, tags, ids, matrix):
        self.text = text  # TfidfVectorizer of title, abstract and keywords
        self.tags = tags  # {"authors": vectorizer, ...}
        self.ids = list(ids)
        self.matrix = matrix  # one L2-normalised row per paper, in self.ids order
        self.row_of = {paper_id: row for row, paper_id in enumerate(self.ids)}

    @classmethod
    def fit(cls, documents):
        """Learn the vocabulary and vectors of these documents. Returns a ContentIndex."""
        documents = list(documents)
        text = _text_vectorizer()
        try:
            text.fit([_all_text(d) for d in documents])
        except ValueError:  # no word seen twice (or no documents): fall back to every word
            text = _text_vectorizer().set_params(min_df=1, max_df=1.0, stop_words=None)
            try:
                text.fit([_all_text(d) for d in documents])
            except ValueError:
                text = None
        tags = {}
        for field in ("authors", "categories", "journal"):
            values = _tags(documents, field)
            if any(values):
                tags[field] = _tag_vectorizer().fit(values)
        index = cls(text, tags, [d.paper_id for d in documents], None)
        index.matrix = index._vectors(documents)
        return index

    def _vectors(self, documents):
        """One L2-normalised row per document (zero rows for documents with nothing known)."""
        blocks = []
        if self.text is not None:
            vocabulary = self.text
            block = (
                TITLE_WEIGHT * vocabulary.transform([d.title for d in documents])
                + vocabulary.transform([d.abstract for d in documents])
                + KEYWORD_WEIGHT * vocabulary.transform(["; ".join(d.keywords) for d in documents])
            )
            blocks.append(normalize(block))
        for field, vectorizer in self.tags.items():
            blocks.append(TAG_WEIGHTS[field] * vectorizer.transform(_tags(documents, field)))
        if not blocks:
            return sp.csr_matrix((len(documents), 1), dtype=np.float32)
        return normalize(sp.hstack(blocks, format="csr", dtype=np.float32))

    def neighbours(self, k=10):
        """Yield (paper_id, [(other_id, score), ...]) for every document, best first, k at
        most, never the paper itself; scores in (0, 1], higher is closer."""
        transposed = self.matrix.T.tocsc()
        for start in range(0, len(self.ids), CHUNK):
            scores = (self.matrix[start : start + CHUNK] @ transposed).toarray()
            rows = np.arange(scores.shape[0])
            scores[rows, rows + start] = 0  # never the paper itself
            for row, best in enumerate(_top(scores, k, self.ids)):
                yield self.ids[start + row], best

    def place(self, document, k=10):
        """[(other_id, score), ...] best first for a document not (or no longer) in the
        fit, and remember it so that later places can find it. Meant to take well under a
        second on a catalogue of 100,000."""
        vector = self._vectors([document])
        row = self.row_of.get(document.paper_id)
        scores = (vector @ self.matrix.T).toarray()
        if row is not None:
            scores[0, row] = 0
        best = _top(scores, k, self.ids)[0]
        if row is None:
            self.row_of[document.paper_id] = len(self.ids)
            self.ids.append(document.paper_id)
            self.matrix = sp.vstack([self.matrix, vector], format="csr")
        else:
            self.matrix = sp.vstack(
                [self.matrix[:row], vector, self.matrix[row + 1 :]], format="csr"
            )
        return best

    def shared_terms(self, paper_id, other_id, n=3):
        """Up to n words or phrases that weigh most in both papers, for the reason shown."""
        if self.text is None or paper_id not in self.row_of or other_id not in self.row_of:
            return []
        width = len(self.text.vocabulary_)
        one = self.matrix[self.row_of[paper_id], :width]
        other = self.matrix[self.row_of[other_id], :width]
        both = one.multiply(other).tocoo()
        order = np.argsort(-both.data, kind="stable")
        terms = self.text.get_feature_names_out()
        chosen = []
        for column in both.col[order]:
            term = terms[column]
            # A word already inside a chosen phrase (or the reverse) says nothing new.
            if any(term in c.split() or c in term.split() for c in chosen):
                continue
            chosen.append(term)
            if len(chosen) == n:
                break
        return chosen

    def dumps(self):
        """The index as bytes, to keep in the database for every worker."""
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @classmethod
    def loads(cls, data):
        return pickle.loads(data)


def _all_text(document):
    return " ".join([document.title, document.abstract, *document.keywords])


def _top(scores, k, ids):
    """For each row of a dense score block, [(id, score), ...] of its k best above 0."""
    k = min(k, scores.shape[1])
    if k == 0:
        return [[] for _ in range(scores.shape[0])]
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    results = []
    for row, columns in enumerate(best):
        values = scores[row, columns]
        order = np.argsort(-values, kind="stable")
        pairs = zip(columns[order], values[order], strict=True)
        results.append([(ids[c], min(float(v), 1.0)) for c, v in pairs if v > 0])
    return results
