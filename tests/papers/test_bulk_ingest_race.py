"""Two real processes import overlapping batches of the same records at the same moment:
no paper, author, journal or funder is stored twice, and no record is lost or refused.

Runs on the test database of the session (PostgreSQL with DATABASE_URL: concurrent
transactions meet on the unique indexes; SQLite: its writers take turns).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from papers.ingest import import_records, read_records
from papers.models import Author, Authorship, Category, Funder, Journal, Paper
from tests.conftest import ROOT, database_url_of, wait_for
from tests.records import crossref_record

# Each process says it is ready, waits for the barrier file, then imports the file through
# the bulk path, in batches of ten (the second process from the end), and prints its report.
IMPORTER = """
import json, os, pathlib, sys, time
import django
django.setup()
from papers.ingest import import_records, read_records
ready, barrier, path, backwards = sys.argv[1:5]
pathlib.Path(ready).touch()
while not os.path.exists(barrier):
    time.sleep(0.01)
records = list(read_records(path))
report = import_records(records[::-1] if backwards == "1" else records, batch_size=10)
print(json.dumps({"created": report.created, "updated": report.updated,
                  "unchanged": report.unchanged, "rejected": report.rejected}))
"""

# Records sharing ORCID authors, journals (by ISSN), categories, and funders with and
# without a registry DOI (found by name).
SHARED = (
    "10.1515_crelle-2013-0024.json",
    "10.1145_2831244.2831252.json",
    "10.53731_avg2ykg-gdxppcd.json",
    "10.53731_ybhah-9jy85.json",
    "10.54900_rckn8ey-1fm76va-qsrnf.json",
    "10.1371_journal.pone.0000030.json",
    "10.1371_journal.pone.0214986.json",
    "10.1136_jclinpath-2020-206745.json",
    "10.1038_srep16696.json",
)


def write_records(path, count):
    """``count`` records cycling through SHARED, each with a DOI of its own."""
    messages = []
    for n in range(count):
        message = crossref_record(SHARED[n % len(SHARED)])["message"]
        message["DOI"] = f"{message['DOI']}.race{n}"
        messages.append(message)
    Path(path).write_text("".join(json.dumps(m) + "\n" for m in messages))


@pytest.mark.django_db(transaction=True)
def test_two_processes_importing_the_same_records_store_each_row_once(tmp_path):
    count = 140
    records = str(tmp_path / "records.jsonl")
    write_records(records, count)
    barrier = tmp_path / "go"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(connection),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "REDIS_URL": "",  # the placement tasks go to the embedded broker's files
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                IMPORTER,
                str(tmp_path / f"ready{n}"),
                str(barrier),
                records,
                str(n),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    wait_for(lambda: all((tmp_path / f"ready{n}").exists() for n in range(2)), timeout=120)
    barrier.touch()
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    assert [r["rejected"] for r in reports] == [[], []]
    assert sum(r["created"] for r in reports) == count
    assert all(r["created"] + r["updated"] + r["unchanged"] == count for r in reports)
    # Both stored some of the records (they met in the middle): the imports did overlap, and
    # every batch of each met the other's authors, journals and categories.
    assert all(r["created"] > 0 for r in reports), reports
    assert Paper.objects.count() == count
    names = {
        funder["name"].lower()
        for name in SHARED
        for funder in crossref_record(name)["message"].get("funder", [])
        if not funder.get("DOI")
    }
    assert len(names) > 3
    assert Funder.objects.filter(funder_doi=None).count() == len(names)  # each name once
    raced = catalogue_counts()
    for model in (Paper, Author, Journal, Category, Funder):
        model.objects.all().delete()

    import_records(read_records(records))

    assert raced == catalogue_counts()  # the same rows as one import alone


def catalogue_counts():
    return {
        "papers": Paper.objects.count(),
        "authors with an ORCID": Author.objects.exclude(orcid=None).count(),
        "authors without": Author.objects.filter(orcid=None).count(),
        "authorships": Authorship.objects.count(),
        "journals": Journal.objects.count(),
        "categories": Category.objects.count(),
        "funders": Funder.objects.count(),
    }
