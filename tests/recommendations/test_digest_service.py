"""Service test: a real `celery beat` fires the digest task from the database schedule, a
real `celery worker` on Redis sends the digest over SMTP, and a local SMTP server on
127.0.0.1 (aiosmtpd) receives it — once, although beat fires again and again."""

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from recommendations.models import Digest
from tests.conftest import ROOT, database_url_of, wait_for
from tests.factories import PaperFactory, RecommendationFactory, UserFactory

pytestmark = pytest.mark.service


class Inbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def test_beat_and_a_worker_deliver_a_digest_over_smtp_once(start_worker, redis_url, smtp_sink):
    reader = UserFactory(username="dana")
    RecommendationFactory(user=reader, paper=PaperFactory(title="Snarks and their colourings"))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        # The fan-out's per-user tasks go to the default queue: make it this test's own.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    worker = start_worker(broker_url=redis_url, queue=queue, env=env)
    # Every second instead of Monday 07:15, so that the test need not wait for a week.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.create(
        name="test: weekly digests now",
        task="recommendations.digests.send_digests",
        interval=every_second,
        args='["weekly"]',
        queue=queue,
    )
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=info"]
        + ["--schedule", str(ROOT / "var" / f"beat-{queue}")],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "DATABASE_URL": database_url_of(connection),
            "REDIS_URL": redis_url,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        delivered = wait_for(lambda: smtp_sink.envelopes, timeout=60)
        # Beat keeps firing; the send log must keep it at one email.
        wait_for(
            lambda: worker.output().count("recommendations.digests.send_digests[") >= 6, timeout=30
        )
        time.sleep(1)
    finally:
        beat.terminate()
        beat_output = beat.communicate(timeout=20)[0].decode()

    assert delivered, worker.output() + beat_output
    assert len(smtp_sink.envelopes) == 1, worker.output()
    envelope = smtp_sink.envelopes[0]
    assert envelope.rcpt_tos == ["dana@example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "[Research Portal] Your weekly digest: 1 recommended paper"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].strip().startswith("<http")  # (folded: long line)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Snarks and their colourings" in text and "Snarks and their colourings" in html
    assert Digest.objects.get(user=reader).status == "sent"
