"""How many recorded Crossref records per second the ingest path stores in PostgreSQL.

    .venv/bin/python bench/ingest.py --records 2000

Creates a throwaway database (``portal_bench_ingest`` on the test server; dropped at the
end unless ``--keep``), migrates it, and times on N records made from the real recorded
Crossref works in tests/fixtures/crossref (record n is recorded work n mod 53 with its DOI
made distinct, ``<doi>.bench<n>``; authors with an ORCID and journals are shared between
copies, as real imports share them):

- parse only: ``papers.crossref.parse_work`` over the N records, no database;
- single: ``papers.ingest.import_records`` (parse_work + upsert_work), one record per
  transaction, as ``import_crossref`` and the fetch task store records;
- single, again: the same records a second time, all unchanged (what a refresh costs);
- batched: the same into emptied tables with ``import_records(batch_size=B)``: B records
  per transaction, each in a savepoint of its own;
- ceiling: the rows the ingest wrote, read out with ``COPY ... TO`` and written back into
  the emptied tables with ``COPY ... FROM``: the papers rows alone, and all rows of a
  record (papers, authorships, fundings, keyword and category links, notices).

Every figure pays the same indexes, the same generated ``search_vector`` column and the
same GIN index. Each path runs ``--rounds`` times, alternating; the best round is shown.
Prints figures and asserts nothing (the checks are that every record was stored).
"""

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "crossref"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_ingest"

# What one record writes, parents first (the order COPY must follow).
RECORD_TABLES = (
    "papers_paper",
    "papers_authorship",
    "papers_funding",
    "papers_papercategory",
    "papers_paperkeyword",
    "papers_notice",
)


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


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def empty_record_tables(cursor):
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
        empty_record_tables(cursor)
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
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway database")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each path (best shown)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection, connections

    from papers import crossref
    from papers.ingest import import_records
    from papers.models import Paper

    try:
        call_command("migrate", verbosity=0, interactive=False)
        works = recorded_works()
        records = distinct_records(works, args.records)
        n = len(records)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(
            f"ingest: {n:,} records from {len(works)} recorded Crossref works (DOIs varied), "
            f"PostgreSQL {version}, load average {os.getloadavg()[0]:.1f}"
        )

        # Each path runs --rounds times (alternating, into emptied tables); the best round is
        # shown, so that a burst of load from other processes counts as little as possible.
        single = "single: one record per transaction (created)"
        batched = f"batched: {args.batch_size} records per transaction (created)"
        labels = [
            "parse only (crossref.parse_work, no database)",
            single,
            "single, again: all unchanged (a refresh)",
            batched,
            "COPY of the papers rows (ceiling)",
            "COPY of every row of the records (ceiling)",
        ]
        rounds = {label: [] for label in labels}

        def measure(label, function, created=None):
            report, seconds = timed(function)
            if created is not None:
                assert report.created == created and not report.rejected, report.summary()
            rounds[label].append(seconds)

        for _ in range(args.rounds):
            measure(labels[0], lambda: [crossref.parse_work(record) for _, record in records])
            with connection.cursor() as cursor:
                empty_record_tables(cursor)
            measure(single, lambda: import_records(records), created=n)
            measure(labels[2], lambda: import_records(records), created=0)
            with connection.cursor() as cursor:
                empty_record_tables(cursor)
            measure(batched, lambda: import_records(records, batch_size=args.batch_size), created=n)
            rows = {table: count_rows(connection, table) for table in RECORD_TABLES}
            connections.close_all()
            rounds[labels[4]].append(copy_ceiling(args.database_url, ("papers_paper",)))
            # Only the papers came back: store the records again (untimed) for the next.
            with connection.cursor() as cursor:
                empty_record_tables(cursor)
            import_records(records, batch_size=args.batch_size)
            assert Paper.objects.count() == n
            connections.close_all()
            rounds[labels[5]].append(copy_ceiling(args.database_url, RECORD_TABLES))
        figures = [(label, min(seconds)) for label, seconds in rounds.items()]

        queries = queries_per_record(records[: len(works)])
        heading = f"path (best of {args.rounds} rounds)"
        print(f"{heading:<52} {'records/s':>10} {'seconds':>8}")
        for label, seconds in figures:
            print(f"{label:<52} {n / seconds:>10,.0f} {seconds:>8.2f}")
        print(
            "rows per run: "
            + ", ".join(f"{t.removeprefix('papers_')} {c:,}" for t, c in rows.items())
        )
        print(
            f"SQL statements per record (mean over the {len(works)} works, single): created "
            f"{queries['created']:.0f}, unchanged {queries['unchanged']:.0f}"
        )
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(args.database_url)


def queries_per_record(records):
    """Mean SQL statements per record when it is created, then imported again unchanged."""
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
            report = import_records(probes)
        assert getattr(report, outcome) == len(probes), report.summary()
        counts[outcome] = len(statements) / len(probes)
    return counts


def count_rows(connection, table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
