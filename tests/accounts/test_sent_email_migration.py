"""Migration 0006: a claim decision already emailed (ClaimDecision.emailed_at) is in the
send log, so that a task delivered again after the upgrade does not email it twice."""

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.emails import send_claim_decision
from accounts.models import SentEmail

BEFORE = [("accounts", "0005_move_recommendation_models_out")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_decisions_already_emailed_are_in_the_send_log_and_not_emailed_again(paper):
    apps = migrate(BEFORE)
    try:
        User = apps.get_model("accounts", "User")
        Authorship = apps.get_model("papers", "Authorship")
        Claim = apps.get_model("accounts", "Claim")
        ClaimDecision = apps.get_model("accounts", "ClaimDecision")
        Profile = apps.get_model("accounts", "Profile")  # made by a signal, not here
        decisions = []
        for position, name in enumerate(["ann", "ben"]):
            user = User.objects.create(username=name, email=f"{name}@example.org")
            Profile.objects.create(user=user)
            authorship = Authorship.objects.get(paper_id=paper.pk, position=position)
            claim = Claim.objects.create(
                user=user, authorship=authorship, paper_id=paper.pk, status="verified"
            )
            decisions.append(ClaimDecision.objects.create(claim=claim, verdict="approved"))
        emailed, waiting = decisions
        ClaimDecision.objects.filter(pk=emailed.pk).update(emailed_at="2026-11-01T10:00:00Z")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    logged = SentEmail.objects.get()
    assert (logged.kind, logged.key, logged.recipient.username, logged.status) == (
        "claim_decision",
        str(emailed.pk),
        "ann",
        "sent",
    )
    assert logged.sent_at.isoformat() == "2026-11-01T10:00:00+00:00"
    assert send_claim_decision(emailed.pk) == 0
    assert send_claim_decision(waiting.pk) == 1
    assert [m.to for m in mail.outbox] == [["ben@example.org"]]
