"""The preference centre on the profile page: a frequency per kind of email, and the
migration that turned the old "never" into "off"."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import Profile

EDIT = reverse("accounts:profile-edit")


def test_the_profile_page_shows_each_kind_of_email_with_its_choices(client, alice):
    client.force_login(alice)

    html = client.get(EDIT).content.decode()

    assert 'id="email-preferences"' in html and "<legend>Email preferences</legend>" in html
    for label in (
        "Recommendation digest",
        "Activity on my papers",
        "Answers to my resource requests",
        "Decisions on my author claims",
        "Notices about my reviews",
    ):
        assert label in html
    # Every input has a label (radio buttons are wrapped in theirs).
    assert html.count('name="paper_activity_frequency"') == 5
    # Recommendations come only in a digest: no "at once".
    assert 'name="recommendation_frequency" value="instant"' not in html


def test_the_owner_chooses_a_frequency_per_kind(client, alice):
    client.force_login(alice)

    response = client.post(
        EDIT,
        {
            "recommendation_frequency": "daily",
            "paper_activity_frequency": "monthly",
            "request_answers_frequency": "weekly",
            "claim_decisions_frequency": "off",
        },
    )

    assert response.status_code == 302
    profile = Profile.objects.get(user=alice)
    assert profile.recommendation_frequency == "daily"
    assert profile.paper_activity_frequency == "monthly"
    assert profile.request_answers_frequency == "weekly"
    assert profile.claim_decisions_frequency == "off"
    assert profile.review_notices is False  # the box was left unticked


def test_a_frequency_that_is_not_offered_is_refused(client, alice):
    client.force_login(alice)

    response = client.post(EDIT, {"recommendation_frequency": "instant"})

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert Profile.objects.get(user=alice).recommendation_frequency == "weekly"


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_never_into_off():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0003_recommendations")])
    old = executor.loader.project_state([("accounts", "0003_recommendations")]).apps
    user = old.get_model("accounts", "User").objects.create(username="old")
    old.get_model("accounts", "Profile").objects.create(user=user, recommendation_frequency="never")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    profile = Profile.objects.get(user__username="old")
    assert profile.recommendation_frequency == "off"
    assert profile.paper_activity_frequency == "instant" and profile.review_notices is True
