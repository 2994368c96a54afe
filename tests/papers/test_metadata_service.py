"""Fetching DOI metadata through real `celery worker` processes on the real Redis.

The workers fetch from the local replay server (their environment points the registries at
it) and write to the test database, as a deployment does: the task is acknowledged only
after it ran (acks_late), so a worker killed mid-task leaves it in Redis for another one.
"""

import json
import time

import pytest
from django.conf import settings

from papers.models import Paper
from tests.conftest import ROOT, wait_for
from tests.replay import Reply

pytestmark = pytest.mark.service

Status = Paper.MetadataStatus
TASK = "papers.metadata.fetch_metadata"
DOI = "10.1038/srep16696"
PATH = "/crossref/works/10.1038/srep16696"
RECORD = ROOT / "tests" / "fixtures" / "crossref" / "10.1038_srep16696.json"
AUTHORS = 8  # in the recorded record
VISIBILITY = 5  # seconds before Redis gives an unacknowledged task to another worker


def record():
    return RECORD.read_bytes()


def recorded_title():
    message = json.loads(record())["message"]
    return message["title"][0]


def registries_at(server, **extra):
    """A worker's environment: the registries are the replay server."""
    return {
        "CROSSREF_API_URL": server.url + "/crossref",
        "DATACITE_API_URL": server.url + "/datacite",
        "OPENALEX_API_URL": server.url + "/openalex",
        **extra,
    }


def pending_paper():
    return Paper.objects.create(doi=DOI, title=DOI, metadata_status=Status.PENDING)


def fetched(paper):
    """The paper, reloaded, once it is fetched; else None."""
    paper.refresh_from_db()
    return paper if paper.metadata_status == Status.FETCHED else None


def kill(worker):
    """SIGKILL: the worker dies at once, without acknowledging or giving back its task."""
    worker.process.kill()
    worker.process.wait(timeout=10)  # stop() at teardown then finds it already dead


def test_a_worker_on_redis_fills_a_pending_paper_from_the_registry(
    start_worker, redis_url, replay_server
):
    replay_server.reply(PATH, Reply(200, record()))
    paper = pending_paper()
    worker = start_worker(broker_url=redis_url, env=registries_at(replay_server))

    worker.send(TASK, paper.pk)

    # The fetch is committed first, its enrichment step (skipped: no key) right after.
    assert wait_for(lambda: fetched(paper) and paper.enrichment_status), worker.output()
    assert paper.title == recorded_title()
    assert paper.metadata_source == "crossref"
    assert paper.authorships.count() == AUTHORS
    assert [path for path, _ in replay_server.requests] == [PATH]
    _, headers = replay_server.requests[0]
    assert headers["User-Agent"].startswith(settings.SITE_NAME.replace(" ", "") + "/")
    # No OpenAlex key in the worker's environment: no request, and the paper says so.
    assert paper.enrichment_status == Paper.EnrichmentStatus.SKIPPED
    assert paper.enrichment_display == "skipped: no OpenAlex API key"


def test_a_worker_on_redis_also_enriches_the_paper_from_openalex(
    start_worker, redis_url, replay_server
):
    crossref = ROOT / "tests" / "fixtures" / "crossref" / "10.7554_elife.01567.json"
    openalex = ROOT / "tests" / "fixtures" / "openalex" / "W2121398592.json"
    replay_server.reply("/crossref/works/10.7554/elife.01567", Reply(200, crossref.read_bytes()))
    replay_server.reply(
        "/openalex/works/doi:10.7554/elife.01567", Reply(200, openalex.read_bytes())
    )
    paper = Paper.objects.create(
        doi="10.7554/elife.01567", title="10.7554/elife.01567", metadata_status=Status.PENDING
    )
    key = "service-test-openalex-key"
    worker = start_worker(
        broker_url=redis_url, env=registries_at(replay_server, OPENALEX_API_KEY=key)
    )

    worker.send(TASK, paper.pk)

    assert wait_for(lambda: fetched(paper) and paper.enrichment_status), worker.output()
    assert paper.enrichment_status == Paper.EnrichmentStatus.ENRICHED, paper.enrichment_error
    assert paper.open_access_url == "https://doi.org/10.7554/elife.01567"
    assert paper.keywords.filter(name="Hypocotyl").exists()
    categories = dict(paper.category_links.values_list("category__name", "source"))
    assert categories["General Neuroscience"] == "crossref"
    assert categories["Plant Science"] == "openalex"
    paths = [path for path, _ in replay_server.requests]
    assert paths == [
        "/crossref/works/10.7554/elife.01567",
        f"/openalex/works/doi:10.7554/elife.01567?api_key={key}",
    ]
    assert key not in worker.output()


@pytest.mark.parametrize(
    "status, retry_after",
    [(500, "1"), (429, "1")],
    ids=["server-error", "rate-limited"],
)
def test_a_worker_retries_after_a_transient_fault_and_then_stores_the_record(
    start_worker, redis_url, replay_server, status, retry_after
):
    # The registry's Retry-After sets the next try (papers.registries.backoff_delay): 1 s,
    # written on the paper; the sweep (beat, played here by the test) enqueues it then.
    fault = Reply(status, b"", {"Retry-After": retry_after})
    replay_server.reply(PATH, fault, Reply(200, record()))
    paper = pending_paper()
    queue = f"test-retry-{status}-{time.monotonic_ns()}"
    env = registries_at(replay_server, CELERY_TASK_DEFAULT_QUEUE=queue)
    worker = start_worker(broker_url=redis_url, env=env, queue=queue)

    worker.send(TASK, paper.pk)
    assert wait_for(lambda: replay_server.requests, timeout=20), worker.output()

    def swept_and_fetched():
        worker.send("papers.metadata.refresh_due_metadata")
        return fetched(paper)

    assert wait_for(swept_and_fetched, timeout=40, interval=1), worker.output()
    assert paper.title == recorded_title()
    assert paper.metadata_error == ""
    assert paper.authorships.count() == AUTHORS
    assert [path for path, _ in replay_server.requests] == [PATH, PATH]
    assert "retry:" not in worker.output()  # no countdown waited in the broker


def test_a_task_whose_worker_is_killed_mid_fetch_is_done_by_another_worker(
    start_worker, redis_url, replay_server
):
    # The first answer is slow, so the task is inside the HTTP call when its worker dies.
    replay_server.reply(PATH, Reply(200, record(), delay=8))
    paper = pending_paper()
    # The dead worker also holds Crossref's one in-flight slot (public pool): its lease
    # (connect + read timeout + 5 s = 17 s) must end for the second worker to fetch.
    env = registries_at(
        replay_server,
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY),
        # The paper's "fetching" lease ends with the visibility timeout, so that the
        # redelivered task may claim it.
        METADATA_FETCH_LEASE=str(VISIBILITY),
        REGISTRY_CONNECT_TIMEOUT="2",
        REGISTRY_READ_TIMEOUT="10",
    )
    first = start_worker(broker_url=redis_url, env=env)

    first.send(TASK, paper.pk)
    assert wait_for(lambda: replay_server.requests, timeout=20), first.output()
    in_flight_since = time.monotonic()  # the task was delivered a moment before this
    kill(first)

    paper.refresh_from_db()
    assert paper.metadata_status == Status.FETCHING  # nothing half-written
    assert paper.title == DOI
    assert not paper.authorships.exists()

    # A worker gives back unacknowledged tasks older than the visibility timeout when it
    # starts (kombu's restore_visible; its periodic sweep is too rare for a test), so the
    # second worker comes once that time has passed, as a restarted worker would.
    time.sleep(max(0.0, in_flight_since + VISIBILITY + 1 - time.monotonic()))
    replay_server.reply(PATH, Reply(200, record()))
    second = start_worker(broker_url=redis_url, env=env, queue=first.queue)

    assert wait_for(lambda: fetched(paper), timeout=30), second.output()
    assert paper.title == recorded_title()
    assert paper.authorships.count() == AUTHORS
    assert Paper.objects.count() == 1
    assert len(replay_server.requests) == 2
    assert "succeeded in" in second.output()


def test_two_workers_given_the_same_paper_at_once_fetch_it_once(
    start_worker, redis_url, replay_server
):
    # A slow answer keeps the first fetch in flight while the second task starts.
    replay_server.reply(PATH, Reply(200, record(), delay=4))
    paper = pending_paper()
    # Crossref's polite pool allows three requests in flight (the public pool only one).
    env = registries_at(replay_server, CROSSREF_MAILTO="curators@example.org")
    one = start_worker(broker_url=redis_url, env=env)
    two = start_worker(broker_url=redis_url, env=env, queue=one.queue)

    one.send(TASK, paper.pk)
    one.send(TASK, paper.pk)

    done = "succeeded in"
    assert wait_for(lambda: done in one.output() and done in two.output(), timeout=30), (
        one.output() + two.output()
    )
    assert wait_for(lambda: fetched(paper)), one.output() + two.output()
    assert "ERROR" not in one.output() + two.output()
    # The second task found the paper claimed ("fetching") by the first and did nothing.
    assert len(replay_server.requests) == 1
    assert paper.title == recorded_title()
    assert Paper.objects.count() == 1
    positions = list(paper.authorships.values_list("position", flat=True))
    assert len(positions) == AUTHORS and len(set(positions)) == AUTHORS


def test_a_worker_fetches_a_batch_with_one_request_and_hands_the_rest_to_single_fetches(
    start_worker, redis_url, replay_server
):
    list_reply = {
        "status": "ok",
        "message-type": "work-list",
        "message": {"items": [json.loads(record())["message"]]},
    }
    replay_server.reply("/crossref/works", Reply(200, json.dumps(list_reply).encode()))
    in_crossref = pending_paper()
    unknown = Paper.objects.create(
        doi="10.5555/nobody.knows", title="x", metadata_status=Status.PENDING
    )
    worker = start_worker(broker_url=redis_url, env=registries_at(replay_server))

    worker.send("papers.metadata.fetch_metadata_batch", [in_crossref.pk, unknown.pk])

    assert wait_for(lambda: fetched(in_crossref)), worker.output()
    assert in_crossref.authorships.count() == AUTHORS
    # The DOI Crossref's list left out went to its own fetch (the same worker took it):
    # Crossref, then DataCite, then "not found".
    assert wait_for(
        lambda: Paper.objects.filter(pk=unknown.pk, metadata_status=Status.NOT_FOUND).exists()
    ), worker.output()
    paths = [path.split("?")[0] for path, _ in replay_server.requests]
    assert paths.count("/crossref/works") == 1
    assert "/datacite/dois/10.5555/nobody.knows" in paths
