"""papers.registries over real HTTP to a local server replaying recorded responses."""

import json

import pytest
from django.core.cache import cache

from papers import crossref, records, registries, throttle
from tests.conftest import ROOT
from tests.replay import Reply

FIXTURES = ROOT / "tests" / "fixtures"
SREP = "/crossref/works/10.1038/srep16696"


def recorded(name):
    return (FIXTURES / "crossref" / name).read_bytes()


def test_it_fetches_and_decodes_a_recorded_work(replay_server, settings):
    settings.CROSSREF_MAILTO = "curators@example.org"
    replay_server.reply(SREP, Reply(200, recorded("10.1038_srep16696.json")))

    data = registries.fetch_json("crossref", "https://doi.org/10.1038/SREP16696")

    assert crossref.parse_work(data).doi == "10.1038/srep16696"
    path, headers = replay_server.requests[0]
    assert path == SREP
    assert "mailto:curators@example.org" in headers["User-Agent"]


def test_a_404_is_not_found(replay_server):
    recorded_404 = json.loads(recorded("_404_not_found.json"))
    replay_server.reply(
        SREP, Reply(404, recorded_404["body"].encode(), {"Content-Type": "text/plain"})
    )

    with pytest.raises(registries.NotFound, match="does not know this DOI"):
        registries.fetch_json("crossref", "10.1038/srep16696")


def test_a_429_with_retry_after_pauses_every_worker(replay_server):
    replay_server.reply(SREP, Reply(429, b"", {"Retry-After": "7"}))

    with pytest.raises(registries.TransientError) as error:
        registries.fetch_json("crossref", "10.1038/srep16696")

    assert error.value.retry_after == 7
    assert cache.get("throttle:crossref:paused") is not None


def test_a_429_without_headers_is_transient_with_no_delay_given(replay_server):
    replay_server.reply(SREP, Reply(429, b"", {}))

    with pytest.raises(registries.TransientError) as error:
        registries.fetch_json("crossref", "10.1038/srep16696")

    assert error.value.retry_after is None


def test_a_server_error_is_transient(replay_server):
    replay_server.reply(SREP, Reply(500, b"<html>oops</html>", {"Content-Type": "text/html"}))

    with pytest.raises(registries.TransientError, match="server error"):
        registries.fetch_json("crossref", "10.1038/srep16696")


def test_a_slow_registry_times_out_as_transient(replay_server, settings):
    settings.REGISTRY_TIMEOUT = (2.0, 0.2)
    replay_server.reply(SREP, Reply(200, recorded("10.1038_srep16696.json"), delay=1.0))

    with pytest.raises(registries.TransientError, match="did not answer in time"):
        registries.fetch_json("crossref", "10.1038/srep16696")


def test_garbage_json_is_a_permanent_failure(replay_server):
    replay_server.reply(SREP, Reply(200, recorded("10.1038_srep16696.json")[:500]))

    with pytest.raises(registries.PermanentError, match="not valid JSON"):
        registries.fetch_json("crossref", "10.1038/srep16696")


def test_an_html_page_instead_of_json_is_refused(replay_server):
    replay_server.reply(
        SREP, Reply(200, b"<html>maintenance</html>", {"Content-Type": "text/html"})
    )

    with pytest.raises(registries.PermanentError, match="not JSON"):
        registries.fetch_json("crossref", "10.1038/srep16696")


def test_an_oversized_body_is_refused(replay_server, settings):
    settings.REGISTRY_MAX_BYTES = 10_000
    replay_server.reply(SREP, Reply(200, recorded("10.1136_jclinpath-2020-206745.json")))

    with pytest.raises(registries.PermanentError, match="more than 10,000 bytes"):
        registries.fetch_json("crossref", "10.1038/srep16696")


def test_redirects_are_not_followed(replay_server):
    replay_server.reply(SREP, Reply(301, b"", {"Location": replay_server.url + "/elsewhere"}))

    with pytest.raises(registries.PermanentError, match="redirect"):
        registries.fetch_json("crossref", "10.1038/srep16696")

    assert [path for path, _ in replay_server.requests] == [SREP]


def test_a_doi_can_never_change_the_host_or_query(replay_server):
    with pytest.raises(registries.NotFound):  # the replay server knows no such path
        registries.fetch_json("crossref", "10.1234/x?url=http://evil.example#frag")

    path, _ = replay_server.requests[0]
    assert path == "/crossref/works/10.1234/x%3Furl%3Dhttp%3A//evil.example%23frag"


def test_a_malformed_doi_is_refused_before_any_request(replay_server):
    with pytest.raises(records.RecordError, match="is not a DOI"):
        registries.fetch_json("crossref", "not a doi")

    assert replay_server.requests == []


def test_crossrefs_announced_rate_limit_is_shared(replay_server):
    headers = {
        "Content-Type": "application/json",
        "X-Rate-Limit-Limit": "3",
        "X-Rate-Limit-Interval": "2s",
    }
    replay_server.reply(SREP, Reply(200, recorded("10.1038_srep16696.json"), headers))

    registries.fetch_json("crossref", "10.1038/srep16696")

    assert registries.throttle_rate("crossref") == 1  # 3 per 2 s, rounded down


def test_the_openalex_key_is_sent_but_never_shown(replay_server, settings):
    settings.OPENALEX_API_KEY = "secret-key-123"
    replay_server.reply("/openalex/works/doi:10.7554/elife.01567", Reply(503, b"", {}))

    with pytest.raises(registries.TransientError) as error:
        registries.fetch_json("openalex", "10.7554/elife.01567")

    assert "secret-key-123" not in str(error.value)
    assert replay_server.requests[0][0].endswith("?api_key=secret-key-123")


def test_the_throttle_lets_rate_requests_through_per_window_then_waits():
    cache.clear()
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    waits = [
        throttle.acquire("test", rate=2, per=1.0, clock=lambda: now[0], sleep=sleep)
        for _ in range(3)
    ]

    assert waits[:2] == [0, 0]
    assert slept == [1.0]  # the third request waited for the next one-second window
    cache.clear()


def test_backoff_uses_retry_after_or_grows_with_jitter():
    assert registries.backoff_delay(3, retry_after=12) == 12
    delays = [registries.backoff_delay(4, base=10) for _ in range(50)]
    assert all(0 <= d <= 80 for d in delays)
    assert len(set(delays)) > 1
