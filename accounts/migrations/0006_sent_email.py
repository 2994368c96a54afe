import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def emailed_at_to_send_log(apps, schema_editor):
    # A decision whose emailed_at was set is not emailed again: the send log now says so.
    # (emailed_at was also set when the claimant chose the digest for decisions; those rows
    # say "sent" as well, which keeps them from being emailed, as before.)
    ClaimDecision = apps.get_model("accounts", "ClaimDecision")
    SentEmail = apps.get_model("accounts", "SentEmail")
    decisions = ClaimDecision.objects.filter(emailed_at__isnull=False).values_list(
        "pk", "claim__user_id", "emailed_at"
    )
    SentEmail.objects.bulk_create(
        (
            SentEmail(
                kind="claim_decision",
                key=str(pk),
                recipient_id=user_id,
                status="sent",
                sent_at=emailed_at,
            )
            for pk, user_id, emailed_at in decisions.iterator()
        ),
        batch_size=1000,
    )


def send_log_to_emailed_at(apps, schema_editor):
    ClaimDecision = apps.get_model("accounts", "ClaimDecision")
    SentEmail = apps.get_model("accounts", "SentEmail")
    sent = SentEmail.objects.filter(kind="claim_decision", status="sent")
    for key, sent_at in sent.values_list("key", "sent_at").iterator():
        ClaimDecision.objects.filter(pk=int(key)).update(emailed_at=sent_at)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_move_recommendation_models_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SentEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("claim_decision", "Claim decision"),
                            ("resource_request", "Resource requests, to an author"),
                            ("request_answered", "Answer to a resource request"),
                            ("request_status", "Status of a resource request"),
                            ("review_hidden", "Review hidden"),
                            ("retraction", "Retraction of a rated paper"),
                        ],
                        max_length=20,
                    ),
                ),
                ("key", models.CharField(max_length=100)),
                (
                    "status",
                    models.CharField(
                        choices=[("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed")],
                        default="sending",
                        max_length=10,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=1)),
                ("error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sent_emails",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["status", "created_at"], name="accounts_se_status_17f2ca_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "key", "recipient"), name="accounts_sentemail_once"
                    )
                ],
            },
        ),
        migrations.RunPython(emailed_at_to_send_log, send_log_to_emailed_at),
        migrations.RemoveField(model_name="claimdecision", name="emailed_at"),
    ]
