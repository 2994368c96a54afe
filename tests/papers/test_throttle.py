"""The limit on registry requests in flight (papers.throttle.in_flight), shared by workers."""

import threading
import time
from contextlib import ExitStack

import pytest
from django.core.cache import cache

from papers import registries, throttle
from tests.conftest import ROOT
from tests.replay import Reply

SREP = "/crossref/works/10.1038/srep16696"


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_no_more_than_limit_slots_are_held_and_a_freed_slot_is_taken_again(clean_cache):
    with ExitStack() as held:
        for _ in range(3):
            held.enter_context(throttle.in_flight("test", limit=3, lease=30))
        with pytest.raises(TimeoutError, match="no free test request slot"):
            with throttle.in_flight("test", limit=3, lease=30, max_wait=0.2):
                pass
    # All three released at the end of the with block: three fit again.
    with ExitStack() as held:
        for _ in range(3):
            held.enter_context(throttle.in_flight("test", limit=3, lease=30, max_wait=0.2))


def test_a_slot_is_freed_when_the_block_fails(clean_cache):
    with pytest.raises(ConnectionError):
        with throttle.in_flight("test", limit=1, lease=30):
            raise ConnectionError("the request failed")

    with throttle.in_flight("test", limit=1, lease=30, max_wait=0.2):
        pass


def test_the_slot_of_a_worker_that_died_frees_itself_when_its_lease_ends(clean_cache):
    # Taken and never released, as by a worker killed mid-request.
    throttle.take_slot("test", limit=1, lease=1, token="dead-worker")
    started = time.monotonic()

    with throttle.in_flight("test", limit=1, lease=30, max_wait=5):
        waited = time.monotonic() - started

    assert 0.5 < waited < 3


def test_releasing_a_slot_whose_lease_passed_to_another_worker_leaves_it_theirs(clean_cache):
    key = throttle.take_slot("test", limit=1, lease=30, token="first")
    cache.set(key, "second", timeout=30)  # the first lease ran out; another worker took it

    throttle.release_slot(key, "first")

    assert cache.get(key) == "second"


@pytest.mark.service
@pytest.mark.parametrize(
    "mailto, limit", [("", 1), ("curators@example.org", 3)], ids=["public-pool", "polite-pool"]
)
def test_crossref_gets_at_most_its_pools_requests_in_flight_from_many_threads(
    replay_server, settings, redis_url, mailto, limit
):
    # The shared cache of a deployment: Redis, whose add() is atomic across processes.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-throttle",
        }
    }
    cache.clear()
    settings.CROSSREF_MAILTO = mailto
    record = (ROOT / "tests" / "fixtures" / "crossref" / "10.1038_srep16696.json").read_bytes()
    replay_server.reply(SREP, Reply(200, record, delay=0.3))
    errors = []

    def fetch():
        try:
            registries.fetch_json("crossref", "10.1038/srep16696")
        except Exception as error:  # reported below, with the thread's own error
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(replay_server.requests) == 8
    # Never more than the pool allows, and the limit was reached: the threads did overlap.
    assert replay_server.max_in_flight == limit
    cache.clear()
