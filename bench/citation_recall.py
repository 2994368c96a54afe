"""Citations in related lists: do they bring back a paper's hidden references?

    .venv/bin/python bench/citation_recall.py [--queries 2000] [--json FILE]

The Paperscape arXiv citation graph (``../shared/data/corpus/
paperscape_arxiv_1991_1996_citations.jsonl.gz``, 49,264 papers with titles, authors,
categories and 145,674 in-corpus citation links; see bench/data.py for finding it). For
every paper with at least five in-corpus references, 20 % of them (at least one, seed 7)
are hidden: removed from the graph the citation signals are computed from. Over a fixed
random sample of those papers (``--queries``), each method's top 10 (never the paper
itself) is checked for the hidden references:

- recall@10: hidden references found in the top 10 / hidden references (over the sample);
- hit rate: the share of query papers with at least one hidden reference in their top 10;
- p@10: the share of the 10 in the query's primary archive (hep-th, astro-ph...), to see
  that the citations do not pull lists off topic (a list shorter than 10 counts its gaps).

Methods, all through the portal's own code, with no database:
- content: ``papers.similarity.ContentIndex`` over title, authors and categories (the
  corpus has no abstracts), its best 30 candidates ranked by score, as a rebuild does;
- content + citations: the same candidates blended with ``papers.cocitation``'s
  neighbours (bibliographic coupling and co-citation over the visible links) by
  ``papers.recommend.add_citations``, at the portal's CITATION_WEIGHT and at other weights;
- citations alone: the citation neighbours by their score.

Prints numbers, asserts nothing.
"""

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data as shared_data  # noqa: E402

PAPERSCAPE_FILE = Path("corpus") / "paperscape_arxiv_1991_1996_citations.jsonl.gz"
MIN_REFERENCES = 5
HIDDEN_SHARE = 0.2
TOP = 10
WEIGHTS = (0.3, 1.0, 2.0, 3.0, 5.0, 10.0)


def setup_django():
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def load(path):
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def hide_references(papers, rng):
    """(visible links, {query paper number: set of hidden cited numbers}) over numbers."""
    number = {paper["id"]: i for i, paper in enumerate(papers)}
    visible, hidden = [], {}
    for i, paper in enumerate(papers):
        refs = sorted({number[r] for r in paper["refs"] if r in number and r != paper["id"]})
        if len(refs) >= MIN_REFERENCES:
            held = set(rng.sample(refs, max(1, round(HIDDEN_SHARE * len(refs)))))
            hidden[i] = held
        else:
            held = set()
        visible += [(i, r) for r in refs if r not in held]
    return visible, hidden


def documents(papers):
    from papers.similarity import Document

    return [
        Document(
            paper_id=i,
            title=paper["title"],
            authors=tuple(paper["authors"]),
            categories=tuple(paper["categories"]),
        )
        for i, paper in enumerate(papers)
    ]


def top(scored, k=TOP):
    return [other for other, _ in sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))][:k]


def evaluate(lists, hidden, archive):
    found = sum(len(set(lists[q]) & refs) for q, refs in hidden.items())
    total = sum(len(refs) for refs in hidden.values())
    hits = sum(1 for q, refs in hidden.items() if set(lists[q]) & refs)
    same = sum(sum(archive[o] == archive[q] for o in lists[q]) for q in hidden)
    return {
        "recall_at_10": found / total,
        "hit_rate": hits / len(hidden),
        "p_at_10_same_archive": same / (TOP * len(hidden)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--json", help="also write the figures to this file")
    shared_data.add_argument(parser)
    args = parser.parse_args()
    setup_django()
    from papers import cocitation, recommend
    from papers.similarity import ContentIndex

    path = shared_data.shared_data_dir(args.data_dir) / PAPERSCAPE_FILE
    papers = load(path)
    archive = [paper["primary_archive"] for paper in papers]
    rng = random.Random(7)
    visible, hidden = hide_references(papers, rng)
    queries = sorted(rng.sample(sorted(hidden), min(args.queries, len(hidden))))
    hidden = {q: hidden[q] for q in queries}
    print(
        f"{len(papers):,} papers, {len(visible):,} visible links, "
        f"{sum(map(len, hidden.values())):,} hidden references of {len(queries):,} query papers"
    )

    started = time.perf_counter()
    index = ContentIndex.fit(documents(papers))
    content = {q: dict(index.neighbours_of(q, k=recommend.CANDIDATES)) for q in queries}
    content_seconds = time.perf_counter() - started
    started = time.perf_counter()
    citations = cocitation.neighbours_from_links(visible)
    citation_seconds = time.perf_counter() - started

    def blended(weight):
        saved, recommend.CITATION_WEIGHT = recommend.CITATION_WEIGHT, weight
        try:
            lists = {}
            for q in queries:
                scored = {o: [s, "content", ""] for o, s in content[q].items()}
                recommend.add_citations(scored, citations.get(q, {}))
                scored.pop(q, None)
                lists[q] = top(scored)
            return lists
        finally:
            recommend.CITATION_WEIGHT = saved

    rows = {
        "content": evaluate(
            {q: top({o: [s] for o, s in content[q].items()}) for q in queries}, hidden, archive
        )
    }
    for weight in sorted({*WEIGHTS, recommend.CITATION_WEIGHT}):
        label = f"content + citations (weight {weight:g})"
        if weight == recommend.CITATION_WEIGHT:
            label += " ← the portal's"
        rows[label] = evaluate(blended(weight), hidden, archive)
    alone = {q: top({o: [link.score] for o, link in citations.get(q, {}).items()}) for q in queries}
    rows["citations alone"] = evaluate(alone, hidden, archive)

    print(f"\n{'method':<48} {'recall@10':>10} {'hit rate':>9} {'p@10':>6}")
    for label, f in rows.items():
        print(
            f"{label:<48} {f['recall_at_10']:>10.3f} {f['hit_rate']:>9.3f} "
            f"{f['p_at_10_same_archive']:>6.3f}"
        )
    print(
        f"\ncontent index fit + {len(queries):,} candidate lists: {content_seconds:.1f} s; "
        f"citation neighbours of all {len(papers):,} papers: {citation_seconds:.1f} s"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "papers": len(papers),
                    "queries": len(queries),
                    "methods": rows,
                    "content_seconds": content_seconds,
                    "citation_seconds": citation_seconds,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
