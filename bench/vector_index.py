"""Which approximate nearest-neighbour library holds the paper vectors: measured, not guessed.

    .venv/bin/python bench/vector_index.py [--sample 2000] [--json FILE]

The real arXiv corpus (74,728 papers, ``bench/data.py``) is read straight from its file
into ``papers.similarity.Document`` rows (title, abstract, authors by name; no categories:
the recommender never sees what it is judged by), fitted with ``ContentIndex.fit`` as a
rebuild does, and its dense vectors (the ones ``papers.vectors`` stores per paper) are put
into an HNSW index of each library in turn: hnswlib, faiss-cpu (``IndexHNSWFlat``, inner
product) and usearch (``ip``, float32). Each is asked for the 10 nearest of ``--sample``
query papers (seed 7); the exact answer is a full inner product over every vector.

Per library: build time, query time (one query at a time, as ``place()`` asks: mean and
p95), recall@10 against exact, and the size of the saved file. Then quality: the related
lists of the query papers ranked exactly as a rebuild ranks them, once from the exact
candidates (``ContentIndex.neighbours``) and once from the chosen library's candidates,
scored by p@10 on the primary category (as bench/recommend_quality.py does).

Prints numbers, asserts nothing.
"""

import argparse
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data as shared_data  # noqa: E402
from papers.similarity import CANDIDATES, ContentIndex, Document  # noqa: E402

SEED = 7
K = 10


def corpus_documents(path):
    documents, primary = [], {}
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            record = json.loads(line)
            documents.append(
                Document(
                    paper_id=number,
                    title=" ".join(record["title"].split()),
                    abstract=" ".join(record["summary"].split()),
                    authors=tuple(record["authors"]),
                )
            )
            primary[number] = record["categories"][0]
    return documents, primary


def exact_top(vectors, queries, k):
    scores = queries @ vectors.T
    top = np.argpartition(-scores, k, axis=1)[:, : k + 1]
    order = np.argsort(-np.take_along_axis(scores, top, 1), axis=1)
    return np.take_along_axis(top, order, 1)


def recall(found, truth, rows, k):
    hits = 0
    for row, got, want in zip(rows, found, truth, strict=True):
        want = [w for w in want if w != row][:k]
        got = [g for g in got if g != row][:k]
        hits += len(set(got) & set(want))
    return hits / (len(rows) * k)


def timed_queries(search, queries):
    timings, found = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(search(query))
        timings.append(time.perf_counter() - started)
    timings.sort()
    return found, 1000 * statistics.mean(timings), 1000 * timings[int(0.95 * len(timings))]


def with_hnswlib(vectors, queries, ef):
    import hnswlib

    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=vectors.shape[1])
    index.init_index(max_elements=len(vectors), M=16, ef_construction=200, random_seed=0)
    index.add_items(vectors, np.arange(len(vectors)))
    built = time.perf_counter() - started
    index.set_ef(ef)
    found, mean, p95 = timed_queries(lambda q: index.knn_query(q, k=K + 1)[0][0], queries)
    with tempfile.NamedTemporaryFile() as file:
        index.save_index(file.name)
        size = Path(file.name).stat().st_size
    return built, found, mean, p95, size


def with_faiss(vectors, queries, ef):
    import faiss

    faiss.omp_set_num_threads(2)
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 200
    index.add(vectors)
    built = time.perf_counter() - started
    index.hnsw.efSearch = ef
    found, mean, p95 = timed_queries(lambda q: index.search(q[None, :], K + 1)[1][0], queries)
    size = len(faiss.serialize_index(index))
    return built, found, mean, p95, size


def with_usearch(vectors, queries, ef):
    from usearch.index import Index

    started = time.perf_counter()
    index = Index(
        ndim=vectors.shape[1],
        metric="ip",
        dtype="f32",
        connectivity=16,
        expansion_add=200,
        expansion_search=ef,
    )
    index.add(np.arange(len(vectors)), vectors, threads=2)
    built = time.perf_counter() - started
    found, mean, p95 = timed_queries(lambda q: index.search(q, K + 1).keys, queries)
    size = len(index.save())
    return built, found, mean, p95, size


LIBRARIES = {"hnswlib": with_hnswlib, "faiss-cpu": with_faiss, "usearch": with_usearch}


def p_at_10(lists, primary):
    shares = [sum(primary[o] == primary[p] for o in others[:K]) / K for p, others in lists.items()]
    return statistics.mean(shares)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--ef", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--json", help="write the figures to this file too")
    shared_data.add_argument(parser)
    args = parser.parse_args()

    documents, primary = corpus_documents(shared_data.corpus_path(args.data_dir))
    started = time.perf_counter()
    index = ContentIndex.fit(documents)
    print(f"{len(documents):,} papers fitted in {time.perf_counter() - started:.0f} s")
    vectors = np.ascontiguousarray(index.dense, dtype=np.float32)
    print(f"dense vectors: {vectors.shape[1]} float32 each, {vectors.nbytes / 1e6:.0f} MB")
    rows = sorted(random.Random(SEED).sample(range(len(documents)), args.sample))
    queries = vectors[rows]
    truth = exact_top(vectors, queries, K)

    results = []
    print(
        f"\n{'library':<10} {'ef':>4} {'build s':>8} {'query ms':>9} {'p95 ms':>7} "
        f"{'recall@10':>10} {'file MB':>8}"
    )
    for name in args.libraries:
        run = LIBRARIES[name]
        for ef in args.ef:
            built, found, mean, p95, size = run(vectors, queries, ef)
            r = recall(found, truth, rows, K)
            results.append(
                dict(
                    library=name,
                    ef=ef,
                    build_s=built,
                    query_ms=mean,
                    p95_ms=p95,
                    recall=r,
                    file_mb=size / 1e6,
                )
            )
            print(
                f"{name:<10} {ef:>4} {built:>8.1f} {mean:>9.3f} {p95:>7.3f} {r:>10.4f} "
                f"{size / 1e6:>8.1f}"
            )

    # Quality: exact candidates (the rebuild) against the ANN's candidates, same ranking.
    wanted = {index.ids[r] for r in rows}
    exact_lists = {p: [o for o, _ in best] for p, best in index.neighbours(K) if p in wanted}
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    django.setup()
    from papers import vectors as stored

    ann = stored.build_ann(index.ids, vectors)
    ann_lists = {}
    for row in rows:
        paper_id = index.ids[row]
        ids, _scores = stored.search_ann(ann, vectors[row], CANDIDATES + 1)
        candidates = [index.row_of[i] for i in ids if i != paper_id][:CANDIDATES]
        best = index.rank_candidates([row], np.asarray([candidates]), k=K)[0]
        ann_lists[paper_id] = [o for o, _ in best]
    quality = {"exact": p_at_10(exact_lists, primary), "ann": p_at_10(ann_lists, primary)}
    print(
        f"\np@10 over {len(rows):,} queries, lists ranked from exact candidates: "
        f"{quality['exact']:.4f}; from {stored.LIBRARY} candidates: {quality['ann']:.4f}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"libraries": results, "quality": quality}))


if __name__ == "__main__":
    main()
