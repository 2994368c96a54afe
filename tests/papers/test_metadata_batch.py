"""Several papers fetched together (papers.metadata.fetch_metadata_batch): one Crossref
request for their records, the bulk path to store them, and each paper Crossref does not
answer for handed to the single fetch. Against the local replay server, with recorded
Crossref and DataCite records (tests/fixtures/crossref, tests/fixtures/datacite); the list
answer is Crossref's work-list envelope around recorded work messages."""

import datetime
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from papers import metadata
from papers.metadata import fetch_metadata, fetch_metadata_batch, refresh_due_metadata
from papers.models import Paper
from tests.conftest import ROOT
from tests.replay import Reply

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "tests" / "fixtures"
Status = Paper.MetadataStatus
SREP = "10.1038/srep16696"
HEREDITY = "10.1038/hdy.2013.26"
DRYAD = "10.5061/dryad.8515"  # a DataCite DOI: Crossref's list leaves it out


def message(name):
    return json.loads((FIXTURES / "crossref" / name).read_text())["message"]


def work_list(*names):
    items = [message(name) for name in names]
    body = {
        "status": "ok",
        "message-type": "work-list",
        "message-version": "1.0.0",
        "message": {"total-results": len(items), "items": items, "items-per-page": len(items)},
    }
    return Reply(200, json.dumps(body).encode())


def due(doi, **fields):
    fields.setdefault("metadata_status", Status.FAILED)
    fields.setdefault("metadata_retry_at", timezone.now() - datetime.timedelta(minutes=1))
    return Paper.objects.create(doi=doi, title=doi, **fields)


def list_requests(server):
    return [path for path, _ in server.requests if urlsplit(path).path == "/crossref/works"]


def test_the_sweep_enqueues_due_papers_a_batch_at_a_time(
    settings, django_capture_on_commit_callbacks
):
    settings.METADATA_FETCH_BATCH = 2
    for number in range(5):
        due(f"10.5555/due.{number}")

    with django_capture_on_commit_callbacks() as callbacks:
        count = refresh_due_metadata.apply().get()

    # 5 papers: two batches of two and one paper alone.
    assert count == 5 and len(callbacks) == 3
    assert set(Paper.objects.values_list("metadata_status", flat=True)) == {Status.PENDING}


def test_one_request_fetches_a_batch_and_a_doi_crossref_lacks_is_fetched_alone(
    replay_server, django_capture_on_commit_callbacks
):
    replay_server.reply(
        "/crossref/works",
        work_list("10.1038_srep16696.json", "10.1038_hdy.2013.26.json"),
    )
    papers = [due(SREP), due(HEREDITY), due(DRYAD)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = fetch_metadata_batch.apply(args=([p.pk for p in papers],)).get()

    assert outcome == {"fetched": 2, "alone": 1, "failed": 0}
    [request] = list_requests(replay_server)
    query = parse_qs(urlsplit(request).query)
    assert query["filter"] == [f"doi:{HEREDITY},doi:{SREP},doi:{DRYAD}"]
    assert query["rows"] == ["3"]
    srep, heredity, dryad = (Paper.objects.get(pk=p.pk) for p in papers)
    for paper in (srep, heredity):
        assert paper.metadata_status == Status.FETCHED
        assert paper.metadata_source == "crossref" and paper.metadata_retry_at is None
        assert paper.title != paper.doi and paper.authorships.exists()
    assert srep.authorships.count() == 8
    # The DataCite DOI waits for its own fetch, enqueued once; the two papers stored are
    # placed in the related lists by one task for the batch.
    assert dryad.metadata_status == Status.PENDING
    assert len(callbacks) == 2

    replay_server.reply(f"/crossref/works/{DRYAD}", Reply(404, b"Resource not found.", {}))
    replay_server.reply(
        f"/datacite/dois/{DRYAD}",
        Reply(200, (FIXTURES / "datacite" / "10.5061_dryad.8515.json").read_bytes()),
    )
    fetch_metadata.apply(args=(dryad.pk,))
    dryad.refresh_from_db()
    assert (dryad.metadata_status, dryad.metadata_source) == (Status.FETCHED, "datacite")


def test_a_batch_run_twice_fetches_once(replay_server, django_capture_on_commit_callbacks):
    replay_server.reply("/crossref/works", work_list("10.1038_srep16696.json"))
    paper = due(SREP)

    first = fetch_metadata_batch.apply(args=([paper.pk],)).get()
    again = fetch_metadata_batch.apply(args=([paper.pk],)).get()

    assert first["fetched"] == 1 and again == {"fetched": 0, "alone": 0, "failed": 0}
    assert len(list_requests(replay_server)) == 1
    assert Paper.objects.get(pk=paper.pk).authorships.count() == 8


@pytest.mark.parametrize(
    "reply",
    [
        Reply(503, b"down for maintenance", {"Content-Type": "text/plain"}),
        Reply(200, b'{"status": "ok", "message-type": "work", "message": {}}'),
        Reply(200, b"not json"),
    ],
    ids=["server error", "not a list", "not json"],
)
def test_a_failed_list_request_hands_every_paper_to_its_own_fetch(
    replay_server, django_capture_on_commit_callbacks, reply
):
    replay_server.reply("/crossref/works", reply)
    papers = [due(SREP), due(HEREDITY)]

    with django_capture_on_commit_callbacks() as callbacks:
        outcome = fetch_metadata_batch.apply(args=([p.pk for p in papers],)).get()

    assert outcome == {"fetched": 0, "alone": 2, "failed": 0}
    assert len(callbacks) == 2
    statuses = Paper.objects.values_list("metadata_status", "metadata_attempts")
    # Nothing counted as a try: each paper's own fetch keeps its tries and backoff.
    assert set(statuses) == {(Status.PENDING, 0)}


def test_a_record_the_catalogue_refuses_fails_alone_and_the_others_land(replay_server):
    refused = message("10.1038_hdy.2013.26.json")
    refused["is-referenced-by-count"] = -1  # a count the catalogue refuses
    body = {
        "status": "ok",
        "message-type": "work-list",
        "message": {"items": [message("10.1038_srep16696.json"), refused]},
    }
    replay_server.reply("/crossref/works", Reply(200, json.dumps(body).encode()))
    srep, heredity = due(SREP), due(HEREDITY)

    outcome = fetch_metadata_batch.apply(args=([srep.pk, heredity.pk],)).get()

    srep.refresh_from_db()
    heredity.refresh_from_db()
    assert outcome == {"fetched": 1, "alone": 0, "failed": 1}
    assert srep.metadata_status == Status.FETCHED
    assert heredity.metadata_status == Status.FAILED
    assert heredity.metadata_error.startswith("the record could not be stored:")
    assert heredity.metadata_retry_at > timezone.now() + datetime.timedelta(hours=23)
    assert heredity.title == HEREDITY  # nothing of it was written


def test_a_paper_fetched_meanwhile_is_not_claimed_again(replay_server):
    replay_server.reply("/crossref/works", work_list("10.1038_srep16696.json"))
    paper = due(SREP)
    Paper.objects.filter(pk=paper.pk).update(metadata_status=Status.FETCHED, metadata_retry_at=None)

    assert metadata.fetch_and_store_batch([paper.pk]) == {"fetched": 0, "alone": 0, "failed": 0}
    assert not replay_server.requests
