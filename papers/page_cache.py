"""Rendered paper pages kept for a short time for anonymous readers.

Building a paper page costs ~20 ms of Python (model instances for every author, keyword and
funder, then the template) against ~1 ms to send the same bytes; most readers are anonymous
and see exactly the same page. So a page rendered for an anonymous reader is kept for
``PAPER_PAGE_CACHE_SECONDS`` and served from there without touching the database, in two
places: the ``pages`` cache in the memory of each web process (a hit costs no I/O at all)
and the shared ``default`` cache (Redis in production), so that a page rendered by one web
process spares the others the rendering. A copy keeps the time it was rendered and never
outlives it by more than ``PAPER_PAGE_CACHE_SECONDS``, whichever cache it comes from.

What this trades: an anonymous reader may see a page up to that many seconds old (a new
rating, a retraction notice, a curator's edit). Signed-in users, whose page carries their
own forms and claims, never get a cached page, and neither does a page whose metadata is
still on its way (it reloads itself until the worker is done).

A request is served from / stored in the cache only when it carries no session and no
flash messages (so the page cannot depend on who asks) and has no query string (so random
query strings cannot fill the cache). The key holds scheme and host because the page holds
absolute URLs (canonical link, citation meta tags).
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import quote_etag

LOCAL_CACHE = "pages"
SHARED_CACHE = "default"

log = logging.getLogger(__name__)


def is_cacheable(request):
    """True when ``request`` is an anonymous reader's plain GET/HEAD of a page."""
    return (
        request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and getattr(settings, "MESSAGES_COOKIE_NAME", "messages") not in request.COOKIES
        and settings.PAPER_PAGE_CACHE_SECONDS > 0
    )


def cached_page(request):
    """The kept response for ``request``, or None."""
    if not is_cacheable(request):
        return None
    key = _key(request)
    entry = caches[LOCAL_CACHE].get(key)
    if entry is None:
        entry = shared(lambda cache: cache.get(key))
        if entry is None or _seconds_left(entry) <= 0:
            return None
        caches[LOCAL_CACHE].set(key, entry, _seconds_left(entry))
    _rendered_at, content, content_type, etag = entry
    response = HttpResponse(content, content_type=content_type)
    # Set here so that ConditionalGetMiddleware answers 304 without hashing the page again.
    response["ETag"] = etag
    return response


def keep_page(request, response):
    """Keep a successful page rendered for ``request`` if the request is cacheable."""
    if response.status_code != 200 or not is_cacheable(request):
        return
    content = response.content
    etag = quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())
    entry = (time.time(), content, response["Content-Type"], etag)
    key = _key(request)
    caches[LOCAL_CACHE].set(key, entry, settings.PAPER_PAGE_CACHE_SECONDS)
    shared(lambda cache: cache.set(key, entry, settings.PAPER_PAGE_CACHE_SECONDS))
    response["ETag"] = etag


def shared(operation):
    """``operation(cache)`` on the shared cache; None (and a warning) when it is away."""
    # The shared cache is a convenience here: if Redis is away, pages are rendered, not lost.
    try:
        return operation(caches[SHARED_CACHE])
    except Exception as error:  # each backend raises its own connection errors
        log.warning("page cache: shared cache unavailable (%s)", error)
        return None


def _seconds_left(entry):
    return entry[0] + settings.PAPER_PAGE_CACHE_SECONDS - time.time()


def _key(request):
    url = f"{request.scheme}://{request.get_host()}{request.path}"
    # Hashed: a path may hold any character and any length, a cache key may not.
    return "paper-page:" + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
