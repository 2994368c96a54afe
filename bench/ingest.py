"""How many records per second the ingest paths store in PostgreSQL, beside COPY of the
same rows in the same run.

    .venv/bin/python bench/ingest.py --records 2000 --batch-size 500 --json ingest.json
    .venv/bin/python bench/ingest.py --records 1000 --arxiv     # + the 74,727-paper corpus

Creates a throwaway database (``portal_bench_ingest`` on the test server; dropped at the
end unless ``--keep``), migrates it, and times on N records made from the real recorded
Crossref works in tests/fixtures/crossref (record n is recorded work n mod 53 with its DOI
made distinct, ``<doi>.bench<n>``; authors with an ORCID and journals are shared between
copies, as real imports share them):

- parse only: ``papers.crossref.parse_work`` over the N records, no database;
- single: ``papers.ingest.upsert_work`` one record per transaction (what the fetch task
  does), on the first ``--single-records`` records, into emptied tables;
- bulk: ``papers.ingest.import_records(batch_size=B)`` (parse, then ``import_works``, the
  bulk path ``import_crossref`` uses), into emptied tables; then the same records again,
  all unchanged (what a refresh costs);
- ceiling: the rows the bulk path wrote, read out with ``COPY ... TO`` and written back
  into the emptied tables with ``COPY ... FROM``: the papers rows alone, and all rows of
  the records (papers, authorships, authors, journals, funders, fundings, categories and
  their links, notices, references and version links).
- with ``--arxiv``: the arXiv listing corpus (``../shared/data/corpus/
  arxiv_cs_listings_74k.jsonl.gz`` from the project root; ``--arxiv-file`` or
  PORTAL_SHARED_DATA for another) read, parsed and stored by ``papers.corpus.
  import_corpus`` (what ``manage.py import_arxiv`` runs: parsing in a second process) into
  emptied tables, then COPY of its rows.

Every figure pays the same indexes, the same generated ``search_vector`` column and the
same GIN index. Each path runs ``--rounds`` times, alternating; the best round is shown.
Prints figures beside their targets and ratios to COPY; ``--json FILE`` writes them too
(``bulk_records_per_s``, ``copy_records_per_s``, ...). Asserts only that every record was
stored.
"""

import argparse
import copy
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "crossref"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_ingest"

# What the records write, parents first (the order COPY must follow).
RECORD_TABLES = (
    "papers_journal",
    "papers_author",
    "papers_funder",
    "papers_category",
    "papers_paper",
    "papers_authorship",
    "papers_funding",
    "papers_papercategory",
    "papers_paperkeyword",
    "papers_notice",
    # Reference lists and version links (issue 17): the bulk path writes them too.
    "papers_reference",
    "papers_versionlink",
)
# Targets of issue 15: the bulk path at a quarter of COPY's rate at least, and the arXiv
# corpus imported in two minutes at most.
BULK_TARGET = 0.25
ARXIV_TARGET_SECONDS = 120
CORPUS = Path("corpus") / "arxiv_cs_listings_74k.jsonl.gz"


def shared_data():
    """../shared/data from the project root, or PORTAL_SHARED_DATA."""
    return Path(os.environ.get("PORTAL_SHARED_DATA") or ROOT.parent / "shared" / "data")


def admin_url(database_url):
    return database_url.rstrip("/").rsplit("/", 1)[0] + "/postgres"


def database_name(database_url):
    return database_url.rstrip("/").rsplit("/", 1)[1].split("?")[0]


def recreate_database(database_url):
    import psycopg
    from psycopg import sql

    name = sql.Identifier(database_name(database_url))
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(database_url):
    import psycopg
    from psycopg import sql

    name = sql.Identifier(database_name(database_url))
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    # Production settings: DEBUG off, so that no query is kept in connection.queries.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recorded_works():
    """The recorded Crossref works that parse (the 404 and a record without a title don't)."""
    from papers import crossref

    works = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            crossref.parse_work(data)
        except crossref.CrossrefError:
            continue
        works.append(data)
    return works


def distinct_records(works, count):
    """``count`` (where, record) pairs: recorded work n mod len(works), DOI made distinct."""
    records = []
    for n in range(count):
        record = copy.deepcopy(works[n % len(works)])
        message = record.get("message", record)
        message["DOI"] = f"{message['DOI']}.bench{n}"
        records.append((f"record {n}", record))
    return records


def empty_record_tables(connection):
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(RECORD_TABLES)} RESTART IDENTITY CASCADE")


def copy_ceiling(database_url, tables):
    """Seconds to COPY back the rows of ``tables`` that the ingest wrote, into empty tables."""
    import psycopg

    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        dumps = {}
        for table in tables:
            columns = [
                row[0]
                for row in cursor.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND is_generated = 'NEVER' ORDER BY ordinal_position",
                    [table],
                )
            ]
            column_list = ", ".join(columns)
            buffer = bytearray()
            with cursor.copy(f"COPY {table} ({column_list}) TO STDOUT") as copy_out:
                for chunk in copy_out:
                    buffer += chunk
            dumps[table] = (column_list, bytes(buffer))
        # Children of these tables go too (CASCADE); their parents stay.
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.commit()
        started = time.perf_counter()
        for table in tables:
            column_list, data = dumps[table]
            with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy_in:
                copy_in.write(data)
        conn.commit()
        seconds = time.perf_counter() - started
        for table in tables:  # the rows came back with their ids: move the sequences on
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        conn.commit()
        return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="records per measurement")
    parser.add_argument("--batch-size", type=int, default=500, help="records per transaction")
    parser.add_argument(
        "--single-records", type=int, default=300, help="records for the single path (slow)"
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway database")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each path (best shown)")
    parser.add_argument("--arxiv", action="store_true", help="also import the arXiv corpus")
    parser.add_argument("--arxiv-file", type=Path, help="the corpus (default: shared data)")
    parser.add_argument(
        "--arxiv-batch-size",
        type=int,
        help="records per transaction of the corpus import (default: import_arxiv's)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection, connections

    from papers import crossref
    from papers.ingest import import_records, upsert_work

    try:
        call_command("migrate", verbosity=0, interactive=False)
        works = recorded_works()
        records = distinct_records(works, args.records)
        singles = records[: args.single_records]
        n = len(records)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(
            f"ingest: {n:,} records from {len(works)} recorded Crossref works (DOIs varied), "
            f"batches of {args.batch_size}, PostgreSQL {version}, "
            f"load average {os.getloadavg()[0]:.1f}"
        )

        labels = {
            "parse": "parse only (crossref.parse_work, no database)",
            "single": f"single: upsert_work per record ({len(singles)} records, created)",
            "bulk": f"bulk: import_works, {args.batch_size} per batch (created)",
            "again": "bulk, again: all unchanged (a refresh)",
            "copy_papers": "COPY of the papers rows (ceiling)",
            "copy": "COPY of all rows of the records (ceiling)",
        }
        counts = {"single": len(singles)}
        rounds = {key: [] for key in labels}

        def measure(key, function, *, check=None):
            started = time.perf_counter()
            result = function()
            rounds[key].append(time.perf_counter() - started)
            if check is not None:
                assert check(result), getattr(result, "summary", lambda: result)()

        def bulk():
            return import_records(records, batch_size=args.batch_size)

        # Each path runs --rounds times (alternating, into emptied tables); the best round is
        # shown, so that a burst of load from other processes counts as little as possible.
        parsed = []
        for _ in range(args.rounds):
            parsed.clear()
            measure("parse", lambda: parsed.extend(crossref.parse_work(r) for _, r in records))
            empty_record_tables(connection)
            measure("single", lambda: [upsert_work(work) for work in parsed[: len(singles)]])
            empty_record_tables(connection)
            measure("bulk", bulk, check=lambda r: r.created == n and not r.rejected)
            measure("again", bulk, check=lambda r: r.unchanged == n and not r.rejected)
            rows = {table: count_rows(connection, table) for table in RECORD_TABLES}
            connections.close_all()
            rounds["copy_papers"].append(copy_ceiling(args.database_url, ("papers_paper",)))
            # Only the papers came back: store the records again (untimed) for the next.
            empty_record_tables(connection)
            bulk()
            connections.close_all()
            rounds["copy"].append(copy_ceiling(args.database_url, RECORD_TABLES))
        best = {key: min(seconds) for key, seconds in rounds.items()}
        rate = {key: counts.get(key, n) / seconds for key, seconds in best.items()}

        queries = queries_per_batch(records[: len(works)])
        heading = f"path (best of {args.rounds} rounds)"
        print(f"{heading:<58} {'records/s':>10} {'seconds':>8} {'of COPY':>8}")
        for key, label in labels.items():
            share = rate[key] / rate["copy"]
            print(f"{label:<58} {rate[key]:>10,.0f} {best[key]:>8.2f} {share:>8.1%}")
        bulk_share = rate["bulk"] / rate["copy"]
        verdict = "met" if bulk_share >= BULK_TARGET else "NOT met"
        print(
            f"bulk path: {bulk_share:.1%} of COPY of the same rows (target >= "
            f"{BULK_TARGET:.0%}: {verdict}); {rate['bulk'] / rate['single']:.0f}x the single path"
        )
        print(
            "rows per run: "
            + ", ".join(f"{t.removeprefix('papers_')} {c:,}" for t, c in rows.items())
        )
        print(
            f"SQL statements per batch of {len(works)} (bulk): created {queries['created']}, "
            f"unchanged {queries['unchanged']}"
        )
        figures = {
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "records": n,
            "batch_size": args.batch_size,
            "postgresql": version,
            "parse_records_per_s": rate["parse"],
            "single_records_per_s": rate["single"],
            "bulk_records_per_s": rate["bulk"],
            "bulk_unchanged_records_per_s": rate["again"],
            "copy_papers_records_per_s": rate["copy_papers"],
            "copy_records_per_s": rate["copy"],
            "bulk_share_of_copy": bulk_share,
            "bulk_target_share_of_copy": BULK_TARGET,
            "rows": rows,
            "queries_per_batch": queries,
        }
        if args.arxiv:
            figures["arxiv"] = measure_arxiv(args, connection, connections)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
            print(f"figures written to {args.json}")
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(args.database_url)


def measure_arxiv(args, connection, connections):
    """Import the arXiv corpus into emptied tables as ``manage.py import_arxiv`` does, then
    COPY its rows back; print both."""
    from papers import arxiv
    from papers.corpus import BATCH_SIZE, import_corpus

    path = args.arxiv_file or shared_data() / CORPUS
    batch_size = args.arxiv_batch_size or BATCH_SIZE
    empty_record_tables(connection)
    started = time.perf_counter()
    report = import_corpus([path], arxiv.parse_record, source=arxiv.SOURCE, batch_size=batch_size)
    seconds = time.perf_counter() - started
    papers = report.created
    connections.close_all()
    copy_seconds = copy_ceiling(args.database_url, RECORD_TABLES)
    verdict = "met" if seconds <= ARXIV_TARGET_SECONDS else "NOT met"
    print(
        f"arXiv corpus ({path.name}, batches of {batch_size}): {report.summary()}; "
        f"{seconds:.1f} s, "
        f"{papers / seconds:,.0f} papers/s (target <= {ARXIV_TARGET_SECONDS} s: {verdict}); "
        f"COPY of its rows {copy_seconds:.1f} s, {papers / copy_seconds:,.0f} papers/s "
        f"(the import at {copy_seconds / seconds:.1%} of it)"
    )
    for where, reason in report.rejected:
        print(f"  rejected {where}: {reason}")
    return {
        "papers": papers,
        "batch_size": batch_size,
        "rejected": len(report.rejected),
        "seconds": seconds,
        "records_per_s": papers / seconds,
        "target_seconds": ARXIV_TARGET_SECONDS,
        "copy_seconds": copy_seconds,
        "copy_records_per_s": papers / copy_seconds,
    }


def queries_per_batch(records):
    """SQL statements the bulk path runs for one batch of these records, created, then
    imported again unchanged."""
    from django.db import connection

    from papers.ingest import import_records

    probes = copy.deepcopy(records)
    for _, record in probes:
        message = record.get("message", record)
        message["DOI"] += ".probe"
    counts = {}
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    for outcome in ("created", "unchanged"):
        statements.clear()
        with connection.execute_wrapper(count):
            report = import_records(probes, batch_size=len(probes))
        assert getattr(report, outcome) == len(probes), report.summary()
        counts[outcome] = len(statements)
    return counts


def count_rows(connection, table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
