"""Build a catalogue of N papers in a PostgreSQL database, fast, for the benchmarks.

    .venv/bin/python bench/build_catalogue.py --papers 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/portal_bench_100k

The database is created and migrated when missing. An existing catalogue of exactly N
papers built by this script is kept (``--force`` rebuilds it).

Where the rows come from:

- Papers: the real arXiv listings in the shared data's corpus/ (``../shared/data`` from
  the project root, or ``--data-dir`` / $PORTAL_SHARED_DATA: see bench/data.py): title,
  abstract, authors in order, categories, year and month from the arXiv id. Beyond its
  74,728 records the corpus is cycled again, so rows repeat; each row has its own DOI
  (the real arXiv DOI ``10.48550/arxiv.<id>`` on the first pass, ``10.48550/bench.<n>`` after).
- Journals (title, ISSNs, publisher, volume/issue/pages, work type), funders with award
  numbers and author affiliations: the shapes of the real recorded Crossref records in
  tests/fixtures/crossref, read with ``papers.crossref.parse_work``. Each paper takes one
  recorded record as its template (fixed seed), so a paper has that record's journal and
  funders, and its authors carry affiliations as often as the recorded authors do.
- Keywords: real OpenAlex keyword names (the shared data's openalex/, via
  ``papers.openalex.parse_keywords``), as many per paper as the recorded works have.
- ``Paper.search_document`` is what ``papers.curation.build_search_document`` would write,
  computed here in Python for all rows at once.

Speed: rows go in with COPY (no ORM save), foreign-key triggers off for the session (the
rows are consistent by construction), the GIN indexes of migrations 0002 and 0005 dropped
during the load and built afterwards, then ANALYZE. The generated ``search_vector`` column is filled
by PostgreSQL as rows arrive; that to_tsvector work is most of the build time, so papers
are loaded by two processes at once (two cores).
"""

import argparse
import gzip
import importlib
import json
import multiprocessing
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import data as shared_data  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CROSSREF_FIXTURES = ROOT / "tests" / "fixtures" / "crossref"
SEED = 20240601


def gin_indexes():
    """The full-text indexes of migrations 0028 (words and list positions) and 0005
    (titles), as (name, statement): dropped during the load, built after it. After
    setup_django (0028's statement is made from the models' expressions)."""
    from django.db import connection

    from papers.models import Paper

    search_keys = importlib.import_module("papers.migrations.0028_search_keys_index")
    with connection.schema_editor() as editor:
        statement = search_keys.index_sql(Paper, editor)
    return [
        (search_keys.NAME, statement),
        (
            "papers_paper_title_vector",
            "CREATE INDEX papers_paper_title_vector ON papers_paper "
            "USING gin (to_tsvector('english', title))",
        ),
    ]


LOADERS = 2  # processes loading papers at once (one per core)

PAPER_COLUMNS = (
    "id",
    "doi",
    "title",
    "subtitle",
    "work_type",
    "work_subtype",
    "abstract",
    "summary",
    "published_year",
    "published_month",
    "published_day",
    "journal_id",
    "volume",
    "issue",
    "pages",
    "article_number",
    "language",
    "publisher",
    "license_url",
    "url",
    "isbns",
    "reference_count",
    "citation_count",
    "is_retracted",
    "rating_average",
    "rating_count",
    "search_document",
    "metadata_status",
    "metadata_error",
    "provenance",
    "locked_fields",
    "created_at",
    "updated_at",
)


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database(database_url):
    """CREATE DATABASE when it does not exist (connecting to the server's postgres db)."""
    import psycopg
    from psycopg import sql

    name = database_url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    admin_url = database_url.rstrip("/").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# --- the source data ---


def read_corpus():
    with gzip.open(shared_data.corpus_path(), "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


def arxiv_year_month(arxiv_id):
    """2107.01234 -> (2021, 7); cs/9901001 -> (1999, 1)."""
    match = re.search(r"(\d{2})(\d{2})[.\d]", arxiv_id.split("/")[-1])
    if not match:
        return None, None
    yy, mm = int(match[1]), int(match[2])
    return (1900 + yy if yy >= 90 else 2000 + yy), (mm if 1 <= mm <= 12 else None)


def read_templates():
    """The recorded Crossref works that look like papers, parsed: the shapes we copy."""
    from papers import crossref

    templates = []
    for path in sorted(CROSSREF_FIXTURES.glob("*.json")):
        try:
            work = crossref.parse_work(json.loads(path.read_text()))
        except crossref.CrossrefError:
            continue  # the recorded 404 and a record without a title
        if work.authors:  # journal/series records have no authors: not papers
            templates.append(work)
    return templates


def read_keyword_shapes():
    """(keyword names, number of keywords per recorded OpenAlex work)."""
    from papers import openalex

    names, counts = [], []
    for path in sorted(shared_data.openalex_dir().glob("*.json")):
        data = json.loads(path.read_text())
        for work in data.get("results", [data]) if isinstance(data, dict) else data:
            try:
                _, keywords = openalex.parse_keywords(work)
            except openalex.OpenAlexError:
                continue
            counts.append(len(keywords))
            names += keywords
    unique = list(dict.fromkeys(names, None))
    return unique, counts or [0]


# --- building rows ---


def unique_slug(name, taken):
    from django.utils.text import slugify

    base = slugify(name, allow_unicode=True)[:190] or "untitled"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def named_rows(names):
    """[(id, name, slug)] for Category/Keyword rows, case-insensitively unique."""
    rows, seen, slugs = [], {}, set()
    for name in names:
        key = name.lower()
        if key in seen:
            continue
        seen[key] = len(rows) + 1
        rows.append((len(rows) + 1, name, unique_slug(name, slugs)))
    return rows, seen


def paper_extra_columns():
    """(column, value) for Paper columns this script does not know (added by a later
    migration): the model field's default, so that the build keeps working as the model grows.
    """
    from papers.models import Paper

    extras = []
    for field in Paper._meta.concrete_fields:
        if field.column in PAPER_COLUMNS or getattr(field, "generated", False):
            continue
        value = field.get_default()
        extras.append(
            (field.column, json.dumps(value) if isinstance(value, dict | list) else value)
        )
    return extras


def plan(corpus, templates, keyword_shapes):
    """Every lookup table, and what each template and corpus row maps to."""
    journals, journal_ids, issn_ids = [], {}, {}
    funders, funder_ids = [], {}
    for work in templates:
        if work.journal and work.journal.title not in journal_ids:
            issns = dict(work.journal.issns)
            # One journal under two spellings ("PLoS ONE", "PLOS ONE"): its ISSNs are unique.
            known = [issn_ids[i] for i in issns.values() if i in issn_ids]
            if known:
                journal_ids[work.journal.title] = known[0]
            else:
                issn_ids.update({issn: len(journals) + 1 for issn in issns.values() if issn})
                journal_ids[work.journal.title] = len(journals) + 1
                journals.append(
                    (
                        len(journals) + 1,
                        work.journal.title,
                        issns.get("print", ""),
                        issns.get("electronic", ""),
                        work.journal.publisher or work.publisher,
                    )
                )
        for award in work.funders:
            key = award.funder_doi or award.name
            if key not in funder_ids:
                funder_ids[key] = len(funders) + 1
                funders.append((len(funders) + 1, award.name or key, award.funder_doi))

    from papers.names import name_key

    author_ids, authors = {}, []
    categories = []
    for record in corpus:
        for name in record["authors"]:
            if name not in author_ids:
                author_ids[name] = len(authors) + 1
                given, _, family = name.rpartition(" ")
                row = (given[:300], family[:300], name[:600], name_key(name[:600]), False)
                authors.append((len(authors) + 1, *row))
        categories += record["categories"]
    category_rows, category_ids = named_rows(dict.fromkeys(categories))
    keyword_names, keyword_counts = keyword_shapes
    keyword_rows, _ = named_rows(keyword_names)
    affiliations = [a for w in templates for c in w.authors for a in c.affiliations]
    with_affiliation = sum(bool(c.affiliations) for w in templates for c in w.authors)
    extras = paper_extra_columns()
    from papers.models import Paper

    statuses = {value for value, _ in Paper._meta.get_field("metadata_status").choices}
    return {
        # An imported paper's status; the name changed once already (complete -> fetched).
        "metadata_status": "fetched" if "fetched" in statuses else "complete",
        "paper_extra_columns": tuple(column for column, _ in extras),
        "paper_extra_values": tuple(value for _, value in extras),
        "journals": journals,
        "journal_ids": journal_ids,
        "funders": funders,
        "funder_ids": funder_ids,
        "authors": authors,
        "author_ids": author_ids,
        "categories": category_rows,
        "category_ids": category_ids,
        "keywords": keyword_rows,
        "keyword_counts": keyword_counts,
        "affiliations": affiliations,
        "affiliation_rate": with_affiliation / sum(len(w.authors) for w in templates),
    }


def paper_rows(start, stop, corpus, templates, shape, now):
    """Rows of papers start..stop-1 (ids start+1..) and their relations, all as tuples.

    Deterministic per paper (random.Random(SEED + n)), so two loader processes building
    different ranges give the same catalogue as one would.
    """
    papers, authorships, categories, keywords, fundings = [], [], [], [], []
    authorship_id = category_link_id = keyword_link_id = funding_id = None
    for n in range(start, stop):
        pick = random.Random(SEED + n)
        record = corpus[n % len(corpus)]
        work = templates[pick.randrange(len(templates))]
        paper_id = n + 1
        doi = f"10.48550/arxiv.{record['id']}".lower() if n < len(corpus) else f"10.48550/bench.{n}"
        year, month = arxiv_year_month(record["id"])
        journal_id = shape["journal_ids"].get(work.journal.title) if work.journal else None
        journal_title = work.journal.title if work.journal else ""
        names = record["authors"]
        paper_keywords = pick.sample(
            shape["keywords"], min(pick.choice(shape["keyword_counts"]), len(shape["keywords"]))
        )
        paper_categories = list(dict.fromkeys(c.lower() for c in record["categories"]))
        category_names = [
            shape["categories"][shape["category_ids"][c] - 1][1] for c in paper_categories
        ]
        document = "\n".join(
            part
            for part in [
                doi,
                "",
                journal_title,
                *names,
                *(k[1] for k in paper_keywords),
                *category_names,
            ]
            if part
        )
        stamp = {"source": "bench", "at": now.isoformat(timespec="seconds")}
        papers.append(
            (
                paper_id,
                doi,
                " ".join(record["title"].split()),
                "",
                work.work_type or "journal-article",
                work.work_subtype or "",
                "\n".join(line.strip() for line in (record.get("summary") or "").splitlines()),
                "",
                year,
                month,
                None,
                journal_id,
                work.volume or "",
                work.issue or "",
                work.pages or "",
                work.article_number or "",
                work.language or "",
                work.publisher or "",
                work.license_url or "",
                record.get("abs") or "",
                "[]",
                work.reference_count,
                work.citation_count,
                False,
                None,
                0,
                document,
                shape["metadata_status"],
                "",
                json.dumps({"title": stamp, "abstract": stamp, "authors": stamp}),
                "[]",
                now,
                now,
                *shape["paper_extra_values"],
            )
        )
        for position, name in enumerate(names, 1):
            affiliations = []
            if shape["affiliations"] and pick.random() < shape["affiliation_rate"]:
                affiliations = [pick.choice(shape["affiliations"])]
            authorships.append(
                (
                    authorship_id,
                    paper_id,
                    shape["author_ids"][name],
                    position,
                    json.dumps(affiliations),
                )
            )
        for name in paper_categories:
            categories.append((category_link_id, paper_id, shape["category_ids"][name], "crossref"))
        for keyword in paper_keywords:
            keywords.append((keyword_link_id, paper_id, keyword[0], "openalex"))
        for position, award in enumerate(work.funders):
            funder_id = shape["funder_ids"][award.funder_doi or award.name]
            fundings.append(
                (funding_id, paper_id, funder_id, json.dumps(list(award.awards)), position)
            )
    return papers, authorships, categories, keywords, fundings


# --- loading ---

LOOKUPS = (
    ("papers_journal", ("id", "title", "issn_print", "issn_electronic", "publisher"), "journals"),
    ("papers_funder", ("id", "name", "funder_doi"), "funders"),
    (
        "papers_author",
        ("id", "given_name", "family_name", "name", "name_key", "is_organization"),
        "authors",
    ),
    ("papers_category", ("id", "name", "slug"), "categories"),
    ("papers_keyword", ("id", "name", "slug"), "keywords"),
)

COPY_TARGETS = (
    ("papers_paper", PAPER_COLUMNS),
    ("papers_authorship", ("id", "paper_id", "author_id", "position", "affiliations")),
    # Links record their source (migration 0007): subjects as a registry's, keywords OpenAlex's.
    ("papers_papercategory", ("id", "paper_id", "category_id", "source")),
    ("papers_paperkeyword", ("id", "paper_id", "keyword_id", "source")),
    ("papers_funding", ("id", "paper_id", "funder_id", "awards", "position")),
)


def copy_rows(cursor, table, columns, rows):
    # id None -> let the sequence number the row (relations), so drop the id column there.
    if rows and rows[0][0] is None:
        columns, rows = columns[1:], (row[1:] for row in rows)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load_range(args):
    """One loader process: papers start..stop in batches, each batch one transaction."""
    database_url, start, stop, batch, position, now = args
    import psycopg
    from tqdm import tqdm

    corpus, templates, shape = _SHARED["corpus"], _SHARED["templates"], _SHARED["shape"]
    paper_columns = PAPER_COLUMNS + shape["paper_extra_columns"]
    targets = (("papers_paper", paper_columns),) + COPY_TARGETS[1:]
    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers
        cursor.execute("SET synchronous_commit = off")
        with tqdm(
            total=stop - start, position=position, desc=f"papers {start:,}+", unit="row"
        ) as bar:
            for lo in range(start, stop, batch):
                hi = min(lo + batch, stop)
                tables = paper_rows(lo, hi, corpus, templates, shape, now)
                for (table, columns), rows in zip(targets, tables, strict=True):
                    copy_rows(cursor, table, columns, rows)
                conn.commit()
                bar.update(hi - lo)


_SHARED = {}  # filled before the loader processes fork, read by them


def build(database_url, papers, *, force=False, batch=5000):
    ensure_database(database_url)
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM papers_paper")
        existing = cursor.fetchone()[0]
        cursor.execute("SELECT obj_description('papers_paper'::regclass, 'pg_class')")
        marker = cursor.fetchone()[0] or ""
    if existing == papers and marker == f"bench:{papers}" and not force:
        print(f"{papers:,} papers already built in {connection.settings_dict['NAME']}; kept")
        connection.close()
        vacuum(database_url)
        return
    started = time.monotonic()
    corpus = read_corpus()
    templates = read_templates()
    shape = plan(corpus, templates, read_keyword_shapes())
    now = timezone.now()
    print(
        f"corpus {len(corpus):,} records; {len(templates)} recorded Crossref templates; "
        f"{len(shape['journals'])} journals, {len(shape['funders'])} funders, "
        f"{len(shape['authors']):,} authors, {len(shape['categories']):,} categories, "
        f"{len(shape['keywords'])} keywords"
    )

    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(
            "TRUNCATE papers_paper, papers_journal, papers_author, papers_category, "
            "papers_keyword, papers_funder RESTART IDENTITY CASCADE"
        )
        for name, _ in gin_indexes():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute("SET session_replication_role = replica")
        for table, columns, key in LOOKUPS:
            copy_rows(cursor, table, columns, shape[key])
        cursor.execute("SET session_replication_role = DEFAULT")
    connection.close()

    _SHARED.update(corpus=corpus, templates=templates, shape=shape)
    step = -(-papers // LOADERS)
    ranges = [
        (database_url, lo, min(lo + step, papers), batch, i, now)
        for i, lo in enumerate(range(0, papers, step))
    ]
    context = multiprocessing.get_context("fork")
    with context.Pool(len(ranges)) as pool:
        pool.map(load_range, ranges)
    print(f"\nloaded {papers:,} papers in {time.monotonic() - started:.0f} s")

    import psycopg
    from psycopg import sql

    indexes = gin_indexes()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name, statement in indexes:
            index_started = time.monotonic()
            conn.execute(statement)
            print(f"GIN index {name} built in {time.monotonic() - index_started:.0f} s")
        lookup_tables = [table for table, _, _ in LOOKUPS]
        for table in [table for table, _ in COPY_TARGETS] + lookup_tables:
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                    "coalesce((SELECT max(id) FROM {table}), 1))"
                ).format(name=sql.Literal(table), table=sql.Identifier(table))
            )
        conn.execute(sql.SQL("COMMENT ON TABLE papers_paper IS {}").format(f"bench:{papers}"))
        counts = {
            table: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table, _ in COPY_TARGETS
        }
    vacuum(database_url)
    print("rows: " + ", ".join(f"{t} {c:,}" for t, c in counts.items()))
    print(f"built in {time.monotonic() - started:.0f} s")


def vacuum(database_url):
    """VACUUM ANALYZE until the papers' pages are all-visible, as autovacuum would leave them.

    A session elsewhere holding an old snapshot (an idle transaction of a test run) stops
    VACUUM from marking fresh rows visible; counts then read the whole table (measured: 100 ms
    instead of 23 ms at 100,000 papers). Cheap when nothing changed.
    """
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        for attempt in range(5):
            pages, visible = conn.execute(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'papers_paper'"
            ).fetchone()
            if attempt and visible >= 0.95 * pages:
                return
            if attempt:
                print(f"only {visible:,} of {pages:,} pages all-visible; VACUUM again in 10 s")
                time.sleep(10)
            conn.execute("VACUUM (ANALYZE)")
    print("warning: pages still not all-visible (an old snapshot is held open elsewhere)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: postgres://postgres@127.0.0.1:5432/portal_bench_<N>",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if already built")
    parser.add_argument("--batch", type=int, default=5000, help="papers per COPY transaction")
    shared_data.add_argument(parser)
    args = parser.parse_args()
    if args.data_dir:  # the loader processes read it too
        os.environ[shared_data.ENVIRONMENT_VARIABLE] = args.data_dir
    url = args.database_url or default_database_url(args.papers)
    build(url, args.papers, force=args.force, batch=args.batch)


def default_database_url(papers):
    label = f"{papers // 1_000_000}m" if papers % 1_000_000 == 0 else f"{papers // 1000}k"
    return f"postgres://postgres@127.0.0.1:5432/portal_bench_{label}"


if __name__ == "__main__":
    main()
