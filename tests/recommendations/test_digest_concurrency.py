"""Two `send_digests` runs of the same period at the same time (two beats, or a curator's
run during beat's) send each reader one digest: the send log's unique row decides. Runs on
both databases; on PostgreSQL the two processes really write at the same time."""

import os
import re
import subprocess
import sys

import pytest
from django.db import connection

from recommendations import digests
from recommendations.models import Digest, EmailedPaper
from tests.conftest import ROOT, database_url_of
from tests.factories import PaperFactory, RecommendationFactory, UserFactory

READERS = 40
SUBJECT = "Subject: [Research Portal] Your weekly digest"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_reader_one_digest():
    shared = PaperFactory(title="Everybody's pick")
    for n in range(READERS):
        reader = UserFactory(username=f"reader{n}")
        RecommendationFactory(user=reader, paper=shared, rank=1)
        RecommendationFactory(user=reader, paper=PaperFactory(), rank=2)
    env = {
        **os.environ,
        "DATABASE_URL": database_url_of(connection),
        "EMAIL_URL": "consolemail://",
    }
    command = [sys.executable, "manage.py", "send_digests", "--period", "weekly"]

    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=240)[0].decode() for run in runs]

    assert all(run.returncode == 0 for run in runs), outputs
    emailed = [line for out in outputs for line in out.splitlines() if line.startswith(SUBJECT)]
    assert len(emailed) == READERS, outputs
    sent = [int(re.search(r": sent (\d+),", out).group(1)) for out in outputs]
    assert sum(sent) == READERS, outputs
    key = digests.period_key("weekly")
    assert Digest.objects.filter(period_key=key, email__status="sent").count() == READERS
    assert EmailedPaper.objects.count() == 2 * READERS
