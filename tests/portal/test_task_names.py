"""A worker knows each task by the name the code enqueues it under, also the tasks defined
beside their functions outside a tasks.py (accounts.emails, reviews.notifications,
reviews.resources)."""

import json
import subprocess
import sys

from accounts import emails
from reviews import notifications, resources
from tests.conftest import ROOT

# What `celery worker` does at start: import the task modules (Django set up first).
WORKER_IMPORTS = """
import json
from portal.celery import app
app.loader.import_default_modules()
print(json.dumps(sorted(app.tasks)))
"""

EMAIL_TASKS = [
    emails.send_claim_decision,
    notifications.tell_reviewer_hidden,
    notifications.tell_raters_of_retraction,
    notifications.tell_asker_answered,
    notifications.tell_asker_status,
    resources.tell_authors_of_request,
    resources.tell_new_author_of_waiting_requests,
]


def test_a_worker_process_registers_every_email_task_under_its_name():
    run = subprocess.run(
        [sys.executable, "-c", WORKER_IMPORTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    registered = set(json.loads(run.stdout.splitlines()[-1]))

    names = [task.name for task in EMAIL_TASKS]
    assert names == [
        "accounts.emails.send_claim_decision",
        "reviews.notifications.tell_reviewer_hidden",
        "reviews.notifications.tell_raters_of_retraction",
        "reviews.notifications.tell_asker_answered",
        "reviews.notifications.tell_asker_status",
        "reviews.resources.tell_authors_of_request",
        "reviews.resources.tell_new_author_of_waiting_requests",
    ]
    assert set(names) <= registered
