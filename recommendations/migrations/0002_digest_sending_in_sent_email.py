"""Digests on the send log of every email (issue 14), step 1: each Digest gets its send-log
row (accounts.SentEmail, kind "digest", key "<period>:<period key>"), made from the row's
own status, attempts, error and sent_at. Step 2 (0003) drops those columns from Digest."""

import django.db.models.deletion
from django.db import migrations, models


def send_state_to_sent_email(apps, schema_editor):
    Digest = apps.get_model("recommendations", "Digest")
    SentEmail = apps.get_model("accounts", "SentEmail")
    for digest in Digest.objects.order_by("pk").iterator():
        row = SentEmail.objects.create(
            kind="digest",
            key=f"{digest.period}:{digest.period_key}",
            recipient_id=digest.user_id,
            status=digest.status,
            # Digest counted the tries made (0 while the first was under way); the send
            # log counts the claims, the first one included.
            attempts=max(digest.attempts, 1),
            error=digest.error,
            sent_at=digest.sent_at,
        )
        SentEmail.objects.filter(pk=row.pk).update(created_at=digest.created_at)
        Digest.objects.filter(pk=digest.pk).update(email=row)


def sent_email_to_send_state(apps, schema_editor):
    Digest = apps.get_model("recommendations", "Digest")
    SentEmail = apps.get_model("accounts", "SentEmail")
    for digest in Digest.objects.select_related("email").order_by("pk").iterator():
        row = digest.email
        if row is not None:
            Digest.objects.filter(pk=digest.pk).update(
                status=row.status, attempts=row.attempts, error=row.error, sent_at=row.sent_at
            )
    Digest.objects.update(email=None)
    SentEmail.objects.filter(kind="digest").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_sent_email_digest_kind"),
        ("recommendations", "0001_tables_from_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="digest",
            name="email",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="digest",
                to="accounts.sentemail",
            ),
        ),
        migrations.RunPython(send_state_to_sent_email, sent_email_to_send_state),
    ]
