"""Service tests: real `celery worker` processes execute tasks that write to the database."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.tasks import clear_expired_sessions
from tests.conftest import wait_for

pytestmark = pytest.mark.service


def make_sessions():
    """One expired and one live session; returns their keys."""
    expired, live = SessionStore(), SessionStore()
    expired.set_expiry(timezone.now() - timedelta(days=1))
    live.set_expiry(timezone.now() + timedelta(days=1))
    expired.save()
    live.save()
    return expired.session_key, live.session_key


def test_a_worker_on_redis_executes_a_task_that_writes_to_the_database(start_worker, redis_url):
    expired_key, live_key = make_sessions()
    worker = start_worker(broker_url=redis_url)

    worker.send("portal.tasks.clear_expired_sessions")

    gone = wait_for(lambda: not Session.objects.filter(session_key=expired_key).exists())
    assert gone, worker.output()
    assert Session.objects.filter(session_key=live_key).exists()
    assert "clear_expired_sessions" in worker.output()


def test_without_redis_a_worker_process_runs_tasks_from_the_embedded_broker(start_worker):
    from django.conf import settings

    assert settings.CELERY_BROKER_URL == "filesystem://"
    expired_key, _ = make_sessions()
    worker = start_worker()

    clear_expired_sessions.apply_async(queue=worker.queue)

    assert wait_for(lambda: not Session.objects.filter(session_key=expired_key).exists()), (
        worker.output()
    )


def test_healthz_is_200_when_a_worker_answers(start_worker, client):
    worker = start_worker()

    response = client.get("/healthz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert worker.name in body["worker"]["detail"]
