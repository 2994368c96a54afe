"""Content similarity between papers: documents in, nearest neighbours out. No ORM here.

``ContentIndex.fit(documents)`` learns the vectors of a catalogue; ``neighbours(k)`` gives
every paper its k most similar others; ``place(document)`` gives a new paper its
neighbours without refitting. ``papers.recommend`` turns these into RelatedPaper rows.
"""

from dataclasses import dataclass


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


class ContentIndex:
    """The fitted vectors of a catalogue. (Interface; the implementation is on its way.)"""

    @classmethod
    def fit(cls, documents):
        """Learn the vocabulary and vectors of these documents. Returns a ContentIndex."""
        raise NotImplementedError

    def neighbours(self, k=10):
        """Yield (paper_id, [(other_id, score), ...]) for every document, best first, k at
        most, never the paper itself; scores in (0, 1], higher is closer."""
        raise NotImplementedError

    def place(self, document, k=10):
        """[(other_id, score), ...] best first for a document not (or no longer) in the
        fit, and remember it so that later places can find it. Meant to take well under a
        second on a catalogue of 100,000."""
        raise NotImplementedError

    def shared_terms(self, paper_id, other_id, n=3):
        """Up to n words or phrases that weigh most in both papers, for the reason shown."""
        raise NotImplementedError

    def dumps(self):
        """The index as bytes, to keep in the database for every worker."""
        raise NotImplementedError

    @classmethod
    def loads(cls, data):
        raise NotImplementedError
