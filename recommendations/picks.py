"""Personal recommendations ("picks"): what each researcher is shown and emailed.

A user's picks come from the related-papers lists (``papers.recommend``) of the papers
that say something about them: high ratings pull a paper's neighbours in, low ratings and
"not relevant" push them away, claimed papers pull like a high rating. Interests on the
profile add the best-rated recent papers of those categories and keywords; a user with
nothing to go on gets the catalogue's best-rated recent papers. Never shown: a paper the
user rated, claimed, dismissed or was already emailed, or a retracted one.

The tasks that run this (after a rating or a dismissal, and the nightly rebuild) are
defined at the bottom, beside the functions they call.
"""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Claim, Profile
from papers.models import Paper, RelatedPaper
from papers.recommend import best_rated_recent, rebuild_in_parallel
from recommendations.models import Dismissal, EmailedPaper, Recommendation
from reviews.models import Review
from reviews.ratings import co_rated_pairs

# How much each thing a user did weighs: a rating of 5 pulls twice as hard as a 4,
# a 2 or 1 pushes away; a dismissal pushes away like a rating of 1.
RATING_WEIGHTS = {5: 2.0, 4: 1.0, 3: 0.0, 2: -1.0, 1: -2.0}
CLAIM_WEIGHT = 1.5
DISMISSAL_WEIGHT = -2.0
# An interest counts like a neighbour of this closeness.
INTEREST_SCORE = 0.15
INTEREST_PAPERS = 10


def refresh_picks(user_id):
    """Recompute one user's picks and replace the old ones in one transaction.

    Safe to run twice or concurrently (the user's row is locked while the list is
    replaced). About a dozen queries whatever the size of the catalogue. Returns the
    number of picks.
    """
    signals = _signals(user_id)
    scores = _scores_from_neighbours(signals)
    _add_interests(scores, user_id)
    excluded = _works_of(signals.excluded)
    scores = _one_per_work(scores, excluded)

    kept = settings.PERSONAL_PICKS_KEPT
    best = sorted(
        ((paper_id, pick) for paper_id, pick in scores.items() if pick[0] > 0),
        key=lambda item: (-item[1][0], item[0]),
    )[:kept]
    if len(best) < kept:
        best += _popular(taken={*excluded, *scores}, wanted=kept - len(best))
    picks = [
        Recommendation(
            user_id=user_id,
            paper_id=paper_id,
            rank=rank,
            score=score,
            reason=reason,
            detail=detail[:300],
        )
        for rank, (paper_id, (score, reason, detail)) in enumerate(best, start=1)
    ]
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user_id).exists()
        Recommendation.objects.filter(user_id=user_id).delete()
        Recommendation.objects.bulk_create(picks)
    return len(picks)


class _Signals:
    def __init__(self):
        self.weights = {}  # paper id -> (weight, reason, title)
        self.excluded = set()


def _signals(user_id):
    signals = _Signals()
    ratings = Review.objects.filter(user_id=user_id).values_list(
        "paper_id", "rating", "paper__title"
    )
    for paper_id, rating, title in ratings:
        signals.weights[paper_id] = (RATING_WEIGHTS[rating], Recommendation.Reason.RATED, title)
        signals.excluded.add(paper_id)
    claims = Claim.objects.filter(user_id=user_id, status__in=Claim.ACTIVE)
    for paper_id, title in claims.values_list("paper_id", "paper__title"):
        signals.weights[paper_id] = (CLAIM_WEIGHT, Recommendation.Reason.CLAIMED, title)
        signals.excluded.add(paper_id)
    dismissed = Dismissal.objects.filter(user_id=user_id).values_list("paper_id", "paper__title")
    for paper_id, title in dismissed:
        signals.weights.setdefault(paper_id, (DISMISSAL_WEIGHT, "", title))
        signals.excluded.add(paper_id)
    signals.excluded.update(
        EmailedPaper.objects.filter(user_id=user_id).values_list("paper_id", flat=True)
    )
    return signals


def _works_of(paper_ids):
    """These papers and the papers standing for their version groups (one query): a work
    the user rated, claimed, dismissed or was emailed in any version is never picked."""
    groups = Paper.objects.filter(pk__in=list(paper_ids), version_group__isnull=False)
    return set(paper_ids) | set(groups.values_list("version_group", flat=True))


def _one_per_work(scores, excluded_works):
    """``scores`` with one paper per work: each candidate stands for its version group's
    paper (the published version), which takes the best of its versions' scores; works in
    ``excluded_works`` (``_works_of``) and retracted papers are left out (one query)."""
    rows = Paper.objects.filter(pk__in=list(scores)).values_list(
        "pk", "version_group", "is_retracted", "version_group__is_retracted"
    )
    kept = {}
    for paper_id, group, retracted, group_retracted in rows:
        work = group or paper_id
        if work in excluded_works or retracted or group_retracted:
            continue
        if work not in kept or scores[paper_id][0] > kept[work][0]:
            kept[work] = scores[paper_id]
    return kept


def _scores_from_neighbours(signals):
    """{paper id: [score, reason, detail]}: each neighbour of a paper the user rated,
    claimed or dismissed, weighted; the reason names the paper that pulled hardest."""
    scores, pull = {}, {}
    sources = [paper_id for paper_id, (weight, _r, _t) in signals.weights.items() if weight]
    rows = RelatedPaper.objects.current().filter(paper_id__in=sources)
    for source, related, score in rows.values_list("paper_id", "related_id", "score"):
        weight, reason, title = signals.weights[source]
        # Cold-start fill rows carry no similarity (score 0): they neither pull nor push.
        contribution = weight * score
        entry = scores.setdefault(related, [0.0, "", ""])
        entry[0] += contribution
        if contribution > pull.get(related, 0):
            pull[related] = contribution
            entry[1], entry[2] = reason, title
    return scores


def _add_interests(scores, user_id):
    """Papers of the categories and keywords on the profile, best-rated recent first."""
    profile = Profile.objects.filter(user_id=user_id).first()
    if profile is None:
        return
    interests = [
        (name, Paper.objects.filter(categories=pk))
        for pk, name in profile.interest_categories.values_list("pk", "name")
    ] + [
        (name, Paper.objects.filter(keywords=pk))
        for pk, name in profile.interest_keywords.values_list("pk", "name")
    ]
    for name, papers in interests:
        for position, paper_id in enumerate(best_rated_recent(papers)[:INTEREST_PAPERS]):
            entry = scores.setdefault(paper_id, [0.0, "", ""])
            # Earlier (better rated, newer) papers count a little more.
            entry[0] += INTEREST_SCORE * (1 - position / (2 * INTEREST_PAPERS))
            if not entry[1]:
                entry[1], entry[2] = Recommendation.Reason.INTEREST, name


def _popular(*, taken, wanted):
    best = best_rated_recent(Paper.objects.exclude(pk__in=list(taken)))[:wanted]
    return [(paper_id, (0.0, Recommendation.Reason.POPULAR, "")) for paper_id in best]


def dismiss(*, user, paper):
    """ "Not relevant": the paper leaves the user's picks at once and pushes its
    neighbours away at the next refresh (enqueued after commit). Idempotent."""
    with transaction.atomic():
        Dismissal.objects.get_or_create(user=user, paper=paper)
        Recommendation.objects.filter(user=user, paper=paper).delete()
        refresh_user_picks.delay_on_commit(user.pk)


def users_to_refresh():
    """Ids of the active users, for the nightly refresh of everyone's picks."""
    return (
        get_user_model().objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )


# --- tasks: ids in, one function called, done --------------------------------------------


@shared_task
def refresh_user_picks(user_id):
    """One user's personal recommendations, after they rated or dismissed. Idempotent."""
    return refresh_picks(user_id)


@shared_task(soft_time_limit=3000, time_limit=3600)
def rebuild_recommendations():
    """Beat (nightly): every related-papers list, with the readers' co-ratings blended in,
    fanned out over the workers a chunk of papers a task; when the last chunk is done,
    everyone's picks (``refresh_everyones_picks``)."""
    run = rebuild_in_parallel(co_rated=co_rated_pairs(), then=refresh_everyones_picks.si())
    return {"run": run.pk, "papers": run.paper_count, "chunks": run.chunks.count()}


@shared_task
def refresh_everyones_picks():
    """After a rebuild: one refresh task per active user, so that any worker takes a share."""
    users = list(users_to_refresh())
    for user_id in users:
        refresh_user_picks.delay(user_id)
    return {"users": len(users)}
