"""Recommendation, Dismissal, Digest and EmailedPaper now belong to the recommendations app
(issue 14): they leave accounts' state only. Their tables stay as they are, rows and all;
recommendations 0001 takes them over under the same names (db_table)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_preference_centre_and_digests"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="emailedpaper",
                    name="digest",
                ),
                migrations.RemoveField(
                    model_name="dismissal",
                    name="paper",
                ),
                migrations.RemoveField(
                    model_name="dismissal",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="emailedpaper",
                    name="paper",
                ),
                migrations.RemoveField(
                    model_name="emailedpaper",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="recommendation",
                    name="paper",
                ),
                migrations.RemoveField(
                    model_name="recommendation",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="Digest",
                ),
                migrations.DeleteModel(
                    name="Dismissal",
                ),
                migrations.DeleteModel(
                    name="EmailedPaper",
                ),
                migrations.DeleteModel(
                    name="Recommendation",
                ),
            ],
            database_operations=[],
        ),
    ]
