"""Service tests: `celery beat`, started as the Procfile (`make run`) starts it, stores the
schedule in the database and stops within seconds of SIGTERM, on SQLite too."""

import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from itertools import takewhile

import pytest
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.conftest import ROOT, database_url_of, wait_for

pytestmark = pytest.mark.service

STOPS_WITHIN = 10  # seconds after SIGTERM


def procfile_beat():
    """The Procfile's beat line: (its environment assignments, its command), with our
    interpreter running celery."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    words = shlex.split(next(line for line in lines if line.startswith("beat:"))[5:])
    assignments = list(takewhile(lambda word: re.fullmatch(r"[A-Z_]+=.*", word), words))
    env = dict(word.split("=", 1) for word in assignments)
    command = words[len(assignments) :]
    assert command[0] == "celery"
    return env, [sys.executable, "-m", "celery", *command[1:]]


def start_beat():
    env, command = procfile_beat()
    env = {**os.environ, **env, "DATABASE_URL": database_url_of(connection)}
    command += ["--schedule", str(ROOT / "var" / "test-beat-schedule")]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def messages(queue):
    """The embedded broker's message files for ``queue``."""
    return list((ROOT / "var").glob(f"**/*.{queue}.msg"))


def seconds_to_stop(beat):
    """SIGTERM, then how long beat took to exit (killed after a minute), and its output."""
    sent = time.monotonic()
    beat.terminate()
    try:
        output = beat.communicate(timeout=60)[0].decode()
    except subprocess.TimeoutExpired:
        beat.kill()
        output = beat.communicate()[0].decode() + "\n(killed: still running 60 s after SIGTERM)"
    return time.monotonic() - sent, output


@pytest.mark.django_db(transaction=True)
def test_beat_stores_the_schedule_in_the_database_and_stops_on_sigterm():
    beat = start_beat()
    try:
        stored = wait_for(
            lambda: PeriodicTask.objects.filter(name="clear-expired-sessions").first(),
            timeout=30,
        )
    finally:
        took, output = seconds_to_stop(beat)

    assert stored is not None, output
    assert stored.task == "portal.tasks.clear_expired_sessions"
    assert stored.crontab is not None and stored.crontab.hour == "3"
    assert took < STOPS_WITHIN, output


@pytest.mark.django_db(transaction=True)
def test_beat_stops_on_sigterm_while_it_is_still_writing_the_schedule():
    # Regression (issue 13): a SIGTERM while beat was building its scheduler made Celery's
    # handler build a second one; on SQLite that failed, the failure was swallowed with the
    # exit, and beat ran on until killed (portal.celery.PortalBeat). It hung about one start
    # in two, so three starts.
    for _ in range(3):
        PeriodicTask.objects.all().delete()
        beat = start_beat()
        try:
            writing = wait_for(PeriodicTask.objects.exists, timeout=30, interval=0.01)
        finally:
            took, output = seconds_to_stop(beat)
        assert writing, output
        assert took < STOPS_WITHIN, output


def sqlite_only(test):
    """Only collected on SQLite (a skip fails CI): PostgreSQL has no single write lock."""
    return test if "sqlite" in settings.DATABASES["default"]["ENGINE"] else None


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_beat_stops_within_seconds_of_sigterm_while_another_process_holds_sqlites_lock():
    # Regression (issue 13): beat waited up to 20 s (the web's SQLite timeout) inside SQLite
    # for each write, deaf to SIGTERM, and writes its schedule again on the way out.
    queue = f"test-beat-{time.monotonic_ns()}"
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="every second",
        task="portal.tasks.clear_expired_sessions",
        interval=every_second,
        queue=queue,  # no worker reads it; its messages are deleted below
    )
    beat = start_beat()
    locker = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        # Beat has sent the task: it owes the database its last run, written at the latest
        # on its way out.
        assert wait_for(lambda: len(messages(queue)) >= 2, timeout=30), "beat never sent it"
        locker.execute("BEGIN IMMEDIATE")  # a busy worker's transaction
        time.sleep(1)
    finally:
        took, output = seconds_to_stop(beat)
        locker.close()  # rolls back
        for message in messages(queue):
            message.unlink()

    assert "database is locked" in output  # it was waiting on the lock
    assert took < STOPS_WITHIN, output
