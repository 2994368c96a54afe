"""Citation neighbours: papers that cite the same papers (bibliographic coupling) and papers
that are cited together (co-citation), from the catalogue's resolved reference links.

Both are counts over the citation matrix C (C[a, b] = 1 when a cites b): coupling is
C·Cᵀ (references two papers share), co-citation Cᵀ·C (papers citing both). Each count is
normalised by the two papers' degrees (Salton's cosine, so a review citing 400 papers does
not couple with everything), and the two are summed into one score in [0, 2]. ``papers.
recommend`` adds ``CITATION_WEIGHT`` × that score to the content score of a related list.

Measured on the Paperscape arXiv graph (bench/citation_recall.py: 20 % of each paper's
references hidden, are they in its top 10?): see bench/README.md.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.db.models import Count

from papers.models import Reference

# Citation neighbours kept per paper, best first.
PER_PAPER = 30
# Rows of the citation matrix multiplied at once (bounds the products' memory).
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class CitationLink:
    """Why two papers are citation neighbours: references they share, papers citing both."""

    shared_references: int
    cited_together: int
    score: float

    @property
    def detail(self):
        """The human half of the reason shown beside a related paper."""
        parts = []
        if self.shared_references:
            n = self.shared_references
            parts.append(f"both cite {n} paper{'s' if n != 1 else ''}")
        if self.cited_together:
            n = self.cited_together
            parts.append(f"cited together by {n} paper{'s' if n != 1 else ''}")
        return "; ".join(parts)


def neighbours_from_links(links, *, per_paper=PER_PAPER, only=None):
    """{paper id: {other id: CitationLink}} of every paper in ``links``, an iterable of
    (citing id, cited id) pairs (duplicates and self-citations ignored), or of the papers
    in ``only`` (a rebuild's chunk); ``per_paper`` best kept per paper. Pure: the rebuild
    passes the catalogue's links, the bench a corpus's."""
    pairs = {(a, b) for a, b in links if a != b}
    if not pairs:
        return {}
    ids = sorted({p for pair in pairs for p in pair})
    row = {paper_id: i for i, paper_id in enumerate(ids)}
    citing = np.fromiter((row[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
    cited = np.fromiter((row[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
    n = len(ids)
    c = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (citing, cited)), shape=(n, n))
    ct = c.T.tocsr()
    out_degree = np.asarray(c.sum(axis=1)).ravel()
    in_degree = np.asarray(c.sum(axis=0)).ravel()
    wanted = np.arange(n) if only is None else np.array(sorted(row[p] for p in only if p in row))
    result = {}
    for start in range(0, len(wanted), CHUNK):
        rows = wanted[start : start + CHUNK]
        coupled = (c[rows] @ ct).tocsr()  # shared references
        cocited = (ct[rows] @ c).tocsr()  # shared citing papers
        for offset, i in enumerate(rows.tolist()):
            links_of = _row_links(
                i, coupled, cocited, offset, out_degree, in_degree, ids, per_paper
            )
            if links_of:
                result[ids[i]] = links_of
    return result


def _row_links(i, coupled, cocited, offset, out_degree, in_degree, ids, per_paper):
    counts = {}
    for matrix, degree, slot in ((coupled, out_degree, 0), (cocited, in_degree, 1)):
        lo, hi = matrix.indptr[offset], matrix.indptr[offset + 1]
        for j, value in zip(matrix.indices[lo:hi], matrix.data[lo:hi], strict=True):
            if j == i:
                continue
            entry = counts.setdefault(int(j), [0, 0, 0.0])
            entry[slot] = int(value)
            entry[2] += float(value) / float(np.sqrt(degree[i] * degree[j]))
    best = sorted(counts.items(), key=lambda item: (-item[1][2], item[0]))[:per_paper]
    return {ids[j]: CitationLink(s, t, round(score, 6)) for j, (s, t, score) in best}


def catalogue_neighbours(only=None):
    """Every catalogue paper's citation neighbours, or those of the papers in ``only``
    (``neighbours_from_links`` over the catalogue's resolved references, read as plain
    pairs in one streamed query)."""
    links = Reference.objects.filter(cited__isnull=False).values_list("citing_id", "cited_id")
    return neighbours_from_links(links.iterator(chunk_size=20000), only=only)


def neighbours_of(paper_id, *, per_paper=PER_PAPER):
    """{other id: CitationLink} of one paper, best first, read from the database for
    placement: four grouped queries, whatever the catalogue's size (no matrix).
    ``per_paper`` best kept; None keeps every paper it has a link with."""
    references = Reference.objects.filter(citing_id=paper_id, cited__isnull=False)
    citers = Reference.objects.filter(cited_id=paper_id)
    cited_ids = references.values("cited_id")
    citing_ids = citers.values("citing_id")
    coupled = dict(
        Reference.objects.filter(cited_id__in=cited_ids)
        .exclude(citing_id=paper_id)
        .values("citing_id")
        .annotate(n=Count("cited_id", distinct=True))
        .values_list("citing_id", "n")
    )
    cocited = dict(
        Reference.objects.filter(citing_id__in=citing_ids, cited__isnull=False)
        .exclude(cited_id=paper_id)
        .values("cited_id")
        .annotate(n=Count("citing_id", distinct=True))
        .values_list("cited_id", "n")
    )
    if not coupled and not cocited:
        return {}
    others = coupled.keys() | cocited.keys()
    out_degree = dict(
        Reference.objects.filter(citing_id__in=[paper_id, *others], cited__isnull=False)
        .values("citing_id")
        .annotate(n=Count("cited_id", distinct=True))
        .values_list("citing_id", "n")
    )
    in_degree = dict(
        Reference.objects.filter(cited_id__in=[paper_id, *others])
        .values("cited_id")
        .annotate(n=Count("citing_id", distinct=True))
        .values_list("cited_id", "n")
    )
    links = {}
    for other in others:
        shared, together = coupled.get(other, 0), cocited.get(other, 0)
        score = 0.0
        if shared:
            score += shared / np.sqrt(out_degree[paper_id] * out_degree[other])
        if together:
            score += together / np.sqrt(in_degree[paper_id] * in_degree[other])
        links[other] = CitationLink(shared, together, round(float(score), 6))
    best = sorted(links.items(), key=lambda item: (-item[1].score, item[0]))[:per_paper]
    return dict(best)
