"""manage.py recompute_recommendations: the nightly computation by hand."""

import io

import pytest
from django.core.management import CommandError, call_command

from papers.models import RecommendationRun
from recommendations.models import Recommendation
from reviews.models import Review
from tests.factories import UserFactory
from tests.papers.test_recommend import BLOGS, NEWSLETTER, import_all

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("recompute_recommendations", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_rebuilds_the_lists_then_the_users_picks():
    papers = import_all()
    reader = UserFactory(username="reader")
    Review.objects.create(user=reader, paper=papers[BLOGS], rating=5)

    output = run()

    run_row = RecommendationRun.objects.get()
    assert f"entries for {len(papers)} papers" in output
    assert "Personal picks:" in output
    assert Recommendation.objects.for_user(reader).first().paper == papers[NEWSLETTER]
    assert run_row.status == RecommendationRun.Status.FINISHED


def test_papers_only_leaves_the_picks_alone():
    import_all()
    output = run("--papers")
    assert "Related papers:" in output and "Personal picks" not in output
    assert not Recommendation.objects.exists()


def test_users_only_builds_no_lists():
    import_all()
    UserFactory(username="reader")
    output = run("--users")
    assert "Personal picks:" in output and "Related papers" not in output
    assert not RecommendationRun.objects.exists()


def test_both_flags_at_once_are_refused():
    with pytest.raises(CommandError, match="not allowed"):
        call_command("recompute_recommendations", "--papers", "--users", stderr=io.StringIO())
