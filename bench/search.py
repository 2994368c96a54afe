"""Search latency on PostgreSQL: ``papers.search.search_papers`` next to raw SQL.

    .venv/bin/python bench/search.py --papers 100000 1000000

For each catalogue size (built by bench/build_catalogue.py; a missing one is built first)
it runs the same realistic queries through five paths and prints p50/p95/p99/max in ms:

- ``orm``: what the catalogue list and the API do for a search sorted by relevance:
  ``search_papers(for_list(), text)`` in ``papers.filters.ORDERINGS["relevance"]``, first 20
  rows as model instances (three queries: papers, authors, categories).
- ``orm_1query``: the same search alone (candidate ids, then 20 model instances, no prefetch).
- ``orm_count``: the candidate ids and the ``.count()`` the list's pagination runs.
- ``orm_page``: everything a catalogue page of search results asks the database for: the
  candidate ids once, the count, 20 rows, authors, categories.
- ``orm_newest``: the same search sorted by newest (``candidates=None``: every match, no
  ranking), first 20 rows.
- ``raw``: the same two statements as ``orm`` written by hand (the candidate ids, same
  bound ``papers.search.RANKED_CANDIDATES``, then those ranked), 20 rows of 6 columns.
- ``obvious``: ``WHERE search_vector @@ q ORDER BY ts_rank(search_vector, q) DESC
  LIMIT 20``, which ranks every match.
- ``match``: the unranked match alone (``WHERE search_vector @@ q LIMIT 20``), the floor.

Then every list page (``--lists``, on by default), through the real views with Django's
test client (no HTTP server), each measured as the time its SQL statements took
(``sql``: the target, p95 <= 50 ms at 1,000,000 papers) and as the whole request with
rendering (``request``, shown for honesty):

- ``home``: ``/`` (the category counts from the cache beat fills, as in production);
- ``catalogue <sort>``: ``/papers/?sort=...`` in each order;
- ``search <sort>``: ``/papers/?q=...&sort=...`` for the same queries in every order;
- ``journal``, ``author``, ``category``, ``keyword``: their pages, for rows drawn with a
  fixed seed (authors and categories drawn through their link rows, so busy ones come up
  as often as readers would meet them); ``author, most papers``: the pages of the
  ``PROLIFIC_AUTHORS`` authors with the most papers, the tail a draw seldom meets;
- ``filter category``/``filter keyword``: the catalogue filtered by one (its facet);
- ``api first page`` (with its count), ``api page 50`` (the deepest page number) and
  ``api cursor`` (a page ~500,000 rows deep, reached by its cursor);
- ``ceiling: 20 rows by id``: the least a page of 20 cards asks for (20 random papers by
  primary key with their first authors and categories): each page is also shown as a
  multiple of it.

Queries: one, two and three consecutive words (no stop words) from real corpus titles,
drawn with a fixed seed. One unmeasured pass warms the caches, then every query runs
``--passes`` times per path. Each statement is cut at ``--timeout`` seconds (counted at
that value), so a run is bounded.
"""

import argparse
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import data as shared_data  # noqa: E402
from bench.build_catalogue import default_database_url  # noqa: E402

# The authors with the most papers measured apart ("author, most papers").
PROLIFIC_AUTHORS = 5
SEED = 7
STOP_WORDS = set(
    "a an and are as at be by for from how in into is it its of on or over than that the "
    "their them these this to towards under using via what when which while with without "
    "we our can do does not more most new via vs versus based through".split()
)

# The same two statements as search_papers: the candidates' ids, then those ranked.
CANDIDATES_SQL = """
    SELECT id FROM papers_paper WHERE search_vector @@ websearch_to_tsquery('english', %(text)s)
    LIMIT %(candidates)s
"""
RAW_SQL = """
    SELECT p.id, p.doi, p.title, p.published_year, p.journal_id,
           ts_rank_cd('{0.0, 0.1, 0.4, 1.0}', p.search_vector, q) AS rank
    FROM papers_paper p, websearch_to_tsquery('english', %(text)s) q
    WHERE p.id = ANY(%(ids)s)
    ORDER BY rank DESC LIMIT 20
"""
OBVIOUS_SQL = """
    SELECT p.id, p.doi, p.title, p.published_year, p.journal_id, ts_rank(p.search_vector, q) AS rank
    FROM papers_paper p, websearch_to_tsquery('english', %(text)s) q
    WHERE p.search_vector @@ q
    ORDER BY rank DESC LIMIT 20
"""
MATCH_SQL = """
    SELECT p.id, p.doi, p.title, p.published_year, p.journal_id
    FROM papers_paper p
    WHERE p.search_vector @@ websearch_to_tsquery('english', %(text)s)
    LIMIT 20
"""


def make_queries(per_length, seed=SEED):
    """{1: [...], 2: [...], 3: [...]}: runs of consecutive content words from real titles."""
    with gzip.open(shared_data.corpus_path(), "rt", encoding="utf-8") as file:
        titles = [json.loads(line)["title"] for line in file]
    pick = random.Random(seed)
    queries = {}
    for length in (1, 2, 3):
        chosen = []
        while len(chosen) < per_length:
            words = re.findall(r"[A-Za-z][A-Za-z-]+", pick.choice(titles).lower())
            runs = [
                words[i : i + length]
                for i in range(len(words) - length + 1)
                if not STOP_WORDS & set(words[i : i + length])
                and all(len(w) > 2 for w in words[i : i + length])
            ]
            if runs:
                query = " ".join(pick.choice(runs))
                if query not in chosen:
                    chosen.append(query)
        queries[length] = chosen
    return queries


def percentiles(samples):
    ordered = sorted(samples)

    def at(p):
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    return {
        "p50": statistics.median(ordered),
        "p95": at(95),
        "p99": at(99),
        "max": ordered[-1],
    }


def connect(database_url, timeout):
    """Point Django's connection at ``database_url`` with a statement timeout."""
    from django.db import connection, connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = database_url.rsplit("/", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(timeout * 1000)}")


def measure(database_url, queries, *, passes, timeout):
    """{path: {length: [ms, ...]}} for one database."""
    os.environ["DATABASE_URL"] = database_url
    from django.db import connection, connections
    from django.db.utils import OperationalError

    from papers.filters import NEWEST, ORDERINGS, RELEVANCE
    from papers.models import Paper
    from papers.search import RANKED_CANDIDATES, search_papers

    connections.close_all()
    connections["default"].settings_dict["NAME"] = database_url.rsplit("/", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(timeout * 1000)}")

    def orm(text):
        queryset = search_papers(Paper.objects.for_list(), text)
        return list(queryset.order_by(*ORDERINGS[RELEVANCE])[:20])

    def orm_one_query(text):
        queryset = search_papers(Paper.objects.all(), text)
        return list(queryset.order_by(*ORDERINGS[RELEVANCE])[:20])

    def orm_count(text):
        return search_papers(Paper.objects.all(), text).count()

    def orm_page(text):
        queryset = search_papers(Paper.objects.for_list(), text).order_by(*ORDERINGS[RELEVANCE])
        return queryset.count(), list(queryset[:20])

    def orm_newest(text):
        queryset = search_papers(Paper.objects.for_list(), text, candidates=None)
        return list(queryset.order_by(*ORDERINGS[NEWEST])[:20])

    def raw_ranked(text):
        with connection.cursor() as cursor:
            params = {"text": text, "candidates": RANKED_CANDIDATES}
            cursor.execute(CANDIDATES_SQL, params)
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(RAW_SQL, {"text": text, "ids": ids})
            return cursor.fetchall()

    def raw(sql):
        def run(text):
            with connection.cursor() as cursor:
                cursor.execute(sql, {"text": text, "candidates": RANKED_CANDIDATES})
                return cursor.fetchall()

        return run

    paths = {
        "orm": orm,
        "orm_1query": orm_one_query,
        "orm_count": orm_count,
        "orm_page": orm_page,
        "orm_newest": orm_newest,
        "raw": raw_ranked,
        "obvious": raw(OBVIOUS_SQL),
        "match": raw(MATCH_SQL),
    }
    results = {name: {length: [] for length in queries} for name in paths}
    timeouts = {name: 0 for name in paths}
    for measured in [False] + [True] * passes:
        for length, texts in queries.items():
            for text in texts:
                for name, run in paths.items():
                    started = time.perf_counter()
                    try:
                        run(text)
                        elapsed = (time.perf_counter() - started) * 1000
                    except OperationalError:  # statement_timeout
                        elapsed = timeout * 1000
                        timeouts[name] += measured
                        connection.close()
                        with connection.cursor() as cursor:
                            cursor.execute(f"SET statement_timeout = {int(timeout * 1000)}")
                    if measured:
                        results[name][length].append(elapsed)
    connections.close_all()
    return results, timeouts


LIST_TARGET_MS = 50


def measure_lists(database_url, queries, *, passes, timeout, samples=20):
    """{page: {"sql": [ms, ...], "request": [ms, ...]}}: every list page, SQL time summed
    per request (connection.execute_wrapper) and the whole request's time."""
    import base64

    from django.db import connection
    from django.db.models import Count
    from django.db.utils import OperationalError
    from django.test import Client
    from django.test.utils import override_settings

    from papers import listing
    from papers.filters import SORT_CHOICES
    from papers.models import Author, Authorship, Category, Journal, Keyword, PaperCategory

    pick = random.Random(SEED)
    sorts = [value for value, _ in SORT_CHOICES]
    texts = [text for by_length in queries.values() for text in by_length]
    journals = list(
        Journal.objects.filter(papers__isnull=False).distinct().values_list("pk", flat=True)
    )
    links = Authorship.objects.count()
    author_ids = [
        Authorship.objects.order_by("pk").values_list("author_id", flat=True)[pick.randrange(links)]
        for _ in range(samples)
    ]
    category_links = PaperCategory.objects.count()
    category_ids = [
        PaperCategory.objects.order_by("pk").values_list("category_id", flat=True)[
            pick.randrange(category_links)
        ]
        for _ in range(samples)
    ]
    categories = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "slug"))
    keywords = list(Keyword.objects.values_list("slug", flat=True))
    authors = set(Author.objects.filter(pk__in=author_ids).values_list("pk", flat=True))
    # A cursor ~half-way down the newest list, as a client following next links would hold.
    from papers.filters import ORDERINGS
    from papers.models import Paper

    middle = Paper.objects.order_by(*ORDERINGS["newest"])
    order = listing.cursor_order(middle)
    half = middle.values_list("pk", flat=True)[Paper.objects.count() // 2]
    rows, _ = listing.cursor_page(middle.filter(pk=half), order, after=None, size=1)
    values = [getattr(rows[0], f"cursor_{n}") for n in range(len(order))]
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    pages = {"home": ["/"]}
    for sort in sorts[1:]:
        pages[f"catalogue {sort}"] = [f"/papers/?sort={sort}"]
    for sort in sorts:
        pages[f"search {sort}"] = [
            "/papers/?" + urlencode({"q": text, "sort": sort}) for text in texts
        ]
    pages["journal"] = [
        f"/journals/{pk}/" for pk in pick.sample(journals, min(samples, len(journals)))
    ]
    pages["author"] = [f"/authors/{pk}/" for pk in author_ids if pk in authors]
    # The tail a draw seldom meets: the authors with the most papers (thousands each in a
    # cycled catalogue), whose pages sort and count the most rows.
    prolific = (
        Authorship.objects.values("author_id")
        .annotate(papers=Count("*"))
        .order_by("-papers", "author_id")
        .values_list("author_id", flat=True)[:PROLIFIC_AUTHORS]
    )
    pages["author, most papers"] = [f"/authors/{pk}/" for pk in prolific]
    pages["category"] = [f"/categories/{categories[pk]}/" for pk in category_ids]
    pages["keyword"] = [
        f"/keywords/{slug}/" for slug in pick.sample(keywords, min(samples, len(keywords)))
    ]
    pages["filter category"] = [f"/papers/?category={categories[pk]}" for pk in category_ids]
    pages["filter keyword"] = [f"/papers/?keyword={slug}" for slug in keywords[:samples]]
    pages["api first page"] = ["/api/v1/papers/"]
    pages["api page 50"] = [f"/api/v1/papers/?page={listing.MAX_NUMBERED_ROWS // 20}"]
    pages["api cursor"] = [f"/api/v1/papers/?cursor={cursor}"]

    spent = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    # The ceiling: the least a page of 20 cards can ask for, 20 papers by primary key with
    # their first authors and categories (3 queries, no ordering, no count, no rendering).
    top = Paper.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    ceiling_ids = [[pick.randint(1, top) for _ in range(20)] for _ in range(samples)]
    pages["ceiling: 20 rows by id"] = ceiling_ids

    def fetch(target):
        if isinstance(target, list):  # the ceiling
            return list(Paper.objects.for_cards().filter(pk__in=target))
        return client.get(target)

    client = Client(raise_request_exception=True)
    results = {name: {"sql": [], "request": []} for name in pages}
    with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False), connection.execute_wrapper(timed):
        listing.refresh_home_categories()  # what beat keeps warm
        for measured in [False] + [True] * passes:
            for name, urls in pages.items():
                for url in urls * (1 if len(urls) > 1 else samples):
                    spent[0] = 0.0
                    started = time.perf_counter()
                    try:
                        response = fetch(url)
                    except OperationalError:  # statement_timeout: counted at that value
                        print(f"timed out: {url}")
                        connect(database_url, timeout)
                        spent[0] = timeout
                    else:
                        status = getattr(response, "status_code", 200)
                        assert status == 200, (url, status)
                    elapsed = (time.perf_counter() - started) * 1000
                    if measured:
                        results[name]["sql"].append(spent[0] * 1000)
                        results[name]["request"].append(elapsed)
    return results


def report_lists(papers, results):
    """Print each list page's percentiles beside the target; return {page: stats}."""
    print(f"\nlist pages at {papers:,} papers (ms; target: sql p95 <= {LIST_TARGET_MS})")
    print(f"{'page':<22} {'n':>4} {'sql p50':>8} {'sql p95':>8} {'max':>8} {'req p95':>8}  target")
    summary = {}
    ceiling = percentiles(results["ceiling: 20 rows by id"]["sql"])["p95"]
    for name, samples in results.items():
        sql, request = percentiles(samples["sql"]), percentiles(samples["request"])
        summary[name] = {"sql": sql, "request": request}
        verdict = "ok" if sql["p95"] <= LIST_TARGET_MS else "OVER"
        print(
            f"{name:<22} {len(samples['sql']):>4} {sql['p50']:8.1f} {sql['p95']:8.1f} "
            f"{sql['max']:8.1f} {request['p95']:8.1f}  {verdict} "
            f"({sql['p95'] / LIST_TARGET_MS:.0%} of target, {sql['p95'] / ceiling:.1f}x ceiling)"
        )
    return summary


def report(papers, results, timeouts):
    print(f"\nsearch latency at {papers:,} papers (ms)")
    print(f"{'path':<10} {'words':>5} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    summary = {}
    for name, by_length in results.items():
        rows = list(by_length.items()) + [("all", [x for v in by_length.values() for x in v])]
        for length, samples in rows:
            stats = percentiles(samples)
            if length == "all":
                summary[name] = stats
            print(
                f"{name:<10} {length:>5} {len(samples):>4} "
                + " ".join(f"{stats[k]:8.1f}" for k in ("p50", "p95", "p99", "max"))
                + (f"  ({timeouts[name]} timed out)" if length == "all" and timeouts[name] else "")
            )
    return summary


def explain(database_url, text):
    """EXPLAIN ANALYZE of the orm path's search query for one text (for the README)."""
    from django.db import connection

    from papers.models import Paper
    from papers.search import search_papers

    queryset = search_papers(Paper.objects.all(), text).order_by("-search_rank", "-id")[:20]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=40, help="queries per word count")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per statement")
    parser.add_argument("--explain", default="", help="also EXPLAIN ANALYZE this text")
    parser.add_argument("--json", default="", help="write the overall percentiles here")
    parser.add_argument("--database-url", default="", help="one catalogue at this URL")
    parser.add_argument("--no-search", action="store_true", help="list pages only")
    parser.add_argument("--no-lists", dest="lists", action="store_false", help="search paths only")
    parser.add_argument("--samples", type=int, default=20, help="rows drawn per page kind")
    shared_data.add_argument(parser)
    args = parser.parse_args()
    if args.data_dir:  # build_catalogue.py, run as a child, reads it too
        os.environ[shared_data.ENVIRONMENT_VARIABLE] = args.data_dir

    queries = make_queries(args.queries)
    print("queries (fixed seed):", {n: q[:5] + ["..."] for n, q in queries.items()})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    summaries = {}
    for papers in args.papers:
        url = args.database_url or default_database_url(papers)
        command = [sys.executable, str(ROOT / "bench" / "build_catalogue.py")]
        subprocess.run([*command, "--papers", str(papers), "--database-url", url], check=True)
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        summaries[papers] = {}
        if not args.no_search:
            results, timeouts = measure(url, queries, passes=args.passes, timeout=args.timeout)
            summaries[papers] = report(papers, results, timeouts)
        if args.lists:
            connect(url, args.timeout)
            lists = measure_lists(
                url, queries, passes=args.passes, timeout=args.timeout, samples=args.samples
            )
            summaries[papers]["lists"] = report_lists(papers, lists)
        if args.explain:
            print(explain(url, args.explain))
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=1))
    return summaries


if __name__ == "__main__":
    main()
