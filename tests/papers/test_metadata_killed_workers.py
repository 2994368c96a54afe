"""Service test: workers SIGKILLed again and again while fetching cost minutes, not hours.

Issue 13: 200 DOIs added with ``fetch_dois``, the worker's process group killed five times in a
minute, and 10 papers stayed "fetching" for two hours (Redis' visibility timeout), or until
the hourly sweep on the embedded broker, which drops a dead worker's messages outright. Now
"fetching" and "pending" are leases on the paper that the beat sweep takes back
(papers.metadata), shortened here so that the test runs in a minute or two; the test plays
beat by sending the sweep to the worker every couple of seconds.
"""

import json
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.db import connection

from papers import crossref, registries
from papers.models import Authorship, Paper
from tests.conftest import ROOT, database_url_of, wait_for
from tests.replay import Reply

pytestmark = pytest.mark.service

Status = Paper.MetadataStatus
RECORDS = ROOT / "tests" / "fixtures" / "crossref"
PAPERS = 40
KILLS = 5
CONCURRENCY = 2
LEASE = 6  # seconds "fetching" (and Redis' visibility timeout) before a task is taken for lost
SWEEP_EVERY = 2  # seconds


def recorded_works(count):
    """(doi, body, number of authors) of ``count`` real Crossref records that parse."""
    works = []
    for path in sorted(RECORDS.glob("10.*.json")):
        body = path.read_bytes()
        try:
            work = crossref.parse_work(json.loads(body))
        except crossref.CrossrefError:
            continue  # e.g. a real record without a title
        works.append((work.doi, body, len(work.authors)))
    assert len(works) >= count
    return works[:count]


def crossref_path(doi):
    return urlsplit(registries.work_url("crossref", doi)).path


def add_with_fetch_dois(dois, env):
    """Add the DOIs as an operator does: ``manage.py fetch_dois -`` in its own process."""
    subprocess.run(
        [sys.executable, "manage.py", "fetch_dois", "-", "--verbosity=0"],
        input="\n".join(dois).encode(),
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_papers_of_workers_killed_mid_fetch_are_all_fetched_once_within_minutes(
    broker, start_worker, replay_server, request
):
    import os

    works = recorded_works(PAPERS)
    for doi, body, _ in works:
        # A slow answer, so that every kill finds fetches in flight.
        replay_server.reply(crossref_path(doi), Reply(200, body, delay=0.5))
    broker_url = request.getfixturevalue("redis_url") if broker == "redis" else None
    queue = f"test-killed-{broker}-{os.getpid()}-{time.monotonic_ns()}"
    env = {
        "CROSSREF_API_URL": replay_server.url + "/crossref",
        "DATACITE_API_URL": replay_server.url + "/datacite",
        "OPENALEX_API_URL": replay_server.url + "/openalex",
        "CROSSREF_MAILTO": "curators@example.org",  # three requests in flight
        # A killed worker's in-flight slot frees itself after connect + read + 5 s.
        "REGISTRY_CONNECT_TIMEOUT": "2",
        "REGISTRY_READ_TIMEOUT": "5",
        "METADATA_FETCH_LEASE": str(LEASE),
        "METADATA_QUEUE_LEASE": str(3 * LEASE),
        "CELERY_VISIBILITY_TIMEOUT": str(LEASE),
        # The sweep (run by the worker) enqueues onto the worker's own queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }

    def start():
        return start_worker(broker_url=broker_url, queue=queue, env=env, concurrency=CONCURRENCY)

    worker = start()
    command_env = {**os.environ, **env, "DATABASE_URL": database_url_of(connection)}
    if broker_url:
        command_env["REDIS_URL"] = broker_url
    add_with_fetch_dois([doi for doi, _, _ in works], command_env)
    assert Paper.objects.count() == PAPERS

    last_sweep = 0.0

    def sweep():
        nonlocal last_sweep
        if time.monotonic() - last_sweep >= SWEEP_EVERY:
            worker.send("papers.metadata.refresh_due_metadata")
            last_sweep = time.monotonic()

    for _ in range(KILLS):
        asked = len(replay_server.requests)
        # Mid-fetch: a few more requests since the last kill, and one being answered now.
        in_flight = wait_for(
            lambda asked=asked: (
                sweep() or len(replay_server.requests) >= asked + 3 and replay_server.in_flight
            ),
            timeout=60,
            interval=0.05,
        )
        assert in_flight, worker.output()
        worker.kill()
        worker = start()

    def all_fetched():
        sweep()
        return Paper.objects.filter(metadata_status=Status.FETCHED).count() == PAPERS

    left = lambda: dict(Counter(Paper.objects.values_list("metadata_status", flat=True)))  # noqa: E731
    assert wait_for(all_fetched, timeout=180, interval=0.5), (left(), worker.output()[-5000:])

    # Nothing stored twice: one paper a DOI, each author once in its place.
    assert Paper.objects.count() == PAPERS
    authors = {doi: count for doi, _, count in works}
    for paper in Paper.objects.prefetch_related("authorships"):
        positions = [a.position for a in paper.authorships.all()]
        assert len(positions) == len(set(positions)) == authors[paper.doi], paper.doi
    assert Authorship.objects.count() == sum(authors.values())
    # A sweep that finds several papers due enqueues them as a batch
    # (fetch_metadata_batch), which asks Crossref's list first; the replay server does not
    # know it (a 404), so each paper goes to its own fetch. Each DOI asked a bounded number
    # of times: a kill interrupts at most one fetch per pool process, and a redelivered or
    # swept-again task finds its paper taken or done.
    asked = Counter(path.split("?", 1)[0] for path, _ in replay_server.requests)
    asked.pop("/crossref/works", None)
    assert set(asked) == {crossref_path(doi) for doi, _, _ in works}
    assert max(asked.values()) <= 1 + KILLS
    assert sum(asked.values()) <= PAPERS + KILLS * CONCURRENCY, asked
