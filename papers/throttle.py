"""A request-rate limit shared by every worker process, kept in the Django cache.

With REDIS_URL set the cache is Redis, whose INCR is atomic, so all workers on all
machines together stay under a registry's limit. The embedded default's file cache is
shared by the processes of one machine but its incr is not atomic: there the limit can be
overshot by a request or two when workers race, which the registries tolerate.
"""

import time

from django.core.cache import cache


def acquire(name, *, rate, per=1.0, max_wait=60.0, clock=time.time, sleep=time.sleep):
    """Block until this process may send one request to ``name``; returns seconds waited.

    At most ``rate`` requests start in each ``per``-second window, counted across all
    processes; a pause set by ``pause()`` (after a 429) holds every process back. Raises
    TimeoutError after ``max_wait`` seconds so a task never hangs on a busy registry.
    """
    started = clock()
    while True:
        now = clock()
        if now - started > max_wait:
            raise TimeoutError(f"no request slot for {name} within {max_wait:.0f}s")
        paused_until = cache.get(f"throttle:{name}:paused")
        if paused_until and paused_until > now:
            sleep(min(paused_until - now, max_wait))
            continue
        window = int(now // per)
        key = f"throttle:{name}:{window}"
        cache.add(key, 0, timeout=int(per) + 2)
        try:
            count = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            continue
        if count <= rate:
            return now - started
        sleep(max((window + 1) * per - now, 0.001))


def pause(name, seconds, *, clock=time.time):
    """Hold every process back from ``name`` for ``seconds`` (e.g. a 429's Retry-After)."""
    until = clock() + seconds
    current = cache.get(f"throttle:{name}:paused")
    if not current or current < until:
        cache.set(f"throttle:{name}:paused", until, timeout=int(seconds) + 1)
