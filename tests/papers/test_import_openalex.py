"""manage.py import_openalex: real OpenAlex works, one a line as in the works snapshot."""

import gzip
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from papers.corpus import Rejections, import_corpus
from papers.models import Paper
from papers.openalex import parse_work
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

# The 8 recorded works, then the 5 of /works?sample=5 (3 of which have no DOI).
WORKS = ROOT / "tests" / "fixtures" / "openalex" / "works_snapshot_sample.jsonl"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_openalex", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_works_and_rejects_those_without_a_doi_by_line():
    out, err = run(WORKS)

    assert out.splitlines()[0] == "10 created, 0 updated, 0 unchanged, 3 rejected"
    assert f"rejected {WORKS}:9: OpenAlex work W2600965442 has no DOI" in out
    assert f"rejected {WORKS}:12: OpenAlex work W7120675484 has no DOI" in out
    assert "Importing" in err
    paper = Paper.objects.get(doi="10.3389/fpls.2019.00816")
    assert paper.journal.title == "Frontiers in Plant Science"
    assert paper.authorships.count() == 4 and paper.fundings.count() == 2
    assert paper.category_links.filter(source="openalex").exists()
    assert paper.provenance["title"]["source"] == "openalex"


def test_a_second_import_changes_nothing():
    run(WORKS)

    out, _ = run(WORKS)

    assert out.splitlines()[0] == "0 created, 0 updated, 10 unchanged, 3 rejected"


def test_a_gzipped_file_with_a_malformed_line_lands_the_rest(tmp_path):
    lines = WORKS.read_text().splitlines()
    gzipped = tmp_path / "works.jsonl.gz"
    with gzip.open(gzipped, "wt", encoding="utf-8") as file:
        file.write("\n".join([lines[0], lines[1][:500], lines[2]]) + "\n")

    out, _ = run(gzipped)

    assert out.splitlines()[0] == "2 created, 0 updated, 0 unchanged, 1 rejected"
    assert f"rejected {gzipped}:2: not JSON" in out


def test_a_truncated_gzip_file_keeps_what_was_read_and_says_where_it_broke(tmp_path):
    whole = gzip.compress(WORKS.read_bytes())
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(whole[: len(whole) // 2])

    out, _ = run(truncated)

    created = int(out.split()[0])
    assert 0 < created < 10
    assert "cannot read file" in out


def test_only_the_first_rejections_are_listed_but_all_are_counted(tmp_path):
    no_doi = WORKS.read_text().splitlines()[8]
    many = tmp_path / "no_doi.jsonl"
    many.write_text((no_doi + "\n") * 5)
    report = import_corpus([many], parse_work, source="openalex")
    assert isinstance(report.rejected, Rejections)

    limited = Rejections(limit=2)
    limited.extend(list(report.rejected)[:3])
    limited += list(report.rejected)[3:]

    assert len(report.rejected) == 5 and len(list(report.rejected)) == 5
    assert len(limited) == 5 and [where for where, _ in limited] == [f"{many}:1", f"{many}:2"]


def test_it_has_help():
    result = subprocess.run(
        [sys.executable, "manage.py", "import_openalex", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert "OpenAlex works snapshot" in result.stdout
