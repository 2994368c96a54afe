"""The demo admin account that the README's run command creates and prints."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

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
DEMO_READER_EMAIL = "reader@example.org"
DEMO_READER_PASSWORD = "portal-demo-reader"
DEMO_READER_PICKS = 5


def ensure_demo_reader():
    """The demo reader of the README's run command: interested in the demo catalogue's two
    largest categories, with personal picks, so that their weekly digest has something to
    say. Idempotent: the picks are only made when the reader has none. Returns the user."""
    from django.db import transaction
    from django.db.models import Count

    from accounts.models import Profile, Recommendation
    from papers.models import Category, Paper

    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=DEMO_READER_USERNAME,
            defaults={"email": DEMO_READER_EMAIL, "first_name": "Demo", "last_name": "Reader"},
        )
        if created:
            user.set_password(DEMO_READER_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        profile, _ = Profile.objects.get_or_create(user=user)
        interests = list(
            Category.objects.annotate(n=Count("papers")).filter(n__gt=0).order_by("-n", "name")[:2]
        )
        profile.interest_categories.add(*interests)
        if user.recommendations.exists():
            return user
        # The demo's stand-in for the recommender (accounts.picks computes real picks):
        # papers of the reader's interests, then the newest, each with its reason.
        rows, seen = [], set()
        for category in interests:
            for paper in Paper.objects.filter(categories=category, is_retracted=False)[:3]:
                if paper.pk not in seen and len(rows) < DEMO_READER_PICKS:
                    seen.add(paper.pk)
                    rows.append((paper, Recommendation.Reason.INTEREST, category.name))
        for paper in Paper.objects.filter(is_retracted=False).exclude(pk__in=seen)[
            :DEMO_READER_PICKS
        ]:
            if len(rows) < DEMO_READER_PICKS:
                rows.append((paper, Recommendation.Reason.POPULAR, ""))
        Recommendation.objects.bulk_create(
            Recommendation(
                user=user, paper=paper, rank=rank, score=1 / rank, reason=reason, detail=detail
            )
            for rank, (paper, reason, detail) in enumerate(rows, start=1)
        )
    return user
