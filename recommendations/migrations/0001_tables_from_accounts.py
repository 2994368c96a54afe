"""The tables of personal recommendations and digests, taken over from accounts (issue 14).

Nothing in the database changes: the models come into this app's state with the tables,
constraints and index they had in accounts (accounts 0005 removed them from its state).
Their content types move with them (renamed, as Django does for a renamed model), so the
permissions on them, and the users and groups holding those, stay as they were.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["recommendation", "dismissal", "digest", "emailedpaper"]


def _move_content_types(apps, schema_editor, *, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    # A content type the target already has (made by an earlier migrate) is left alone;
    # remove_stale_contenttypes tidies the source's then.
    taken = ContentType.objects.using(db).filter(app_label=target, model__in=MODELS)
    ContentType.objects.using(db).filter(app_label=source, model__in=MODELS).exclude(
        model__in=list(taken.values_list("model", flat=True))
    ).update(app_label=target)


def content_types_to_recommendations(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="accounts", target="recommendations")


def content_types_to_accounts(apps, schema_editor):
    _move_content_types(apps, schema_editor, source="recommendations", target="accounts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0005_move_recommendation_models_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("papers", "0011_safe_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Digest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "period",
                            models.CharField(
                                choices=[
                                    ("daily", "Daily"),
                                    ("weekly", "Weekly"),
                                    ("monthly", "Monthly"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("period_key", models.CharField(max_length=10)),
                        ("kinds", models.JSONField(default=list)),
                        ("window_start", models.DateTimeField()),
                        ("window_end", models.DateTimeField()),
                        ("items", models.JSONField(blank=True, default=list)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                ],
                                default="sending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="digests",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_digest",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Dismissal",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "paper",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="dismissals",
                                to="papers.paper",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="dismissals",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_dismissal",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="EmailedPaper",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("emailed_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "digest",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="emailed_papers",
                                to="recommendations.digest",
                            ),
                        ),
                        (
                            "paper",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="emailed_to",
                                to="papers.paper",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="emailed_papers",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_emailedpaper",
                        "ordering": ["-emailed_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Recommendation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("rank", models.PositiveSmallIntegerField()),
                        ("score", models.FloatField()),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("rated", "Because you rated"),
                                    ("claimed", "Because you wrote"),
                                    ("interest", "In your interest"),
                                    ("popular", "Best rated recent paper"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("detail", models.CharField(blank=True, max_length=300)),
                        ("computed_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "paper",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="recommendations",
                                to="papers.paper",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="recommendations",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_recommendation",
                        "ordering": ["user", "rank"],
                    },
                ),
                migrations.AddIndex(
                    model_name="digest",
                    index=models.Index(
                        fields=["status", "created_at"], name="accounts_di_status_e7b683_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="digest",
                    constraint=models.UniqueConstraint(
                        fields=("user", "period", "period_key"),
                        name="accounts_digest_once_per_period",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="dismissal",
                    constraint=models.UniqueConstraint(
                        fields=("user", "paper"), name="accounts_dismissal_once"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="emailedpaper",
                    constraint=models.UniqueConstraint(
                        fields=("user", "paper"), name="accounts_emailed_paper_once"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="recommendation",
                    constraint=models.UniqueConstraint(
                        fields=("user", "paper"), name="accounts_recommendation_once"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_recommendations, content_types_to_accounts),
    ]
