"""The demo accounts that the README's run command creates and prints: an admin (the
curator) and a reader with ratings and personal recommendations. The reader uses reviews
and recommendations, so the demo is composed here, above the apps."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from papers.models import Category, Paper
from recommendations import picks
from reviews.models import Review
from reviews.ratings import refresh_summary

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "portal-demo-admin"


def ensure_demo_admin():
    """Create the demo superuser, or reset its password if it exists. Returns (user, created)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME,
        defaults={"email": "admin@example.org", "is_staff": True, "is_superuser": True},
    )
    user.is_staff = user.is_superuser = True
    user.set_password(DEMO_ADMIN_PASSWORD)
    user.save()
    # A verified address, so that the admin can also log in on the site (allauth).
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created


DEMO_READER_USERNAME = "reader"
DEMO_READER_PASSWORD = "portal-demo-reader"
# What the demo reader has done: rated two demo papers (one highly, one not), so that the
# personal recommendations have something to go on.
DEMO_READER_RATINGS = {"10.53731/avg2ykg-gdxppcd": 5, "10.1002/jor.1100150407": 2}


def ensure_demo_reader():
    """A demo researcher with two ratings, an interest and fresh personal picks.

    Returns (user, created). Ratings are written with the same summary refresh as a real
    rating; missing demo papers are skipped (run load_demo first).
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DEMO_READER_USERNAME, defaults={"email": "reader@example.org"}
    )
    user.set_password(DEMO_READER_PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    profile = user.profile
    profile.display_name = profile.display_name or "Demo Reader"
    profile.save()
    busiest = Category.objects.annotate(n=Count("papers")).order_by("-n", "name").first()
    if busiest is not None:
        profile.interest_categories.add(busiest)
    for doi, rating in DEMO_READER_RATINGS.items():
        paper = Paper.objects.with_doi(doi).first()
        if paper is not None:
            with transaction.atomic():
                Review.objects.update_or_create(paper=paper, user=user, defaults={"rating": rating})
                refresh_summary(paper.pk)
    picks.refresh_picks(user.pk)
    return user, created
