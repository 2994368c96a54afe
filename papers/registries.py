"""Outbound HTTP to the metadata registries: Crossref, DataCite and OpenAlex.

Every request goes to a configured base URL (``settings.CROSSREF_API_URL`` ...); a DOI only
ever becomes a quoted path segment, so no user input can choose the host. One session per
process, connect and read timeouts, a size cap on bodies, redirects refused, and a rate
limit and a limit on requests in flight, both shared by all workers (papers.throttle).
Retrying is the caller's job (the Celery task), told by the exception: NotFound (the
registry says 404), TransientError (try again, ``retry_after`` seconds if the registry said
so), PermanentError (trying again won't help).
"""

import json
import logging
import random
import re
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.core.cache import cache

from papers import throttle
from papers.records import normalize_doi


class HideApiKey(logging.Filter):
    """urllib3 logs each request line at DEBUG, query string included: hide the key there."""

    pattern = re.compile(r"(api_key=)[^&\s\"']+")

    def filter(self, record):
        message = record.getMessage()
        if "api_key=" in message:
            record.msg, record.args = self.pattern.sub(r"\1[hidden]", message), ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(HideApiKey())


class RegistryError(Exception):
    """A registry request failed; the message is plain words for a curator."""


class NotFound(RegistryError):
    pass


class TransientError(RegistryError):
    def __init__(self, message, *, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(RegistryError):
    pass


def work_url(registry, doi):
    """The URL of one work at a registry (without any API key)."""
    path = quote(normalize_doi(doi), safe="/")
    if registry == "crossref":
        return f"{settings.CROSSREF_API_URL}/works/{path}"
    if registry == "datacite":
        return f"{settings.DATACITE_API_URL}/dois/{path}"
    if registry == "openalex":
        return f"{settings.OPENALEX_API_URL}/works/doi:{path}"
    raise ValueError(f"unknown registry {registry!r}")


def requests_per_second(registry):
    """Our share of a registry's limit: Crossref's polite pool (with a mailto) allows 10/s,
    its public pool 5/s; DataCite and OpenAlex allow about 10/s."""
    if registry == "crossref" and not settings.CROSSREF_MAILTO:
        return 5
    return 10


def concurrent_requests(registry):
    """Requests we may have open at once: Crossref allows 1 in its public pool and 3 in its
    polite pool (with a mailto); DataCite and OpenAlex name no such limit, so a modest 5."""
    if registry == "crossref":
        return 3 if settings.CROSSREF_MAILTO else 1
    return 5


def slot_lease_seconds():
    """How long an in-flight slot stays taken if its holder dies: longer than a request."""
    connect, read = settings.REGISTRY_TIMEOUT
    return int(connect + read) + 5


def user_agent():
    contact = f"; mailto:{settings.CROSSREF_MAILTO}" if settings.CROSSREF_MAILTO else ""
    return f"{settings.SITE_NAME.replace(' ', '')}/1.0 (+{settings.SITE_URL}{contact})"


_session = None


def session():
    """One HTTP session (connection pool) per process."""
    global _session
    if _session is None:
        _session = requests.Session()
        _session.headers.update({"Accept": "application/json"})
    return _session


def fetch_json(registry, doi):
    """GET one work from a registry and return its decoded JSON body.

    Holds one of the registry's shared in-flight slots from before the request until the
    body is read, and waits for a shared rate-limit slot first. Raises NotFound,
    TransientError or PermanentError as described in the module docstring (TimeoutError
    when no slot comes free within a minute).
    """
    with throttle.in_flight(
        registry, limit=concurrent_requests(registry), lease=slot_lease_seconds()
    ):
        throttle.acquire(registry, rate=throttle_rate(registry))
        body = _get(registry, work_url(registry, doi))
    try:
        return json.loads(body)
    except ValueError as error:
        raise PermanentError(f"{registry} sent a body that is not valid JSON") from error


def works_url(dois):
    """The URL of one Crossref request for the works of several DOIs: its list of works
    filtered by DOI (``filter=doi:a,doi:b``; a DOI holding a comma cannot be asked so)."""
    query = urlencode({"filter": ",".join(f"doi:{doi}" for doi in dois), "rows": len(dois)})
    return f"{settings.CROSSREF_API_URL}/works?{query}"


def fetch_crossref_works(dois):
    """The Crossref records of several DOIs from one request: a list of work objects, one
    for each DOI Crossref knows (the others are simply absent). Throttled and raising as
    ``fetch_json``; the size cap is REGISTRY_MAX_BYTES per DOI asked; a body that is not
    a list of works is a PermanentError."""
    with throttle.in_flight(
        "crossref", limit=concurrent_requests("crossref"), lease=slot_lease_seconds()
    ):
        throttle.acquire("crossref", rate=throttle_rate("crossref"))
        body = _get("crossref", works_url(dois), max_bytes=settings.REGISTRY_MAX_BYTES * len(dois))
    try:
        data = json.loads(body)
    except ValueError as error:
        raise PermanentError("crossref sent a body that is not valid JSON") from error
    message = data.get("message") if isinstance(data, dict) else None
    items = message.get("items") if isinstance(message, dict) else None
    if data.get("message-type") != "work-list" or not isinstance(items, list):
        raise PermanentError("crossref answered a list request with something else")
    return [item for item in items if isinstance(item, dict)]


def _get(registry, url, *, max_bytes=None):
    """The body of one GET, its status checked and its size capped (``max_bytes``, else
    REGISTRY_MAX_BYTES)."""
    params = {}
    if registry == "openalex" and settings.OPENALEX_API_KEY:
        params["api_key"] = settings.OPENALEX_API_KEY  # never put into messages or logs
    failure = None
    try:
        response = session().get(
            url,
            params=params,
            # Built per request: settings (the contact address) may change while we run.
            headers={"User-Agent": user_agent()},
            timeout=settings.REGISTRY_TIMEOUT,
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout as error:
        failure = TransientError(f"{registry} did not answer in time ({type(error).__name__})")
        cause = error
    except requests.ConnectionError as error:
        failure = TransientError(f"could not connect to {registry}")
        cause = error
    if failure is not None:
        # requests' own message carries the whole URL, API key included: chain it only
        # when there is no key, and raise outside the except block so it is not even the
        # implicit context of ours.
        raise failure from (None if params else cause)
    with response:
        remember_rate_limit(registry, response.headers)
        check_status(registry, response)
        return read_capped(registry, response, keep_cause=not params, limit=max_bytes)


def check_status(registry, response):
    status = response.status_code
    if status == 200:
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            raise PermanentError(
                f"{registry} answered with {content_type or 'no content type'}, not JSON"
            )
        return
    if status == 404:
        raise NotFound(f"{registry} does not know this DOI")
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            # Hold every worker back, not only this one: the limit is per client.
            throttle.pause(registry, retry_after or 5)
        reason = "is rate limiting us" if status == 429 else f"had a server error ({status})"
        raise TransientError(f"{registry} {reason}", retry_after=retry_after)
    if 300 <= status < 400:
        raise PermanentError(
            f"{registry} redirected the request ({status}); redirects are not followed"
        )
    raise PermanentError(f"{registry} refused the request ({status})")


def read_capped(registry, response, *, keep_cause=True, limit=None):
    limit = limit or settings.REGISTRY_MAX_BYTES
    chunks, size = [], 0
    broken = None
    try:
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > limit:
                raise PermanentError(f"{registry} sent more than {limit:,} bytes; body refused")
            chunks.append(chunk)
    except requests.RequestException as error:
        broken = error
    if broken is not None:
        failure = TransientError(f"{registry} broke off the response ({type(broken).__name__})")
        raise failure from (broken if keep_cause else None)
    return b"".join(chunks)


def parse_retry_after(value):
    """Seconds from a Retry-After header (delta-seconds form), or None."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from these APIs; the caller's backoff applies


def remember_rate_limit(registry, headers):
    """Crossref announces its current limit (X-Rate-Limit-Limit per X-Rate-Limit-Interval);
    keep it where every worker reads it, so all of them slow down together."""
    try:
        limit = int(headers["X-Rate-Limit-Limit"])
        interval = float(headers.get("X-Rate-Limit-Interval", "1s").rstrip("s"))
    except (KeyError, ValueError):
        return
    if limit > 0 and interval > 0:
        cache.set(f"throttle:{registry}:announced", limit / interval, timeout=3600)


def throttle_rate(registry):
    announced = cache.get(f"throttle:{registry}:announced")
    ours = requests_per_second(registry)
    return max(1, int(min(ours, announced))) if announced else ours


def backoff_delay(attempt, *, retry_after=None, base=10.0, cap=3600.0):
    """Seconds before try ``attempt`` (1, 2, ...): the registry's Retry-After when it gave
    one, else exponential backoff with full jitter so that workers don't retry in step."""
    if retry_after is not None:
        return min(retry_after, cap)  # a countdown must stay under the broker's visibility
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
