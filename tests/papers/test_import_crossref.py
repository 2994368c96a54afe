"""manage.py import_crossref: JSON and JSONL files of real Crossref records."""

import gzip
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from papers.ingest import import_records
from papers.models import Paper
from tests.conftest import ROOT
from tests.records import crossref_record

pytestmark = pytest.mark.django_db

CROSSREF = ROOT / "tests" / "fixtures" / "crossref"
LISTS = ROOT / "tests" / "fixtures" / "crossref-lists"


def run(*files):
    out, err = StringIO(), StringIO()
    call_command("import_crossref", *map(str, files), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_envelopes_lists_and_jsonl_with_a_summary():
    files = [
        CROSSREF / "10.1038_srep16696.json",  # one /works/{doi} envelope
        LISTS / "works_sample_3.json",  # a work-list envelope with items
        LISTS / "work_list_items_selected.jsonl",  # one record a line
    ]

    out, err = run(*files)

    assert out.splitlines()[0] == "11 created, 0 updated, 0 unchanged, 0 rejected"
    assert Paper.objects.count() == 11
    assert "Importing" in err  # the progress bar


def test_a_second_import_reports_every_record_unchanged():
    run(CROSSREF / "10.1038_srep16696.json", LISTS / "works_sample_3.json")

    out, _ = run(CROSSREF / "10.1038_srep16696.json", LISTS / "works_sample_3.json")

    assert out.splitlines()[0] == "0 created, 0 updated, 4 unchanged, 0 rejected"


def test_bad_records_are_listed_with_their_reasons_and_the_rest_imported(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{this is not json")
    lines = (LISTS / "work_list_items_selected.jsonl").read_text().splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([lines[0], "{broken", "[]", lines[1]]) + "\n")
    gzipped = tmp_path / "one.json.gz"
    gzipped.write_bytes(gzip.compress((CROSSREF / "10.1038_hdy.2013.26.json").read_bytes()))

    out, _ = run(
        garbage,
        mixed,
        gzipped,
        CROSSREF / "10.6002_ect.2015.0371.json",
        CROSSREF / "_404_not_found.json",
    )

    # The journal issue without a title is imported under a made-up one (issue 15).
    assert out.splitlines()[0] == "4 created, 0 updated, 0 unchanged, 3 rejected"
    assert f"rejected {garbage}: not JSON" in out
    assert f"rejected {mixed}:2: not JSON" in out
    assert "has no title" not in out
    assert "_404_not_found.json: work record has no DOI" in out
    assert Paper.objects.count() == 4
    assert Paper.objects.get(doi="10.6002/ect.2015.0371").title.startswith("Untitled journal")


def test_it_fails_when_no_record_could_be_imported(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("<html>Service Unavailable</html>")

    with pytest.raises(CommandError, match="No record could be imported"):
        run(garbage)


def test_a_missing_file_is_reported_not_a_crash(tmp_path):
    out, _ = run(tmp_path / "missing.json", CROSSREF / "10.1038_srep16696.json")

    assert "cannot read file" in out
    assert Paper.objects.count() == 1


def test_it_has_help():
    result = subprocess.run(
        [sys.executable, "manage.py", "import_crossref", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert "Import Crossref works from JSON or JSONL files" in result.stdout


def test_a_batched_import_stores_the_same_and_still_rejects_one_bad_record_alone():
    refused = crossref_record("10.1038_hdy.2013.26.json")
    refused["message"]["is-referenced-by-count"] = -1  # the database's check refuses it
    records = [
        ("srep", crossref_record("10.1038_srep16696.json")),
        ("refused", refused),
        ("ejphar", crossref_record("10.1016_j.ejphar.2015.03.018.json")),
    ]

    report = import_records(records, batch_size=10)

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [where for where, _ in report.rejected] == ["refused"]
    assert set(Paper.objects.values_list("doi", flat=True)) == {
        "10.1038/srep16696",
        "10.1016/j.ejphar.2015.03.018",
    }
    assert Paper.objects.get(doi="10.1038/srep16696").authorships.count() == 8
    again = import_records(records, batch_size=2)
    assert (again.created, again.unchanged, len(again.rejected)) == (0, 2, 1)


def test_the_command_takes_a_batch_size():
    out, _ = run(
        CROSSREF / "10.1038_srep16696.json", LISTS / "works_sample_3.json", "--batch-size", "2"
    )

    assert out.splitlines()[0] == "4 created, 0 updated, 0 unchanged, 0 rejected"
