"""Digests go through the send log too (issue 14): SentEmail gets the kind "digest"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_sent_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sentemail",
            name="kind",
            field=models.CharField(
                choices=[
                    ("claim_decision", "Claim decision"),
                    ("resource_request", "Resource requests, to an author"),
                    ("request_answered", "Answer to a resource request"),
                    ("request_status", "Status of a resource request"),
                    ("review_hidden", "Review hidden"),
                    ("retraction", "Retraction of a rated paper"),
                    ("digest", "Email digest"),
                ],
                max_length=20,
            ),
        ),
    ]
