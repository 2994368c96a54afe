"""Adding papers by DOI and fetching their metadata, against a local replay server."""

import datetime
import json

import pytest
from django.utils import timezone

from papers import metadata, records
from papers.metadata import fetch_metadata, refresh_due_metadata
from papers.models import Paper
from tests.conftest import ROOT
from tests.replay import Reply

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "tests" / "fixtures"
Status = Paper.MetadataStatus
SREP_DOI = "10.1038/srep16696"
SREP = "/crossref/works/10.1038/srep16696"


def recorded(folder, name):
    return (FIXTURES / folder / name).read_bytes()


def not_found():
    body = json.loads(recorded("crossref", "_404_not_found.json"))["body"].encode()
    return Reply(404, body, {"Content-Type": "text/plain"})


def pending(doi=SREP_DOI):
    return Paper.objects.create(doi=doi, title=doi, metadata_status=Status.PENDING)


def sweep_when_due(paper, callbacks):
    """The paper's next try comes (its retry time is put in the past), then the beat sweep
    runs; returns how many fetches the sweep enqueued (after commit, into ``callbacks``)."""
    Paper.objects.filter(pk=paper.pk).update(
        metadata_retry_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with callbacks() as enqueued:
        count = refresh_due_metadata.apply().get()
    assert len(enqueued) == count
    return count


@pytest.mark.parametrize(
    "text",
    [
        "10.1038/srep16696",
        "  doi:10.1038/SREP16696 ",
        "https://doi.org/10.1038/srep16696",
        "http://dx.doi.org/10.1038/Srep16696",
    ],
)
def test_every_accepted_form_of_a_doi_leads_to_one_paper(text, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first, created = metadata.add_by_doi("10.1038/srep16696")
    again, created_again = metadata.add_by_doi(text)

    assert created and not created_again
    assert again.pk == first.pk
    assert first.metadata_status == Status.PENDING
    assert len(callbacks) == 1  # the fetch is enqueued once, after commit


@pytest.mark.parametrize(
    "text",
    [
        "",
        "srep16696",
        "10.1038",
        "https://example.org/10.1038/x y",
        "10.1038/a\x00b",  # PostgreSQL would refuse the NUL
        "10.1038/" + "a" * 300,  # longer than the column
    ],
)
def test_anything_else_is_refused_with_what_a_doi_looks_like(text):
    with pytest.raises(records.RecordError, match="a DOI looks like 10.1234/abc"):
        metadata.add_by_doi(text)

    assert not Paper.objects.exists()


def test_a_fetch_fills_a_pending_paper_from_crossref(replay_server):
    replay_server.reply(SREP, Reply(200, recorded("crossref", "10.1038_srep16696.json")))
    paper = pending()

    status = fetch_metadata.apply(args=(paper.pk,)).get()

    paper.refresh_from_db()
    assert status == Status.FETCHED
    assert paper.metadata_source == "crossref"
    assert paper.metadata_fetched_at is not None
    assert paper.title != SREP_DOI and paper.authorships.count() == 8
    assert paper.metadata_retry_at is None


def test_a_doi_crossref_does_not_know_is_fetched_from_datacite(replay_server):
    doi = "10.5061/dryad.8515"
    replay_server.reply("/crossref/works/10.5061/dryad.8515", not_found())
    replay_server.reply(
        "/datacite/dois/10.5061/dryad.8515",
        Reply(200, recorded("datacite", "10.5061_dryad.8515.json")),
    )
    paper = pending(doi)

    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Status.FETCHED
    assert paper.metadata_source == "datacite"
    assert paper.work_type == "dataset"
    assert paper.title.startswith("Data from: A new malaria agent")


def test_a_doi_no_registry_knows_is_not_found_and_looked_up_again_later(replay_server):
    paper = pending("10.5555/unknown.1")

    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Status.NOT_FOUND
    assert paper.metadata_error == "Neither Crossref nor DataCite knows this DOI."
    assert paper.metadata_retry_at > timezone.now() + datetime.timedelta(days=6)
    assert paper.title == "10.5555/unknown.1"  # nothing else was written


def test_a_429_retries_after_the_registrys_delay(replay_server):
    replay_server.reply(SREP, Reply(429, b"", {"Retry-After": "30"}))
    paper = pending()

    status = metadata.fetch_and_store(paper.pk)

    paper.refresh_from_db()
    assert status == paper.metadata_status == Status.FAILED
    assert paper.metadata_error == "crossref is rate limiting us"
    assert paper.metadata_attempts == 1
    later = timezone.now() + datetime.timedelta(seconds=25)
    assert later < paper.metadata_retry_at < later + datetime.timedelta(seconds=10)


def test_a_transient_fault_waits_on_the_paper_not_in_the_broker(replay_server):
    # Regression (issue 13): a countdown in the broker outlived Redis' visibility timeout,
    # which therefore stood at two hours, and so did a dead worker's papers.
    replay_server.reply(SREP, Reply(503, b"", {}))
    paper = pending()

    result = fetch_metadata.apply(args=(paper.pk,))

    assert result.state == "SUCCESS" and result.get() == Status.FAILED  # no Celery retry
    assert len(replay_server.requests) == 1
    paper.refresh_from_db()
    assert paper.metadata_retry_at > timezone.now()
    # Not due before its time: the sweep leaves it alone.
    assert metadata.papers_due_for_refresh(limit=10) == []


def test_a_server_error_then_success_ends_fetched(
    replay_server, django_capture_on_commit_callbacks
):
    replay_server.reply(
        SREP,
        Reply(500, b"<html>busy</html>", {"Content-Type": "text/html"}),
        Reply(200, recorded("crossref", "10.1038_srep16696.json")),
    )
    paper = pending()
    fetch_metadata.apply(args=(paper.pk,))

    assert sweep_when_due(paper, django_capture_on_commit_callbacks) == 1
    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Status.FETCHED
    assert (paper.metadata_attempts, paper.metadata_error) == (0, "")
    assert [path for path, _ in replay_server.requests] == [SREP, SREP]


def test_it_gives_up_after_the_last_try_and_says_why(
    replay_server, settings, django_capture_on_commit_callbacks
):
    settings.METADATA_MAX_ATTEMPTS = 3
    replay_server.reply(SREP, Reply(503, b"", {}))
    paper = pending()

    fetch_metadata.apply(args=(paper.pk,))
    for _ in range(2):
        sweep_when_due(paper, django_capture_on_commit_callbacks)
        fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert len(replay_server.requests) == 3
    assert paper.metadata_status == Status.FAILED
    assert paper.metadata_error == "crossref had a server error (503); gave up after 3 tries"
    assert paper.metadata_retry_at > timezone.now() + datetime.timedelta(hours=23)
    assert paper.metadata_attempts == 0  # the next day's try starts a new count


def test_a_timeout_is_retried(replay_server, settings, django_capture_on_commit_callbacks):
    settings.REGISTRY_TIMEOUT = (2.0, 0.2)
    replay_server.reply(
        SREP,
        Reply(200, recorded("crossref", "10.1038_srep16696.json"), delay=1.0),
        Reply(200, recorded("crossref", "10.1038_srep16696.json")),
    )
    paper = pending()
    fetch_metadata.apply(args=(paper.pk,))

    sweep_when_due(paper, django_capture_on_commit_callbacks)
    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Status.FETCHED


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, b'{"status": "ok", "message": {'), "not valid JSON"),
        (Reply(200, b"x" * 20_000), "more than 10,000 bytes"),
    ],
)
def test_a_bad_body_fails_the_paper_without_retrying(replay_server, settings, reply, reason):
    settings.REGISTRY_MAX_BYTES = 10_000
    replay_server.reply(SREP, reply)
    paper = pending()

    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Status.FAILED
    assert reason in paper.metadata_error
    assert len(replay_server.requests) == 1
    assert paper.title == SREP_DOI


def test_a_real_record_without_a_title_gives_the_paper_a_made_up_one(replay_server):
    # A researcher who adds this DOI expects a page, not "unusable" (issue 15).
    doi = "10.6002/ect.2015.0371"
    replay_server.reply(
        "/crossref/works/10.6002/ect.2015.0371",
        Reply(200, recorded("crossref", "10.6002_ect.2015.0371.json")),
    )
    paper = pending(doi)

    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert (paper.metadata_status, paper.metadata_error) == (Status.FETCHED, "")
    assert paper.title == "Untitled journal issue in Experimental and Clinical Transplantation"
    assert paper.journal.title == "Experimental and Clinical Transplantation"


def test_a_refresh_never_overwrites_a_locked_field(replay_server):
    replay_server.reply(SREP, Reply(200, recorded("crossref", "10.1038_srep16696.json")))
    paper = Paper.objects.create(
        doi=SREP_DOI,
        title="A curator's title",
        locked_fields=["title"],
        metadata_status=Status.PENDING,
    )

    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.title == "A curator's title"
    assert paper.metadata_status == Status.FETCHED


def test_running_the_fetch_twice_leaves_one_correct_record(replay_server):
    replay_server.reply(SREP, Reply(200, recorded("crossref", "10.1038_srep16696.json")))
    paper = pending()

    fetch_metadata.apply(args=(paper.pk,))
    first = Paper.objects.get(pk=paper.pk)
    assert fetch_metadata.apply(args=(paper.pk,)).get() is None  # a redelivered message

    again = Paper.objects.get(pk=paper.pk)
    assert Paper.objects.count() == 1
    assert again.authorships.count() == 8
    assert again.provenance == first.provenance
    assert again.metadata_fetched_at == first.metadata_fetched_at
    assert len(replay_server.requests) == 1  # the second run found it fetched


def test_a_paper_another_worker_is_fetching_is_left_to_it(replay_server):
    paper = Paper.objects.create(
        doi=SREP_DOI,
        title=SREP_DOI,
        metadata_status=Status.FETCHING,
        metadata_retry_at=timezone.now() + datetime.timedelta(minutes=5),  # its lease
    )

    assert fetch_metadata.apply(args=(paper.pk,)).get() is None

    assert replay_server.requests == []
    assert Paper.objects.get(pk=paper.pk).metadata_status == Status.FETCHING


def test_a_paper_fetching_past_its_lease_is_enqueued_again_and_fetched(
    replay_server, settings, django_capture_on_commit_callbacks
):
    # Its worker was killed mid-fetch: the paper stays "fetching" until its lease ends.
    settings.METADATA_FETCH_LEASE = 420
    replay_server.reply(SREP, Reply(200, recorded("crossref", "10.1038_srep16696.json")))
    paper = pending()
    assert metadata.claim(paper.pk) == (SREP_DOI, 0)
    paper.refresh_from_db()
    lease = paper.metadata_retry_at - timezone.now()
    assert datetime.timedelta(seconds=410) < lease <= datetime.timedelta(seconds=420)
    assert metadata.papers_due_for_refresh(limit=10) == []

    assert sweep_when_due(paper, django_capture_on_commit_callbacks) == 1
    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Status.FETCHED
    assert paper.authorships.count() == 8


def test_a_deleted_paper_is_skipped(replay_server):
    assert fetch_metadata.apply(args=(123456,)).get() is None
    assert replay_server.requests == []


def test_papers_due_for_refresh_are_stale_failed_or_lost(settings):
    now = timezone.now()
    settings.METADATA_MAX_AGE_DAYS = 30
    stale = Paper.objects.create(
        doi="10.5555/stale",
        title="s",
        metadata_status=Status.FETCHED,
        metadata_fetched_at=now - datetime.timedelta(days=31),
    )
    Paper.objects.create(
        doi="10.5555/fresh",
        title="f",
        metadata_status=Status.FETCHED,
        metadata_fetched_at=now - datetime.timedelta(days=1),
    )
    failed = Paper.objects.create(
        doi="10.5555/failed",
        title="x",
        metadata_status=Status.FAILED,
        metadata_retry_at=now - datetime.timedelta(minutes=1),
    )
    Paper.objects.create(
        doi="10.5555/waiting",
        title="w",
        metadata_status=Status.FAILED,
        metadata_retry_at=now + datetime.timedelta(hours=1),
    )
    lost = Paper.objects.create(
        doi="10.5555/lost",
        title="l",
        metadata_status=Status.PENDING,
        metadata_retry_at=now - datetime.timedelta(minutes=1),
    )
    Paper.objects.create(title="A curated paper without a DOI", metadata_status=Status.CURATED)
    enrichment = {"metadata_status": Status.FETCHED, "metadata_fetched_at": now}
    openalex_failed = Paper.objects.create(
        doi="10.5555/openalex-failed",
        title="o",
        enrichment_status=Paper.EnrichmentStatus.FAILED,
        enriched_at=now - datetime.timedelta(days=2),
        **enrichment,
    )
    Paper.objects.create(
        doi="10.5555/openalex-failed-just-now",
        title="o",
        enrichment_status=Paper.EnrichmentStatus.FAILED,
        enriched_at=now - datetime.timedelta(hours=1),
        **enrichment,
    )
    Paper.objects.create(
        doi="10.5555/openalex-skipped",
        title="o",
        enrichment_status=Paper.EnrichmentStatus.SKIPPED,
        enriched_at=now - datetime.timedelta(days=2),
        **enrichment,
    )

    due = metadata.papers_due_for_refresh(limit=10)

    assert set(due) == {stale.pk, failed.pk, lost.pk, openalex_failed.pk}
    # Tries that failed or were lost come first, then stale records, then enrichments.
    assert due[2:] == [stale.pk, openalex_failed.pk]
    assert metadata.papers_due_for_refresh(limit=2) == due[:2]


def test_the_sweep_reads_each_kind_of_due_paper_with_one_bounded_query(
    django_assert_num_queries,
):
    now = timezone.now()
    for number in range(3):
        Paper.objects.create(
            doi=f"10.5555/failed.{number}",
            title="x",
            metadata_status=Status.FAILED,
            metadata_retry_at=now - datetime.timedelta(minutes=number + 1),
        )

    # 1. failed or lost tries, 2. stale records, 3. failed enrichments.
    with django_assert_num_queries(3):
        assert len(metadata.papers_due_for_refresh(limit=10)) == 3
    # A batch filled by the first kind asks nothing more.
    with django_assert_num_queries(1):
        assert len(metadata.papers_due_for_refresh(limit=2)) == 2


def test_the_periodic_refresh_marks_due_papers_pending_and_enqueues_them(
    django_capture_on_commit_callbacks,
):
    failed = Paper.objects.create(
        doi="10.5555/failed",
        title="x",
        metadata_status=Status.FAILED,
        metadata_retry_at=timezone.now() - datetime.timedelta(minutes=1),
    )

    with django_capture_on_commit_callbacks() as callbacks:
        count = refresh_due_metadata.apply().get()

    failed.refresh_from_db()
    assert count == 1 and len(callbacks) == 1
    assert failed.metadata_status == Status.PENDING
    # Enqueued once: until the task runs (or is lost), it is no longer due.
    assert metadata.papers_due_for_refresh(limit=10) == []
