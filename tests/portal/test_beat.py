"""Service test: `celery beat` copies the schedule into the database for admins to edit."""

import subprocess
import sys

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask

from tests.conftest import ROOT, database_url_of, wait_for

pytestmark = pytest.mark.service


@pytest.mark.django_db(transaction=True)
def test_beat_stores_the_schedule_in_the_database():
    env = {"DATABASE_URL": database_url_of(connection)}
    import os

    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "--loglevel=info",
            "--schedule",
            str(ROOT / "var" / "test-beat-schedule"),
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        stored = wait_for(
            lambda: PeriodicTask.objects.filter(name="clear-expired-sessions").first(),
            timeout=30,
        )
    finally:
        beat.terminate()
        try:
            output = beat.communicate(timeout=60)[0].decode()
        except subprocess.TimeoutExpired:
            # Beat handles SIGTERM only between database calls; one waiting on SQLite's
            # write lock (20 s timeout) may not get there in time on a loaded machine.
            beat.kill()
            output = beat.communicate()[0].decode()

    assert stored is not None, output
    assert stored.task == "portal.tasks.clear_expired_sessions"
    assert stored.crontab is not None and stored.crontab.hour == "3"
