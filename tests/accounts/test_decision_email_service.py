"""A curator's decision is emailed by a real `celery worker` process on the real Redis, once
even when the task is delivered twice."""

import pytest

from accounts import claims
from accounts.models import SentEmail
from tests.conftest import authorship_of, wait_for

pytestmark = pytest.mark.service

TASK = "accounts.emails.send_claim_decision"
SUBJECT = "Subject: [Research Portal] Your author claim was approved"


def test_a_worker_emails_the_decision_once(start_worker, redis_url, alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator, reason="Checked with the journal.")
    decision = claim.decisions.get()
    # The worker's email backend prints each message to its output.
    worker = start_worker(broker_url=redis_url, env={"EMAIL_URL": "consolemail://"})

    worker.send(TASK, decision.pk)
    worker.send(TASK, decision.pk)  # delivered twice, e.g. after a worker died mid-task

    def emailed():
        return SentEmail.objects.filter(key=str(decision.pk), status="sent").exists()

    assert wait_for(emailed), worker.output()
    assert wait_for(lambda: worker.output().count(f"{TASK}[") >= 4), (
        worker.output()
    )  # 2 received, 2 succeeded
    output = worker.output()
    assert output.count(SUBJECT) == 1, output
    assert "To: alice@example.org" in output and "Checked with the journal." in output
