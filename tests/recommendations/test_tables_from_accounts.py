"""Migrations accounts 0005 and recommendations 0001: the recommendation models change app,
not tables. Rows made while they were accounts' are read through the new models, and the
permissions on them (held by staff or groups) still work."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from recommendations.models import Digest, Dismissal, EmailedPaper, Recommendation
from tests.factories import PaperFactory

BEFORE = [("accounts", "0004_preference_centre_and_digests")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_made_in_accounts_are_kept(client):
    # Back to before the move: recommendations 0001 is unapplied with it, and its reverse
    # gives the content types back to accounts.
    apps = migrate(BEFORE)
    try:
        User = apps.get_model("accounts", "User")
        ContentType = apps.get_model("contenttypes", "ContentType")
        Permission = apps.get_model("auth", "Permission")
        reader = User.objects.create(username="reader", email="reader@example.org")
        # papers stays migrated: its current model makes the rows.
        picked = PaperFactory(doi="10.1/picked", title="A picked paper")
        dismissed = PaperFactory(doi="10.1/dismissed", title="A dismissed paper")
        apps.get_model("accounts", "Recommendation").objects.create(
            user=reader, paper_id=picked.pk, rank=1, score=0.5, reason="interest", detail="Moss"
        )
        apps.get_model("accounts", "Dismissal").objects.create(user=reader, paper_id=dismissed.pk)
        digest = apps.get_model("accounts", "Digest").objects.create(
            user=reader,
            period="weekly",
            period_key="2026-W48",
            kinds={"recommendations": "2026-11-16T00:00:00+00:00"},
            window_start="2026-11-16T00:00:00+00:00",
            window_end="2026-11-23T00:00:00+00:00",
            items=[{"paper": picked.pk, "reason": "In your interest “Moss”"}],
            status="sent",
        )
        apps.get_model("accounts", "EmailedPaper").objects.create(
            user=reader, paper_id=picked.pk, digest=digest
        )
        # A curator who may read the send log: through a group, as an admin would set it up.
        digest_type = ContentType.objects.get(app_label="accounts", model="digest")
        view_digest = Permission.objects.get(content_type=digest_type, codename="view_digest")
        senders = apps.get_model("auth", "Group").objects.create(name="Digest readers")
        senders.permissions.add(view_digest)
        curator = User.objects.create(username="curator", is_staff=True)
        curator.groups.add(senders)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    pick = Recommendation.objects.select_related("user", "paper").get()
    assert (pick.user.username, pick.paper.title, pick.reason_display) == (
        "reader",
        "A picked paper",
        "In your interest “Moss”",
    )
    assert Dismissal.objects.get().paper.doi == "10.1/dismissed"
    digest = Digest.objects.get()
    assert (digest.period_key, digest.status, digest.items[0]["paper"]) == (
        "2026-W48",
        "sent",
        pick.paper_id,
    )
    assert EmailedPaper.objects.get().digest == digest
    assert list(Digest.objects.filter(user=pick.user)) == [digest]

    curator = Group.objects.get(name="Digest readers").user_set.get()
    assert curator.has_perm("recommendations.view_digest")
    client.force_login(curator)
    page = client.get(reverse("admin:recommendations_digest_changelist"))
    assert page.status_code == 200 and "2026-W48" in page.content.decode()
