"""Request limits shared by every worker process, kept in the Django cache: a rate
(``acquire``: so many requests started per second) and a concurrency (``in_flight``: so many
requests open at once).

With REDIS_URL set the cache is Redis, whose INCR and SET NX (``cache.add``) are atomic, so
all workers on all machines together stay under a registry's limits. The embedded default's
file cache is shared by the processes of one machine but neither its incr nor its add is
atomic: there a limit can be overshot by a request or two when workers race, which the
registries tolerate.
"""

import random
import time
import uuid
from contextlib import contextmanager

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


@contextmanager
def in_flight(name, *, limit, lease, max_wait=60.0, clock=time.time, sleep=time.sleep):
    """Hold one of ``limit`` request slots of ``name`` for the ``with`` block.

    Slots are shared by all processes: slot i is the cache key ``throttle:{name}:slot:{i}``,
    taken with ``cache.add`` (only if free). A slot is a lease of ``lease`` whole seconds, so
    one held by a worker that died frees itself; ``lease`` should outlast a request (a
    request that outlives it lets one more in). Raises TimeoutError after ``max_wait``.
    """
    token = uuid.uuid4().hex
    key = take_slot(
        name, limit=limit, lease=lease, token=token, max_wait=max_wait, clock=clock, sleep=sleep
    )
    try:
        yield
    finally:
        release_slot(key, token)


def take_slot(name, *, limit, lease, token, max_wait=60.0, clock=time.time, sleep=time.sleep):
    """Take a free slot of ``name`` for ``lease`` seconds; returns its key (see in_flight)."""
    started = clock()
    while True:
        # Start at a random slot, so that waiting workers don't all race for slot 0.
        first = random.randrange(limit)
        for n in range(limit):
            key = f"throttle:{name}:slot:{(first + n) % limit}"
            if cache.add(key, token, timeout=max(1, int(lease))):
                return key
        if clock() - started > max_wait:
            raise TimeoutError(f"no free {name} request slot within {max_wait:.0f}s")
        sleep(random.uniform(0.01, 0.05))


def release_slot(key, token):
    """Free a slot if we still hold it (after its lease ran out, another worker may)."""
    # Not atomic (get, then delete): if our lease ends between the two, we free another
    # worker's slot early; leases outlast requests, so this needs a request past its timeout.
    if cache.get(key) == token:
        cache.delete(key)
