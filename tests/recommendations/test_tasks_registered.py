"""A real worker knows every recommendations task by the name beat and `make run` send.

The tasks are defined in picks.py and digests.py; a worker imports those modules because
the settings' CELERY_IMPORTS names them."""

import pytest

from portal.settings import CELERY_BEAT_SCHEDULE

pytestmark = pytest.mark.service

TASKS = [
    "recommendations.picks.refresh_user_picks",
    "recommendations.picks.rebuild_recommendations",
    "recommendations.picks.refresh_everyones_picks",
    "recommendations.digests.send_digests",
    "recommendations.digests.send_digest",
]


def test_a_worker_registers_every_recommendations_task(start_worker, redis_url):
    worker = start_worker(broker_url=redis_url)

    answer = worker.client.control.inspect([worker.name], timeout=5).registered()
    # Each entry is the name, then any options: "...send_digest [rate_limit=10/s]".
    registered = {entry.split()[0] for entry in answer[worker.name]}

    assert set(TASKS) <= registered, worker.output()
    # Beat's schedule names only tasks a worker has.
    scheduled = {entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= registered, scheduled - registered
