"""manage.py import_arxiv: real arXiv lines, in the snapshot's and the listing's format."""

import gzip
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from papers import arxiv, corpus
from papers.models import Paper
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "tests" / "fixtures" / "arxiv"
SNAPSHOT = FIXTURES / "snapshot_sample.jsonl"  # 5 lines
LISTINGS = FIXTURES / "listings_sample.jsonl.gz"  # 598 lines


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_arxiv", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_snapshot_lines_with_a_summary_and_a_progress_bar():
    out, err = run(SNAPSHOT)

    assert out.splitlines()[0] == "5 created, 0 updated, 0 unchanged, 0 rejected"
    assert "Importing" in err
    paper = Paper.objects.get(doi="10.48550/arxiv.2506.01877")
    assert paper.authorships.count() == 8
    assert set(paper.categories.values_list("name", flat=True)) == {"cs.IR", "cs.CL"}
    assert paper.provenance["title"]["source"] == "datacite"
    # The published version's DOI names another work: the paper stays the arXiv preprint.
    assert Paper.objects.filter(doi="10.48550/arxiv.0704.0001").exists()
    assert not Paper.objects.filter(doi="10.1103/physrevd.76.013009").exists()


def test_a_second_import_changes_nothing():
    run(SNAPSHOT)

    out, _ = run(SNAPSHOT)

    assert out.splitlines()[0] == "0 created, 0 updated, 5 unchanged, 0 rejected"


def test_one_file_may_mix_both_formats_and_a_listing_and_its_snapshot_line_are_one_paper(
    tmp_path,
):
    listing_lines = gzip.open(LISTINGS, "rt", encoding="utf-8").read().splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join(listing_lines[:3] + SNAPSHOT.read_text().splitlines()) + "\n")
    run(LISTINGS)  # 2506.01877 is among the listings

    out, _ = run(mixed)

    # The 3 listings and 3 of the 4 snapshot lines made from listings change nothing; the
    # snapshot of 2504.00040 has no "I.2" (an ACM class the listing shows among the
    # categories), so that link goes; 0704.0001 is new.
    assert out.splitlines()[0] == "1 created, 1 updated, 6 unchanged, 0 rejected"
    assert Paper.objects.count() == 598 + 1
    changed = Paper.objects.get(doi="10.48550/arxiv.2504.00040")
    assert "I.2" not in changed.categories.values_list("name", flat=True)


def test_a_malformed_line_is_rejected_with_its_line_number_and_the_rest_land(tmp_path):
    lines = SNAPSHOT.read_text().splitlines()
    bad = tmp_path / "bad.jsonl.gz"
    with gzip.open(bad, "wt", encoding="utf-8") as file:
        file.write("\n".join([lines[0], "{broken", "", lines[1], '{"id": "2504.9"}', lines[2]]))

    out, _ = run(bad)

    assert out.splitlines()[0] == "3 created, 0 updated, 0 unchanged, 2 rejected"
    assert f"rejected {bad}:2: not JSON" in out
    assert f"rejected {bad}:5: '2504.9' is not an arXiv id" in out
    assert Paper.objects.count() == 3


def test_a_gzipped_file_is_read_and_a_missing_one_reported(tmp_path):
    out, _ = run(tmp_path / "missing.jsonl.gz", LISTINGS)

    assert out.splitlines()[0] == "598 created, 0 updated, 0 unchanged, 1 rejected"
    assert f"rejected {tmp_path / 'missing.jsonl.gz'}: cannot read file" in out


def test_it_fails_when_no_line_could_be_imported(tmp_path):
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("<html>Service Unavailable</html>\n")

    with pytest.raises(CommandError, match="No record could be imported"):
        run(garbage)


def test_it_has_help():
    result = subprocess.run(
        [sys.executable, "manage.py", "import_arxiv", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert "arXiv's public metadata snapshot" in result.stdout


def test_a_long_file_is_parsed_in_a_second_process_into_the_same_items_in_order(tmp_path):
    # The sample's listings, with a line that is not JSON and one without a title among them.
    lines = gzip.open(LISTINGS, "rt", encoding="utf-8").read().splitlines()[:40]
    lines[7] = "{not json"
    lines[20] = lines[20].replace('"title":', '"old_title":')
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    here = list(corpus.parsed_works([path], arxiv.parse_record, chunk=len(lines) + 1))
    forked = list(corpus.parsed_works([path], arxiv.parse_record, chunk=3))

    assert [where for where, _ in forked] == [where for where, _ in here]
    assert [str(item) for _, item in forked] == [str(item) for _, item in here]
    assert [type(item) for _, item in forked] == [type(item) for _, item in here]
    assert forked[7][1].args[0].startswith("not JSON") and "no title" in str(forked[20][1])
    assert forked[0][1] == here[0][1] and forked[0][1].title  # a Work, as parsed here


def synchronous_commit():
    """The session's ``synchronous_commit`` on PostgreSQL; None elsewhere (no such thing)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_a_corpus_import_commits_without_waiting_for_the_disk_and_then_waits_again():
    before = synchronous_commit()
    during = []

    def progress(items):
        for item in items:
            during.append(synchronous_commit())
            yield item

    report = corpus.import_corpus(
        [SNAPSHOT], arxiv.parse_record, source=arxiv.SOURCE, progress=progress
    )

    assert report.created == 5
    assert set(during) == ({"off"} if connection.vendor == "postgresql" else {None})
    assert synchronous_commit() == before
