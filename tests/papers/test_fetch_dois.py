"""``manage.py fetch_dois FILE``: add papers from a list of DOIs, one a line.

The command calls the real ``papers.metadata.add_by_doi``; the fetches it enqueues after
commit are captured (``django_capture_on_commit_callbacks``), never sent.
"""

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from papers.crossref import parse_work
from papers.ingest import upsert_work
from papers.models import Paper
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

MIXED = """\
# DOIs from the reading group, spring
10.1038/srep16696
https://doi.org/10.1016/J.FFA.2015.10.008   # already in the catalogue

doi:10.1101/097196 # preprint
not a doi
10.1038/SREP16696
   # an indented comment
10.1234
10.5555/has#hash
"""


def run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    call_command("fetch_dois", *args, stdout=out, stderr=err, stdin=stdin)
    return out.getvalue(), err.getvalue()


def import_ffa():
    path = ROOT / "tests/fixtures/crossref/10.1016_j.ffa.2015.10.008.json"
    paper, _ = upsert_work(parse_work(json.loads(path.read_text("utf-8"))))
    return paper


def test_a_mixed_file_adds_the_new_dois_and_reports_the_rest(
    tmp_path, django_capture_on_commit_callbacks
):
    ffa = import_ffa()
    path = tmp_path / "dois.txt"
    path.write_text(MIXED, encoding="utf-8")

    with django_capture_on_commit_callbacks() as callbacks:
        out, err = run(str(path))

    lines = out.splitlines()
    assert lines[0] == "3 added, 2 already in the catalogue, 2 invalid"
    assert lines[1:] == [
        "line 6: 'not a doi' is not a DOI: a DOI looks like 10.1234/abc",
        "line 9: '10.1234' is not a DOI: a DOI looks like 10.1234/abc",
    ]
    assert set(Paper.objects.values_list("doi", flat=True)) == {
        ffa.doi,
        "10.1038/srep16696",
        "10.1101/097196",
        "10.5555/has#hash",
    }
    new = Paper.objects.exclude(pk=ffa.pk)
    assert {p.metadata_status for p in new} == {Paper.MetadataStatus.PENDING}
    assert len(callbacks) == 3  # one fetch per new paper, none for the others
    assert "Adding" in err and "7/7" in err  # the progress bar, on stderr


def test_dois_are_read_from_stdin_for_a_dash(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        out, _ = run("-", stdin=io.StringIO("10.1038/srep16696\n10.1101/097196\n"))

    assert out.splitlines() == ["2 added, 0 already in the catalogue, 0 invalid"]
    assert Paper.objects.count() == 2
    assert len(callbacks) == 2


def test_a_byte_order_mark_and_windows_line_ends_are_not_part_of_a_doi(tmp_path):
    path = tmp_path / "dois.txt"
    path.write_bytes("10.1038/srep16696\r\n10.1101/097196\r\n".encode("utf-8-sig"))

    out, _ = run(str(path))

    assert out.startswith("2 added, 0 already in the catalogue, 0 invalid")
    assert set(Paper.objects.values_list("doi", flat=True)) == {
        "10.1038/srep16696",
        "10.1101/097196",
    }


def test_a_doi_too_long_to_store_or_with_control_characters_is_an_invalid_line(tmp_path):
    path = tmp_path / "dois.txt"
    text = "10.1038/srep16696\n10.1038/" + "x" * 250 + "\n10.1038/a\x1bb\n10.1038/c\x1cd\n"
    path.write_text(text, encoding="utf-8")

    out, _ = run(str(path))

    assert out.splitlines() == [
        "1 added, 0 already in the catalogue, 3 invalid",
        "line 2: This DOI is longer than 255 characters; a DOI looks like 10.1234/abc",
        "line 3: A DOI has no control characters: a DOI looks like 10.1234/abc",
        # A file separator character is not a line end: still line 4.
        "line 4: '10.1038/c\\x1cd' is not a DOI: a DOI looks like 10.1234/abc",
    ]
    assert Paper.objects.count() == 1


def test_a_file_of_only_invalid_lines_is_an_error_after_the_report(tmp_path):
    path = tmp_path / "dois.txt"
    path.write_text("# header\nsrep16696\n\nhttps://example.org/10.1038/x\n", encoding="utf-8")
    out = io.StringIO()

    with pytest.raises(CommandError, match="No line of .*dois.txt holds a DOI"):
        call_command("fetch_dois", str(path), stdout=out, stderr=io.StringIO())

    assert out.getvalue().splitlines() == [
        "0 added, 0 already in the catalogue, 2 invalid",
        "line 2: 'srep16696' is not a DOI: a DOI looks like 10.1234/abc",
        "line 4: 'https://example.org/10.1038/x' is not a DOI: a DOI looks like 10.1234/abc",
    ]
    assert not Paper.objects.exists()


def test_a_file_of_dois_all_already_there_is_not_an_error(tmp_path):
    ffa = import_ffa()
    path = tmp_path / "dois.txt"
    path.write_text(ffa.doi.upper() + "\n", encoding="utf-8")

    out, _ = run(str(path))

    assert out.splitlines() == ["0 added, 1 already in the catalogue, 0 invalid"]


def test_a_file_of_comments_only_adds_nothing_and_is_not_an_error(tmp_path):
    path = tmp_path / "dois.txt"
    path.write_text("# nothing yet\n\n", encoding="utf-8")

    out, _ = run(str(path))

    assert out.splitlines() == ["0 added, 0 already in the catalogue, 0 invalid"]


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.txt: .*No such file"):
        run(str(tmp_path / "missing.txt"))


def test_a_directory_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path))


def test_a_file_that_is_not_utf8_text_is_an_error_and_adds_nothing(tmp_path):
    path = tmp_path / "dois.txt"
    path.write_bytes(b"10.1038/srep16696\n10.1101/\xff\xfe097196\n")

    with pytest.raises(CommandError, match="Cannot read .*dois.txt: .*can't decode"):
        run(str(path))

    assert not Paper.objects.exists()  # read whole before anything is added


def test_verbosity_0_shows_no_progress_bar(tmp_path):
    path = tmp_path / "dois.txt"
    path.write_text("10.1038/srep16696\n", encoding="utf-8")

    out, err = run(str(path), "--verbosity=0")

    assert err == ""
    assert out.startswith("1 added")


def test_it_has_help():
    result = subprocess.run(
        [sys.executable, "manage.py", "fetch_dois", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps the description
    assert "one DOI a line" in text
    assert 'FILE "-" reads standard input' in text
    assert "N added, M already in the catalogue, K invalid" in text
    assert "Exits non-zero only if FILE cannot be read or every line was invalid" in text
