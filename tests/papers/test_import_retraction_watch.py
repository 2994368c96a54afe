"""manage.py import_retraction_watch: Retraction Watch notices marked on catalogue papers
(papers.retractions, through papers.ingest.add_notices).

Data is real: tests/fixtures/retractions/retraction_watch_sample.csv is
../shared/data/retractions/retraction_watch_sample.csv byte for byte (see the data README), and
tests/fixtures/crossref-lists/retracted_later.jsonl holds the three Crossref list items of
papers that the sample says were retracted in Sept.-Oct. 2023, recorded before that (so the
records carry no retraction): exactly the case Retraction Watch must catch. The lines are
verbatim from ../shared/data/crossref-lists/crossref_work_list_items.jsonl.gz.
"""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from papers import retractions
from papers.crossref import parse_work
from papers.ingest import import_records, read_records, upsert_work
from papers.management.commands.import_retraction_watch import Command
from papers.models import Notice, Paper
from portal.celery import app as celery_app
from reviews.ratings import submit_review
from tests.factories import UserFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = FIXTURES / "retractions" / "retraction_watch_sample.csv"
RETRACTED_LATER = FIXTURES / "crossref-lists" / "retracted_later.jsonl"
DOIS = ["10.1155/2021/3974674", "10.1155/2021/5525739", "10.1155/2022/2981558"]

pytestmark = pytest.mark.django_db


def run(path=SAMPLE):
    out = io.StringIO()
    call_command("import_retraction_watch", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def three_papers():
    report = import_records(read_records(RETRACTED_LATER))
    assert report.created == 3
    papers = list(Paper.objects.filter(doi__in=DOIS))
    assert not any(p.is_retracted for p in papers)
    return papers


def test_every_row_of_the_real_sample_reads():
    rows = list(retractions.read_csv(SAMPLE))

    assert len(rows) == 4827
    assert [line for line, item in rows if isinstance(item, Exception)] == []
    first_line, first = rows[0]
    assert first_line == 2
    assert first.paper_doi == "10.1155/2008/961753"
    assert first.notice.kind == "retraction"
    assert first.notice.doi == "10.1155/2015/982750"
    assert first.notice.date == datetime.date(2015, 2, 2)
    assert "Plagiarism of Text" in first.reasons
    assert first.url.startswith("http://retractionwatch.com/2015/01/19/")
    # The second row starts after the first row's multi-line fields.
    assert rows[1][0] > 3


def test_the_papers_retracted_later_are_marked_with_the_notice(three_papers):
    out = run()

    assert "3 papers updated (3 newly retracted), 0 unchanged" in out
    for paper in Paper.objects.filter(doi__in=DOIS):
        assert paper.is_retracted
        notice = paper.notices.get(source=retractions.SOURCE)
        assert notice.kind == "retraction"
        assert notice.direction == "updated-by"
        assert notice.date.year == 2023
        assert "Paper Mill" in notice.reason
        assert notice.url.startswith("https://retractionwatch.com/")
        assert paper.provenance["notices"]["source"] == retractions.SOURCE


def test_a_second_run_changes_nothing(three_papers):
    run()
    versions = dict(Paper.objects.values_list("pk", "content_version"))

    out = run()

    assert "0 papers updated (0 newly retracted), 3 unchanged" in out
    assert Notice.objects.filter(source=retractions.SOURCE).count() == 3
    assert dict(Paper.objects.values_list("pk", "content_version")) == versions


@pytest.mark.parametrize("path", ["single", "bulk"])
def test_a_later_crossref_import_keeps_the_retraction(three_papers, path):
    run()

    if path == "bulk":
        import_records(read_records(RETRACTED_LATER))
    else:
        for _, record in read_records(RETRACTED_LATER):
            upsert_work(parse_work(record))

    for paper in Paper.objects.filter(doi__in=DOIS):
        assert paper.is_retracted
        assert paper.notices.filter(source=retractions.SOURCE).count() == 1


def test_the_page_says_retracted_with_the_reasons_and_the_story(client, three_papers):
    run()
    paper = Paper.objects.get(doi=DOIS[0])

    html = client.get(paper.get_absolute_url()).content.decode()

    assert "This paper has been retracted." in html
    assert "Paper Mill" in html
    assert 'href="https://retractionwatch.com/' in html


@pytest.fixture
def tasks_run_here():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_raters_are_told_once(three_papers, tasks_run_here, django_capture_on_commit_callbacks):
    paper = Paper.objects.get(doi=DOIS[1])
    submit_review(user=UserFactory(username="ana"), paper=paper, rating=4)

    with django_capture_on_commit_callbacks(execute=True):
        run()
    with django_capture_on_commit_callbacks(execute=True):
        run()

    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert "has been retracted" in mail.outbox[0].body


def test_bad_rows_are_reported_with_their_line_numbers_and_the_rest_lands(tmp_path, three_papers):
    with open(SAMPLE, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        rows = [row for row in reader if row["originalpaperdoi"] in DOIS]
        fieldnames = reader.fieldnames
    broken = [dict(rows[0]), dict(rows[0]), dict(rows[0])]
    broken[0]["originalpaperdoi"] = "not a doi"
    broken[1]["retractiondate"] = "sometime in 2023"
    broken[2]["retractionnature"] = "Apology"
    path = tmp_path / "rw.csv"
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows([rows[0], *broken, rows[1], rows[2]])
    starts = [line for line, _ in retractions.read_csv(path)]

    out = run(path)

    assert "3 papers updated (3 newly retracted), 0 unchanged" in out
    assert "3 rows rejected" in out
    assert f"rejected line {starts[1]}: originalpaperdoi:" in out
    assert f"rejected line {starts[2]}: retractiondate 'sometime in 2023'" in out
    assert f"rejected line {starts[3]}: retractionnature 'Apology'" in out


def test_a_file_that_is_not_a_retraction_watch_csv_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("doi,title\n10.1/x,X\n")

    with pytest.raises(CommandError, match="no column originalpaperdoi"):
        run(path)
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.csv")


def test_it_has_help():
    text = Command().create_parser("manage.py", "import_retraction_watch").format_help()

    assert "Retraction Watch CSV" in text
    assert "FILE" in text


def write_rows(path, rows, fieldnames):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_reinstatement_after_the_retraction_lifts_it_and_a_later_retraction_stands(
    tmp_path, three_papers
):
    with open(SAMPLE, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        retraction = next(row for row in reader if row["originalpaperdoi"] == DOIS[0])
        fieldnames = reader.fieldnames
    reinstatement = {
        **retraction,
        "retractionnature": "Reinstatement",
        "retractiondoi": "10.1155/2024/0000001",
        "retractiondate": "1/5/2024 0:00",
    }
    run(write_rows(tmp_path / "retracted.csv", [retraction], fieldnames))
    assert Paper.objects.get(doi=DOIS[0]).is_retracted

    run(write_rows(tmp_path / "reinstated.csv", [retraction, reinstatement], fieldnames))
    paper = Paper.objects.get(doi=DOIS[0])
    assert not paper.is_retracted
    assert paper.notices.filter(kind="reinstatement", source=retractions.SOURCE).exists()

    again = {**retraction, "retractiondoi": "10.1155/2025/0000002", "retractiondate": "3/3/2025"}
    run(write_rows(tmp_path / "again.csv", [retraction, reinstatement, again], fieldnames))
    assert Paper.objects.get(doi=DOIS[0]).is_retracted


def test_which_notices_leave_a_paper_retracted():
    from papers.ingest import is_still_retracted

    day = datetime.date
    assert is_still_retracted([("retraction", day(2023, 9, 1))])
    assert not is_still_retracted([("retraction", day(2023, 9, 1)), ("reinstatement", None)])
    assert not is_still_retracted(
        [("retraction", day(2023, 9, 1)), ("reinstatement", day(2023, 9, 1))]
    )
    assert is_still_retracted([("reinstatement", day(2023, 1, 1)), ("withdrawal", None)])
    assert not is_still_retracted([("reinstatement", day(2023, 1, 1))])
