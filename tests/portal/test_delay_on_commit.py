"""task.delay_on_commit (portal.celery.PortalTask): the task is enqueued once the
transaction commits, and a fault in enqueueing neither fails the code that committed nor
stops the other on-commit callbacks."""

import pytest
from django.db import transaction

from accounts.emails import send_claim_decision


@pytest.mark.django_db(transaction=True)
def test_a_fault_enqueueing_after_commit_is_logged_and_the_next_callback_runs(caplog):
    ran = []
    with transaction.atomic():
        send_claim_decision.delay_on_commit(object())  # not JSON: enqueueing raises
        transaction.on_commit(lambda: ran.append("next"))
        assert ran == []  # nothing before the commit

    assert ran == ["next"]
    assert "Error calling" in caplog.text and "EncodeError" in caplog.text
