"""Related papers: how good the lists are, and what a rebuild costs.

    .venv/bin/python bench/recommend_quality.py

LOADING. The real arXiv corpus (``../shared/data/corpus/arxiv_cs_listings_74k.jsonl.gz``,
see bench/data.py; 74,728 papers) goes into the catalogue database ``portal_bench_recommend``
through the project's own import path (``papers.arxiv.parse_listing`` ->
``papers.ingest.upsert_work``, 500 records per transaction). The database is kept
between runs; ``--reload`` drops and
rebuilds it (~25 min); an interrupted load resumes where it stopped (upserts are idempotent).

QUALITY. Documents are read with ``papers.recommend.load_documents(with_categories=False)``:
the recommender never sees the categories it is judged by. Over a fixed random sample of
query papers (``--sample``, seed 7) each method's top 10 (never the paper itself) is scored
against the categories the corpus lists:

- p@10: the share of the 10 that share the query's primary category (first listed);
- nDCG@10: the same relevance (1 or 0), discounted by rank, over the ideal ordering;
- Jaccard: the mean Jaccard overlap of the query's and the neighbour's category sets.

Methods: ours (``papers.similarity.ContentIndex``); random papers; the first author's
other papers (by name, newest first, filled up with random papers when there are fewer than
10; a list with none of them is all random); a plain TF-IDF cosine over title + abstract
(scikit-learn's defaults, English stop words), and the same with sublinear term frequency
and the document-frequency bounds ours uses (ours without its topic term, title weight and
tags);
arxiv-sanity-lite's SVM (TF-IDF of 1-2-grams, a linear SVM per query trained with the paper
as the only positive and every other paper as a negative, as karpathy/arxiv-sanity-lite's
``serve.py`` ranks "similar" papers; this is slow, so it runs on the first ``--svm-sample``
queries of the sample and its row says on how many).

SPEED. The rebuild of ``ContentIndex`` (fit + neighbours(10) for every paper) at 10,000
papers, the whole corpus, and 100,000 (the corpus plus shuffled copies of 25,272 of its
papers with new ids), each in a child process so that its peak memory
(``VmHWM`` of that child) is the rebuild's alone; the time of one ``place()`` into the
whole corpus (mean of 20 new papers); the size of ``dumps()``. When
``papers.recommend.rebuild_related`` exists it is timed too (fit, neighbours and the
RelatedPaper rows written), also in a child.

EMBEDDINGS (``--embeddings DIR``, the vectors of ``bench/embed_corpus.py``; needs the
optional extra, requirements-embeddings.txt). Quality rows: the sentence embedding alone
(exact nearest); the portal's blend (``ContentIndex.with_embeddings``: candidates by
content and by embedding, found exactly) at each ``--blend`` weight; the same weights with
the candidates a rebuild's chunk takes (``papers.recommend.candidate_rows``) from HNSW
indexes built as ``papers.vectors`` builds them, of both and of the content vectors only
(the portal before the embeddings had an index); and that embedding index's recall@10
against exact search. The vectors are stored as the portal's PaperEmbedding rows (once),
and the speed part then times ``rebuild_related()`` with the extra off and on, and the
model in a worker (load time and memory, one paper at a time, a batch of 1,000).

``--seed 8`` draws 2,000 other query papers (none of seed 7's): the set the weights are
chosen on before seed 7 scores them.

Prints numbers, asserts nothing.
"""

import argparse
import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data as shared_data  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_recommend"
SEED = 7


def read_corpus():
    with gzip.open(shared_data.corpus_path(), "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


# --- loading the catalogue ---


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()


def database_exists(database_url):
    import psycopg

    name, admin_url = _names(database_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def recreate_database(database_url):
    import psycopg
    from psycopg import sql

    name, admin_url = _names(database_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created database {name}")


def _names(database_url):
    base, name = database_url.rstrip("/").rsplit("/", 1)
    return name.split("?")[0], base + "/postgres"


def load_catalogue(database_url, *, reload=False, batch_size=500):
    """The corpus in the catalogue, through papers.arxiv and papers.ingest."""
    fresh = reload or not database_exists(database_url)
    if fresh:
        recreate_database(database_url)
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from tqdm import tqdm

    from papers.arxiv import import_listings, parse_listing
    from papers.ingest import ImportReport
    from papers.models import Paper

    corpus = read_corpus()
    stored = set(Paper.objects.values_list("doi", flat=True))
    missing = [r for r in corpus if parse_listing(r).doi not in stored]
    if not missing:
        print(f"catalogue: {len(stored):,} papers in {database_url.rsplit('/', 1)[1]} (kept)")
        return
    print(f"loading {len(missing):,} of {len(corpus):,} corpus papers through papers.arxiv")
    report = ImportReport()
    started = time.perf_counter()
    with tqdm(total=len(missing), unit="paper") as progress:
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            import_listings(batch, report=report, batch_size=batch_size)
            progress.update(len(batch))
            if start // batch_size % 10 == 0:
                # The tables grow from nothing: without fresh statistics the planner keeps
                # the plans of an empty catalogue (sequential scans), and the load slows 4x.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"loaded in {seconds:.0f} s ({len(missing) / seconds:.0f} papers/s): {report.summary()}")
    for where, reason in report.rejected[:10]:
        print(f"  rejected {where}: {reason}")


# --- quality ---


def metrics(query, neighbours, categories):
    """p@10, nDCG@10 and mean Jaccard of one list (10 slots: a short list scores 0 for the
    missing ones)."""
    primary, mine = categories[query][0], set(categories[query])
    relevant = [categories[other][0] == primary for other in neighbours[:10]]
    gains = sum(r / np.log2(rank + 2) for rank, r in enumerate(relevant))
    # Ideal: ten relevant ones (every query's category has more than ten other papers).
    ideal = sum(1 / np.log2(rank + 2) for rank in range(10))
    jaccard = [len(mine & set(categories[o])) / len(mine | set(categories[o])) for o in neighbours]
    return sum(relevant) / 10, gains / ideal, sum(jaccard[:10]) / 10


def table(lists, queries, categories):
    """{method: (p@10, nDCG@10, Jaccard, queries)} over the queries each method answered."""
    rows = {}
    for method, answers in lists.items():
        scored = [metrics(q, answers[q], categories) for q in queries if q in answers]
        rows[method] = (*np.mean(scored, axis=0), len(scored))
    return rows


def print_table(rows, title):
    print(f"\n{title}")
    print(f"{'method':<48} {'p@10':>7} {'nDCG@10':>8} {'Jaccard':>8} {'queries':>8}")
    for method, (precision, ndcg, jaccard, n) in rows.items():
        print(f"{method:<48} {precision:>7.3f} {ndcg:>8.3f} {jaccard:>8.3f} {n:>8,}")


def random_lists(ids, queries, rng):
    return {q: [o for o in rng.sample(ids, 11) if o != q][:10] for q in queries}


def first_author_lists(ids, queries, first_author, authors_of, published, rng):
    """The first author's other papers, newest first, then random papers to fill ten."""
    papers_by = {}
    for paper_id, names in authors_of.items():
        for name in set(names):
            papers_by.setdefault(name, []).append(paper_id)
    lists, with_own = {}, []
    for q in queries:
        own = [o for o in papers_by.get(first_author.get(q), ()) if o != q]
        own.sort(key=lambda o: (published[o], o), reverse=True)
        if own:
            with_own.append(q)
        fill = [o for o in rng.sample(ids, 30) if o != q and o not in own]
        lists[q] = (own + fill)[:10]
    return lists, with_own


def cosine_lists(matrix, rows, queries, ids, k=10):
    """Exact cosine top k of each query row against every row (sparse, in chunks)."""
    lists = {}
    transposed = matrix.T.tocsr()
    for start in range(0, len(queries), 500):
        chunk = queries[start : start + 500]
        scores = (matrix[[rows[q] for q in chunk]] @ transposed).toarray()
        for i, q in enumerate(chunk):
            scores[i, rows[q]] = -np.inf
            best = np.argpartition(-scores[i], k)[:k]
            best = best[np.argsort(-scores[i, best])]
            lists[q] = [ids[b] for b in best]
    return lists


def tfidf_lists(documents, queries, **options):
    """TF-IDF cosine over title + abstract: scikit-learn's defaults and English stop words,
    plus ``options``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", dtype=np.float32, **options)
    matrix = vectorizer.fit_transform([f"{d.title} {d.abstract}" for d in documents])
    ids = [d.paper_id for d in documents]
    return cosine_lists(matrix, {p: r for r, p in enumerate(ids)}, queries, ids)


def svm_lists(documents, author_names, queries):
    """arxiv-sanity-lite: its compute.py features (TF-IDF of 1-2-grams of title, abstract
    and author names, 10,000 features) and its serve.py ``svm_rank`` (one LinearSVC per
    query paper, the paper the only positive, C=0.01, class_weight="balanced")."""
    from sklearn import svm
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        input="content",
        encoding="utf-8",
        decode_error="replace",
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=10000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.5,
        min_df=5,
    )
    texts = [" ".join([d.title, d.abstract, *author_names[d.paper_id]]) for d in documents]
    x = vectorizer.fit_transform(texts).astype(np.float32)
    ids = [d.paper_id for d in documents]
    rows = {p: r for r, p in enumerate(ids)}
    lists = {}
    for q in tqdm(queries, desc="arxiv-sanity-lite SVMs", unit="query"):
        y = np.zeros(x.shape[0], dtype=np.float32)
        y[rows[q]] = 1.0
        clf = svm.LinearSVC(
            class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01
        )
        clf.fit(x, y)
        s = clf.decision_function(x)
        s[rows[q]] = -np.inf
        best = np.argpartition(-s, 10)[:10]
        lists[q] = [ids[b] for b in best[np.argsort(-s[best])]]
    return lists


def read_embeddings(directory, pk_by_doi, ids):
    """The rows of ``bench/embed_corpus.py``'s vectors in ``directory`` in the order of
    ``ids`` (paper pks), matched by the arXiv DOI."""
    directory = Path(directory)
    arxiv_ids = json.loads((directory / "ids.json").read_text())
    vectors = np.vstack([np.load(path) for path in sorted(directory.glob("part-*.npy"))])
    if len(vectors) != len(arxiv_ids):
        sys.exit(f"{directory}: {len(vectors):,} of {len(arxiv_ids):,} papers encoded")
    row_of = {}
    for row, arxiv_id in enumerate(arxiv_ids):
        pk = pk_by_doi.get(f"10.48550/arxiv.{arxiv_id}".lower())
        if pk is not None:
            row_of[pk] = row
    return vectors[[row_of[pk] for pk in ids]]


def embedding_neighbours(matrix, queries, row_of, ids, k):
    """{query: [(other, cosine), ...]} of the k nearest embeddings, exact, never itself."""
    found = {}
    for start in range(0, len(queries), 500):
        chunk = queries[start : start + 500]
        scores = matrix[[row_of[q] for q in chunk]] @ matrix.T
        for i, q in enumerate(chunk):
            scores[i, row_of[q]] = -np.inf
            best = np.argpartition(-scores[i], k)[:k]
            best = best[np.argsort(-scores[i, best])]
            found[q] = [(ids[b], float(scores[i, b])) for b in best]
    return found


def rebuild_chunk_lists(index, queries, found, k=10):
    """{query: [10 others]} as a rebuild's chunk ranks them (papers.recommend._chunk_rows):
    ``found`` holds each query's candidates (ids) from the nearest-neighbour indexes,
    scored exactly by ``index`` (with its embeddings blended in)."""
    from papers.recommend import candidate_rows

    rows, candidates, excluded = candidate_rows(index, queries, found)
    ranked = index.rank_candidates(rows, candidates, k=k, excluded=excluded)
    return {q: [other for other, _ in best] for q, best in zip(queries, ranked, strict=True)}


def hnsw_rows(index, matrix, queries, nearest, weights):
    """The portal's blend with its candidates from HNSW indexes built as papers.vectors
    builds them: the content vectors' alone (the portal before the embeddings' own index)
    and both; and the recall@10 of the embeddings' index against the exact nearest."""
    from papers import vectors
    from papers.recommend import CANDIDATES

    started = time.perf_counter()
    rows = [index.row_of[q] for q in queries]
    content_ann = vectors.build_ann(index.ids, index.dense)
    by_content = content_ann.knn_query(index.dense[rows], k=CANDIDATES + 1)[0]
    embedding_ann = vectors.build_ann(index.ids, matrix)
    by_embedding = embedding_ann.knn_query(matrix[rows], k=CANDIDATES + 1)[0]
    seconds = time.perf_counter() - started
    print(f"embeddings: both HNSW indexes built and searched in {seconds:.0f} s")
    found = sum(
        len({other for other, _ in nearest[q][:10]} & set(by_embedding[i].tolist()[:11]))
        for i, q in enumerate(queries)
    )
    print(f"embeddings: HNSW recall@10 against exact search {found / (10 * len(queries)):.3f}")
    lists = {}
    for weight in weights:
        blended = index.with_rows(index.ids, index.vectors, index.dense)
        blended.with_embeddings(matrix, weight)
        lists[f"  same, HNSW candidates of both ({weight:.2f}: as a rebuild chunk)"] = (
            rebuild_chunk_lists(blended, queries, np.hstack([by_content, by_embedding]))
        )
        lists[f"  same, HNSW candidates of the content vectors only ({weight:.2f})"] = (
            rebuild_chunk_lists(blended, queries, by_content)
        )
    return lists


def store_embeddings(matrix, ids):
    """The bench's vectors as the portal's PaperEmbedding rows (what ``manage.py
    embed_papers`` would write, without the hour of encoding), unless stored already.
    Their text hash is the stored paper's text, so the portal takes them as current."""
    from django.utils import timezone

    from papers import embeddings
    from papers.models import Paper, PaperEmbedding

    rows = PaperEmbedding.objects.filter(model=embeddings.MODEL)
    if rows.count() == len(ids):
        return
    rows.delete()
    texts = {
        pk: embeddings.paper_text(title, abstract)
        for pk, title, abstract in Paper.objects.values_list("pk", "title", "abstract")
    }
    now = timezone.now()
    for start in range(0, len(ids), 5000):
        PaperEmbedding.objects.bulk_create(
            PaperEmbedding(
                paper_id=pk,
                model=embeddings.MODEL,
                vector=matrix[row].tobytes(),
                text_hash=embeddings.text_hash(texts[pk]),
                updated_at=now,
            )
            for row, pk in enumerate(ids[start : start + 5000], start=start)
        )
    print(f"embeddings: {len(ids):,} stored as PaperEmbedding rows")


def embedding_rows(args, index, ids, queries, pk_by_doi):
    """The sentence-embedding methods' lists: the embedding alone and blends with ours."""
    started = time.perf_counter()
    matrix = read_embeddings(args.embeddings, pk_by_doi, ids)
    store_embeddings(matrix, ids)
    row_of = {pk: row for row, pk in enumerate(ids)}
    nearest = embedding_neighbours(matrix, queries, row_of, ids, 40)
    lists = {
        "sentence embedding alone (all-MiniLM-L6-v2)": {
            q: [o for o, _ in nearest[q][:10]] for q in queries
        }
    }
    for weight in args.blend:
        # What the portal does with the extra (papers.embeddings): candidates by content
        # and by embedding (exact here), each pair scored by ContentIndex.with_embeddings.
        blended = index.with_rows(index.ids, index.vectors, index.dense)
        blended.with_embeddings(matrix, weight)
        name = f"portal blend {1 - weight:.2f} x ours + {weight:.2f} x embedding"
        lists[name] = {q: [o for o, _ in blended.neighbours_of(q, k=10)] for q in queries}
    lists.update(hnsw_rows(index, matrix, queries, nearest, args.blend))
    print(f"embeddings: read and ranked in {time.perf_counter() - started:.0f} s")
    return lists


def quality(args):
    from papers.models import Authorship, Paper
    from papers.recommend import load_documents
    from papers.similarity import ContentIndex

    corpus_categories = {
        f"10.48550/arxiv.{r['id']}".lower(): r["categories"] for r in read_corpus()
    }
    started = time.perf_counter()
    documents = load_documents(with_categories=False)
    print(f"\n{len(documents):,} documents read in {time.perf_counter() - started:.0f} s")
    assert not any(d.categories for d in documents)  # the recommender must not see them
    papers = Paper.objects.values_list("pk", "doi", "published_year", "published_month")
    categories, published, pk_by_doi = {}, {}, {}
    for pk, doi, year, month in papers:
        categories[pk] = corpus_categories[doi]
        pk_by_doi[doi] = pk
        published[pk] = (year or 0, month or 0)
    author_names = {d.paper_id: [] for d in documents}
    for paper_id, name in Authorship.objects.order_by("paper_id", "position").values_list(
        "paper_id", "author__name"
    ):
        author_names[paper_id].append(name)
    first_author = {p: names[0] for p, names in author_names.items() if names}

    ids = [d.paper_id for d in documents]
    rng = random.Random(args.seed)
    population = ids
    if args.seed != SEED:  # tuning queries: none of those the figures are reported on
        reported = set(random.Random(SEED).sample(ids, args.sample))
        population = [paper_id for paper_id in ids if paper_id not in reported]
    queries = sorted(rng.sample(population, args.sample))
    lists = {}

    started = time.perf_counter()
    index = ContentIndex.fit(documents)
    ours = {}
    wanted = set(queries)
    for paper_id, best in index.neighbours(10):
        if paper_id in wanted:
            ours[paper_id] = [other for other, _ in best]
    print(f"ours: fit + neighbours of every paper in {time.perf_counter() - started:.0f} s")
    lists["ours (papers.similarity)"] = ours
    lists["random papers"] = random_lists(ids, queries, rng)
    by_author, with_own = first_author_lists(
        ids, queries, first_author, author_names, published, rng
    )
    lists["first author's other papers (+ random fill)"] = by_author
    started = time.perf_counter()
    lists["plain TF-IDF cosine, title + abstract"] = tfidf_lists(documents, queries)
    lists["  same, sublinear tf, min_df 2, max_df 0.5"] = tfidf_lists(
        documents, queries, sublinear_tf=True, min_df=2, max_df=0.5
    )
    print(f"plain TF-IDF: {time.perf_counter() - started:.0f} s")
    if args.embeddings:
        lists.update(embedding_rows(args, index, ids, queries, pk_by_doi))
    rows = table(lists, queries, categories)
    print_table(rows, f"Quality over {len(queries):,} query papers (seed {args.seed}):")
    print_table(
        table(lists, with_own, categories),
        f"Only the {len(with_own):,} queries whose first author has other papers:",
    )

    if args.svm_sample:
        svm_queries = queries[: args.svm_sample]
        started = time.perf_counter()
        lists["arxiv-sanity-lite SVM"] = svm_lists(documents, author_names, svm_queries)
        print(f"SVMs: {time.perf_counter() - started:.0f} s")
        print_table(
            table(lists, svm_queries, categories),
            f"Every method over the first {len(svm_queries):,} query papers (the SVM's):",
        )
    return index, documents


# --- speed ---


def rebuild_child(path, k=10):
    """In a child process: fit + neighbours of the documents in ``path``; prints JSON."""
    from papers.similarity import ContentIndex, Document

    with open(path, encoding="utf-8") as file:
        documents = [Document(**{**row, **tuples(row)}) for row in json.load(file)]
    before = memory_mb("VmHWM")
    started = time.perf_counter()
    index = ContentIndex.fit(documents)
    fitted = time.perf_counter() - started
    count = sum(1 for _ in index.neighbours(k))
    seconds = time.perf_counter() - started
    data = index.dumps()
    print(
        json.dumps(
            {
                "papers": count,
                "fit": fitted,
                "seconds": seconds,
                "peak_mb": memory_mb("VmHWM"),
                "documents_mb": before,
                "dumps_mb": len(data) / 1e6,
            }
        )
    )


def tuples(row):
    """The tuple fields of a Document read back from JSON (which has lists)."""
    return {name: tuple(row[name]) for name in ("keywords", "categories", "authors")}


def related_child(database_url):
    """In a child process: papers.recommend.rebuild_related() on the catalogue (with the
    stored sentence embeddings blended in unless RELATED_EMBEDDINGS is "off")."""
    setup_django(database_url)
    from papers import embeddings
    from papers.recommend import rebuild_related

    started = time.perf_counter()
    run = rebuild_related()
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "papers": run.paper_count,
                "rows": run.row_count,
                "seconds": seconds,
                "peak_mb": memory_mb("VmHWM"),
                "embeddings": embeddings.enabled(),
            }
        )
    )


def encode_child(database_url, count=20):
    """In a child process: what the sentence-embedding extra adds to a worker: loading the
    model (time, memory), encoding one paper at a time (a placement's share), and a batch
    of 1,000 (the backfill's rate). Prints JSON."""
    setup_django(database_url)
    from papers import embeddings
    from papers.models import Paper

    papers = list(Paper.objects.order_by("?").values_list("title", "abstract")[: 1000 + count])
    texts = [embeddings.paper_text(title, abstract) for title, abstract in papers]
    before = memory_mb("VmRSS")
    started = time.perf_counter()
    embeddings.encode(texts[:1])
    load = time.perf_counter() - started
    loaded = memory_mb("VmRSS")
    singles = []
    for text in texts[1 : 1 + count]:
        started = time.perf_counter()
        embeddings.encode([text])
        singles.append(time.perf_counter() - started)
    started = time.perf_counter()
    embeddings.encode(texts[count:])
    batch = time.perf_counter() - started
    print(
        json.dumps(
            {
                "load_s": load,
                "model_mb": loaded - before,
                "single_ms": [1000 * t for t in singles],
                "batch_papers_s": (len(texts) - count) / batch,
                "peak_mb": memory_mb("VmHWM"),
            }
        )
    )


def memory_mb(field):
    """This process's peak (VmHWM) or current (VmRSS) resident memory in MB. Not
    ru_maxrss: Linux carries the forking parent's peak over into the child's across exec,
    so a child of this (large) benchmark would report the benchmark's memory."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def child(arguments, env=None):
    """Run this script in a child process; its last line of output as JSON."""
    result = subprocess.run(
        [sys.executable, __file__, *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if result.returncode:
        print(result.stdout[-2000:], result.stderr[-4000:])
        raise SystemExit(f"child {arguments} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def speed(args, index, documents):
    import dataclasses
    import tempfile

    rng = random.Random(SEED)
    sizes = []
    shuffled = rng.sample(documents, len(documents))
    for size in args.sizes:
        size = len(documents) if size == "all" else int(size)
        if size <= len(documents):
            sizes.append((size, shuffled[:size]))
        else:  # the corpus plus shuffled copies of some of its papers, with new ids
            top = max(d.paper_id for d in documents)
            copies = [
                dataclasses.replace(d, paper_id=top + n + 1)
                for n, d in enumerate(rng.sample(documents, size - len(documents)))
            ]
            sizes.append((size, rng.sample(documents + copies, size)))
    print("\nFull rebuild of ContentIndex (fit + neighbours(10) of every paper), one child each:")
    print(
        f"{'papers':>9} {'fit s':>7} {'total s':>8} {'peak MB':>8} {'of it documents':>16} "
        f"{'dumps MB':>9}"
    )
    for _size, chosen in sizes:
        with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
            json.dump([dataclasses.asdict(d) for d in chosen], file)
            file.flush()
            del chosen
            r = child(["--rebuild-child", file.name])
        print(
            f"{r['papers']:>9,} {r['fit']:>7.1f} {r['seconds']:>8.1f} {r['peak_mb']:>8,.0f} "
            f"{r['documents_mb']:>16,.0f} {r['dumps_mb']:>9.1f}"
        )

    # One place(): a new paper (a real one under a new id) into the fitted whole corpus.
    top = max(d.paper_id for d in documents)
    newcomers = [
        dataclasses.replace(d, paper_id=top + 1 + n)
        for n, d in enumerate(random.Random(SEED + 1).sample(documents, 20))
    ]
    timings = []
    for document in newcomers:
        started = time.perf_counter()
        index.place(document)
        timings.append(time.perf_counter() - started)
    print(
        f"\nplace() into {len(index.ids) - len(newcomers):,} papers: mean "
        f"{1000 * statistics.mean(timings):.0f} ms, max {1000 * max(timings):.0f} ms "
        f"({len(newcomers)} new papers)"
    )

    from papers import recommend

    if hasattr(recommend, "rebuild_related") and not args.skip_related:
        modes = ["off", "auto"] if args.embeddings else ["off"]
        for mode in modes:
            r = child(["--related-child", args.database_url], {"RELATED_EMBEDDINGS": mode})
            print(
                f"\npapers.recommend.rebuild_related() (load documents, fit, neighbours, "
                f"{r['rows']:,} RelatedPaper rows written) for {r['papers']:,} papers, "
                f"{'with the stored embeddings blended in' if r['embeddings'] else 'content alone'}"
                f": {r['seconds']:.1f} s, peak {r['peak_mb']:,.0f} MB"
            )
    if args.embeddings:
        r = child(["--encode-child", args.database_url], {"RELATED_EMBEDDINGS": "auto"})
        singles = r["single_ms"]
        print(
            f"\nsentence model in a worker: loaded in {r['load_s']:.1f} s, "
            f"+{r['model_mb']:,.0f} MB resident; one paper encoded in "
            f"{statistics.median(singles):.0f} ms median, {max(singles):.0f} ms max "
            f"({len(singles)} papers); a batch of 1,000: {r['batch_papers_s']:.1f} papers/s; "
            f"peak {r['peak_mb']:,.0f} MB"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--reload", action="store_true", help="drop and reload the catalogue")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--sample", type=int, default=2000, help="query papers")
    parser.add_argument(
        "--seed", type=int, default=SEED, help="of the query sample (8: the tuning queries)"
    )
    parser.add_argument("--svm-sample", type=int, default=200, help="of them, for the SVMs")
    parser.add_argument(
        "--sizes", nargs="*", default=["10000", "all", "100000"], help='papers ("all": the corpus)'
    )
    parser.add_argument(
        "--embeddings",
        help="a folder of bench/embed_corpus.py: adds the sentence embedding and blends",
    )
    parser.add_argument(
        "--blend", type=float, nargs="*", default=[0.3, 0.4, 0.5], help="embedding weights"
    )
    parser.add_argument("--speed-only", action="store_true", help="no quality table")
    parser.add_argument("--skip-related", action="store_true", help="do not time rebuild_related")
    parser.add_argument("--rebuild-child", help=argparse.SUPPRESS)
    parser.add_argument("--related-child", help=argparse.SUPPRESS)
    parser.add_argument("--encode-child", help=argparse.SUPPRESS)
    shared_data.add_argument(parser)
    args = parser.parse_args()
    if args.data_dir:  # the child processes read it too
        os.environ[shared_data.ENVIRONMENT_VARIABLE] = args.data_dir
    if args.rebuild_child:
        return rebuild_child(args.rebuild_child)
    if args.related_child:
        return related_child(args.related_child)
    if args.encode_child:
        return encode_child(args.encode_child)
    load_catalogue(args.database_url, reload=args.reload)
    if args.load_only:
        return
    if args.speed_only:
        from papers.recommend import load_documents
        from papers.similarity import ContentIndex

        documents = load_documents(with_categories=False)
        index = ContentIndex.fit(documents)
    else:
        index, documents = quality(args)
    speed(args, index, documents)


if __name__ == "__main__":
    main()
