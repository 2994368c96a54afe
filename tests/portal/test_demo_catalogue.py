"""`make run`'s demo on first run: the bundled arXiv papers, rated by demo researchers, give
the reader real picks, the related lists co-ratings, and the facets real counts."""

from io import StringIO

import pytest
from django.core.management import call_command

from papers.models import Category, Paper, RecommendationRun, RelatedPaper
from portal.demo import DEMO_RATER_FIELDS, DEMO_READER_RATINGS, demo_ratings
from recommendations.models import Recommendation
from reviews.models import Review


@pytest.mark.django_db
def test_the_demo_is_meaningful_on_first_run_and_the_second_run_changes_nothing(settings):
    settings.DEBUG = True
    call_command("load_demo", verbosity=0, stdout=StringIO(), stderr=StringIO())

    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)

    ratings = demo_ratings()
    assert f"Demo raters: ratings of {len({doi for _, doi in ratings})} papers written." in (
        out.getvalue()
    )
    raters = Review.objects.filter(user__username__startswith="demo-rater-")
    assert raters.count() == len(ratings) and raters.values("user").distinct().count() == len(
        DEMO_RATER_FIELDS
    )
    # Raters of one field overlap: papers rated by several readers, and co-rated neighbours.
    assert Paper.objects.filter(rating_count__gte=2).count() >= 30
    run = RecommendationRun.objects.filter(status="finished").latest("finished_at")
    assert RelatedPaper.objects.filter(run=run, reason=RelatedPaper.Reason.CO_RATED).exists()
    # The reader's picks come from what they rated, not from "best rated" fillers.
    picks = list(Recommendation.objects.filter(user__username="reader").order_by("rank"))
    assert len(picks) >= 10
    assert all(p.reason == Recommendation.Reason.RATED for p in picks[:10])
    rated_arxiv = {d for d in DEMO_READER_RATINGS if d.startswith("10.48550/arxiv.")}
    assert sum(p.paper.doi.startswith("10.48550/arxiv.") for p in picks[:10]) >= 5
    assert rated_arxiv.isdisjoint(p.paper.doi for p in picks)
    # The facets count real papers in related categories.
    counts = {c.name: c.papers.count() for c in Category.objects.filter(name__startswith="cs.")}
    assert counts["cs.IR"] > 1000 and counts["cs.CL"] > 1000 and counts["cs.DL"] > 100

    reviews = list(Review.objects.order_by("pk").values_list("pk", "rating", "updated_at"))
    again = StringIO()
    call_command("ensure_demo_admin", stdout=again)

    assert "Demo raters: ratings of 0 papers written." in again.getvalue()
    assert list(Review.objects.order_by("pk").values_list("pk", "rating", "updated_at")) == reviews
