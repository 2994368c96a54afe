"""Digests on the send log of every email (issue 14), step 2: every Digest has its send-log
row (0002), which alone says how its sending went; Digest keeps what the digest held."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_digest_sending_in_sent_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="digest",
            name="email",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="digest",
                to="accounts.sentemail",
            ),
        ),
        migrations.RemoveIndex(model_name="digest", name="accounts_di_status_e7b683_idx"),
        migrations.RemoveField(model_name="digest", name="status"),
        migrations.RemoveField(model_name="digest", name="attempts"),
        migrations.RemoveField(model_name="digest", name="error"),
        migrations.RemoveField(model_name="digest", name="sent_at"),
    ]
