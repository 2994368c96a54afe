"""The demo accounts that the README's run command creates and prints: an admin (the
curator) and a reader with ratings and personal recommendations. The reader uses reviews
and recommendations, so the demo is composed here, above the apps."""

import random

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from accounts.models import Profile
from papers.models import Category, Paper
from papers.recommend import rebuild_related
from recommendations import picks
from reviews.models import Review
from reviews.ratings import co_rated_pairs, refresh_summary

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
# What the demo reader has done: rated demo papers (three on recommender systems highly, one
# blog post highly, one paper not), so that the personal recommendations have something to
# go on; and named an interest.
DEMO_READER_RATINGS = {
    "10.53731/avg2ykg-gdxppcd": 5,
    "10.1002/jor.1100150407": 2,
    "10.48550/arxiv.2503.22675": 5,  # Think Before Recommend: ... Sequential Recommendation
    "10.48550/arxiv.2503.24289": 5,  # Rec-R1: ... User-Centric Recommendation Systems
    "10.48550/arxiv.2504.05731": 4,  # Retrieval Augmented Generation with Collaborative Filtering
}
DEMO_READER_INTEREST = "cs.IR"


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
    interest = (
        Category.objects.filter(name=DEMO_READER_INTEREST).first()
        or Category.objects.annotate(n=Count("papers")).order_by("-n", "name").first()
    )
    if interest is not None:
        profile.interest_categories.add(interest)
    for doi, rating in DEMO_READER_RATINGS.items():
        paper = Paper.objects.with_doi(doi).first()
        # A rating already in place is left as it is: a second run changes nothing.
        if paper is not None and not paper.reviews.filter(user=user, rating=rating).exists():
            with transaction.atomic():
                Review.objects.update_or_create(paper=paper, user=user, defaults={"rating": rating})
                refresh_summary(paper.pk)
    picks.refresh_picks(user.pk)
    return user, created


# Demo researchers who rated the bundled arXiv papers (papers/demo/arxiv/), so that ratings,
# "best rated", the related lists' "rated highly by the same readers" and the picks have
# real-looking behaviour on the first run. Each reads one field: raters of the same field
# rate papers from the same small pool, so their high ratings overlap (co-ratings), and
# each also rates a few papers of other fields lower. Seeded: every run rates the same.
DEMO_RATER_FIELDS = ("cs.IR", "cs.IR", "cs.IR", "cs.DL", "cs.DL", "cs.CL", "cs.CL", "cs.CL")
DEMO_RATER_POOL = 40  # papers per field the raters of that field choose from
DEMO_RATER_IN_FIELD, DEMO_RATER_ELSEWHERE = 24, 6
ARXIV_DEMO_PREFIX = "10.48550/arxiv."


def demo_ratings():
    """{(rater number, doi): rating} for the demo raters: the same for the same catalogue.

    Fields are read from each arXiv demo paper's primary category (cs.IR, cs.DL) or, for the
    language papers, cs.CL; papers are taken in DOI order, then shuffled with a fixed seed.
    """
    by_field = {field: [] for field in set(DEMO_RATER_FIELDS)}
    papers = Paper.objects.filter(doi__startswith=ARXIV_DEMO_PREFIX).order_by("doi")
    links = papers.values_list("doi", "category_links__category__name")
    categories = {}
    for doi, name in links:
        categories.setdefault(doi, set()).add(name)
    for doi in sorted(categories):
        names = categories[doi]
        field = next((f for f in ("cs.DL", "cs.IR") if f in names), "cs.CL")
        by_field[field].append(doi)
    ratings = {}
    for number, field in enumerate(DEMO_RATER_FIELDS, start=1):
        pool = by_field[field][:]
        random.Random(field).shuffle(pool)  # the same pool for raters of one field
        rng = random.Random(number)
        liked = rng.sample(pool[:DEMO_RATER_POOL], min(DEMO_RATER_IN_FIELD, len(pool)))
        for doi in liked:
            ratings[number, doi] = rng.choice((5, 5, 4, 4, 4, 3))
        others = [doi for f, dois in sorted(by_field.items()) if f != field for doi in dois[:200]]
        for doi in rng.sample(others, min(DEMO_RATER_ELSEWHERE, len(others))):
            ratings[number, doi] = rng.choice((1, 2, 2, 3))
    return ratings


def ensure_demo_raters():
    """Create the demo raters and their ratings; rebuild the related lists with co-ratings.

    Idempotent: a second run finds every rating in place and writes nothing but the lists
    (rebuilt, as the nightly task does). Raters get no emails (their digests are off).
    Returns the number of papers whose demo ratings were created or changed.
    """
    User = get_user_model()
    wanted = demo_ratings()
    raters = {}
    for number in sorted({number for number, _ in wanted}):
        user, _ = User.objects.get_or_create(
            username=f"demo-rater-{number}",
            defaults={"email": f"demo-rater-{number}@example.org"},
        )
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Profile.objects.filter(user=user).update(
            display_name=f"Demo rater {number} ({DEMO_RATER_FIELDS[number - 1]})",
            recommendation_frequency=Profile.Frequency.OFF,
        )
        raters[number] = user
    papers = dict(Paper.objects.filter(doi__in={doi for _, doi in wanted}).values_list("doi", "pk"))
    current = {
        (user_id, paper_id): rating
        for user_id, paper_id, rating in Review.objects.filter(
            user__in=raters.values()
        ).values_list("user_id", "paper_id", "rating")
    }
    changed = set()
    with transaction.atomic():
        for (number, doi), rating in sorted(wanted.items()):
            key = (raters[number].pk, papers.get(doi))
            if key[1] is None or current.get(key) == rating:
                continue
            Review.objects.update_or_create(
                paper_id=key[1], user=raters[number], defaults={"rating": rating}
            )
            changed.add(key[1])
        for paper_id in sorted(changed):
            refresh_summary(paper_id)
    rebuild_related(co_rated=co_rated_pairs())
    return len(changed)
