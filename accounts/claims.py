"""Claims of authorship: "I am an author on this paper".

Every rule about claims lives here; the views, admin actions and API call these functions.
A claim is verified at once when the claimant's ORCID iD, proven by ORCID sign-in, equals
the authorship's ORCID iD from the metadata; otherwise it waits for a curator. The database
holds at most one active (pending or verified) claim per authorship and per user and paper,
so a race between two claimants ends in a clear error, never in two claims.
"""

import difflib
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.utils import timezone

from accounts import emails
from accounts.models import Claim, ClaimDecision, ClaimDispute, Profile
from papers.curation import bump_version
from papers.models import Author, Authorship, Paper
from papers.signals import send_on_commit

# Sent once a claim is verified and committed (by ORCID at once, or by a curator), with
# user_id and paper_id. The apps above accounts act on it (reviews: the resource requests
# that waited for a verified author); accounts itself imports none of them.
author_verified = Signal()

ORCID_REASON = "The ORCID iD proven by ORCID sign-in matches the ORCID iD of this authorship."


class ClaimError(Exception):
    """A claim action that cannot be done; the message is meant for the user."""


class AlreadyClaimed(ClaimError):
    """The user already holds an active claim on this authorship; ``claim`` is it."""

    def __init__(self, claim):
        self.claim = claim
        super().__init__("You have already claimed this authorship; see your claim.")


class AuthorshipTaken(ClaimError):
    """Someone else holds an active claim on this authorship; ``claim`` is theirs."""

    def __init__(self, claim):
        self.claim = claim
        super().__init__(
            f"{claim.authorship.author.name} on this paper is already claimed by another "
            "researcher. If you are this author, you can dispute their claim."
        )


def is_curator(user):
    """Curators decide claims: staff who may change claims (superusers may do anything)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("accounts.change_claim")
    )


def claims_on_paper(paper, user):
    """What the paper page shows about claims, in ONE query whatever the number of authors.

    Returns ``{"author_rows": [(authorship, claim or None), ...], "my_claim": ...}`` where
    ``claim`` is shown only when it is verified, or the reader is logged in (then pending
    claims show too, so that nobody tries to claim a taken authorship unawares). Anonymous
    readers are served a cached page, so nothing in it depends on who they are.
    """
    authorships = list(paper.authorships.all())  # prefetched by Paper.objects.for_page()
    shown = Claim.objects.filter(paper=paper)
    if user.is_authenticated:
        shown = shown.active()
    else:
        shown = shown.filter(status=Claim.Status.VERIFIED)
    by_pk = {a.pk: a for a in authorships}
    claims = {}
    for claim in shown.select_related("user__profile"):
        claim.authorship = by_pk.get(claim.authorship_id)  # already loaded: no query
        claims[claim.authorship_id] = claim
    my_claim = None
    if user.is_authenticated:
        my_claim = next((c for c in claims.values() if c.user_id == user.pk), None)
    return {
        "author_rows": [(a, claims.get(a.pk)) for a in authorships],
        "my_claim": my_claim,
    }


def active_claims(paper_id):
    """The active (pending or verified) claims on the paper, as plain dicts the paper page
    caches with its fragments: pk, authorship_id, status, user_id, public_name. One query.

    Pending claims show only to signed-in readers (``claims_on_paper``); the caller filters.
    """
    return [
        {
            "pk": claim.pk,
            "authorship_id": claim.authorship_id,
            "status": claim.status,
            "user_id": claim.user_id,
            "public_name": claim.user.public_name,
        }
        for claim in Claim.objects.filter(paper_id=paper_id)
        .active()
        .select_related("user__profile")
        .order_by("pk")
    ]


def claim_authorship(*, user, authorship, only_new=False):
    """Claim ``authorship`` for ``user``; returns the claim (pending or verified).

    Idempotent: claiming the authorship one already holds returns that claim (with
    ``only_new``, the API's create, it raises AlreadyClaimed with that claim instead). Raises
    AuthorshipTaken when another user holds it, ClaimError when the user already holds
    another authorship on the same paper. Database constraints decide between concurrent
    claims: exactly one is created.
    """
    if not user.is_authenticated:
        raise PermissionDenied("Log in to claim an authorship.")
    if authorship.author.is_organization:
        raise ClaimError(f"{authorship.author.name} is an organisation, not a person to claim.")
    with transaction.atomic():
        existing = claim_in_the_way(user=user, authorship=authorship)
        if existing is not None:
            return _refuse_or_return(existing, user=user, authorship=authorship, only_new=only_new)
        profile = Profile.objects.filter(user=user).first()
        author_orcid = authorship.author.orcid
        proven = bool(
            profile and profile.orcid_proven and author_orcid and profile.orcid == author_orcid
        )
        now = timezone.now()
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    user=user,
                    authorship=authorship,
                    paper_id=authorship.paper_id,
                    status=Claim.Status.VERIFIED if proven else Claim.Status.PENDING,
                    decided_at=now if proven else None,
                )
        except IntegrityError:
            # Another request claimed it between our check and our insert.
            existing = claim_in_the_way(user=user, authorship=authorship)
            if existing is None:
                raise
            return _refuse_or_return(existing, user=user, authorship=authorship, only_new=only_new)
        bump_version([claim.paper_id])  # the page shows claims on its authors
        if proven:
            ClaimDecision.objects.create(
                claim=claim, verdict=ClaimDecision.Verdict.VERIFIED_BY_ORCID, reason=ORCID_REASON
            )
            _tell_of_waiting_requests(claim.user_id, claim.paper_id)
    return claim


# Papers offered at most after a claim ("Are these yours too?").
OFFER_LIMIT = 50


def other_papers_to_claim(*, user, authorship, limit=OFFER_LIMIT):
    """The authorships ``user`` might claim next, after claiming ``authorship``: the same
    author's on other papers, and those of authors of the same name (the catalogue keeps
    an author without ORCID apart on each paper, so a namesake may be them or another
    person: the claim is theirs to make and a curator's to check). Never an organisation, a
    paper on which the user holds an active claim, or an authorship someone else claims.
    Newest papers first, with their journals; one query."""
    author = authorship.author
    namesakes = Author.objects.alias(lower_name=Lower("name")).filter(
        lower_name=author.name.lower(), is_organization=False
    )
    mine = Claim.objects.active().filter(user=user).values("paper_id")
    taken = Claim.objects.active().values("authorship_id")
    offered = (
        Authorship.objects.filter(Q(author=author) | Q(author__in=namesakes.values("pk")))
        .exclude(pk=authorship.pk)
        .exclude(paper_id=authorship.paper_id)
        .exclude(paper_id__in=mine)
        .exclude(pk__in=taken)
        .select_related("author", "paper__journal")
        .order_by(F("paper__published_year").desc(nulls_last=True), "-paper_id")
    )
    return list(offered[:limit])


def claim_many(*, user, authorships):
    """Claim each of ``authorships`` (``claim_authorship``, one transaction each, so one
    refused leaves the others made); returns (claims made, [(authorship, reason)] refused)."""
    made, refused = [], []
    for authorship in authorships:
        try:
            made.append(claim_authorship(user=user, authorship=authorship, only_new=True))
        except ClaimError as error:
            refused.append((authorship, str(error)))
    return made, refused


def claim_in_the_way(*, user, authorship):
    """The active claim on this authorship, else the user's active claim on its paper."""
    active = Claim.objects.active().select_related("authorship__author")
    return (
        active.filter(authorship=authorship).first()
        or active.filter(user=user, paper_id=authorship.paper_id).first()
    )


def _refuse_or_return(existing, *, user, authorship, only_new):
    if existing.user_id == user.pk and existing.authorship_id == authorship.pk:
        if only_new:
            raise AlreadyClaimed(existing)
        return existing
    if existing.authorship_id == authorship.pk:
        raise AuthorshipTaken(existing)
    raise ClaimError(
        "You already claim another author on this paper; a researcher holds one authorship "
        "per paper. Withdraw that claim first if it was a mistake."
    )


def withdraw_claim(claim, *, by):
    """The claimant withdraws their pending or verified claim. Nobody else may."""
    if not by.is_authenticated or claim.user_id != by.pk:
        raise PermissionDenied("Only the claimant can withdraw a claim.")
    with transaction.atomic():
        changed = Claim.objects.filter(pk=claim.pk, status__in=Claim.ACTIVE).update(
            status=Claim.Status.WITHDRAWN, decided_at=timezone.now()
        )
        if changed:
            bump_version([claim.paper_id])
    if not changed:
        raise ClaimError("This claim is no longer active.")
    claim.refresh_from_db()
    return claim


def approve_claim(claim, *, by, reason=""):
    """A curator verifies a pending claim; the claimant is emailed (a task, after commit)."""
    return _decide(claim, by=by, reason=reason, verdict=ClaimDecision.Verdict.APPROVED)


def reject_claim(claim, *, by, reason):
    """A curator rejects a pending or verified claim (say, after a dispute), with a reason."""
    if not (reason or "").strip():
        raise ClaimError("Give the reason for a rejection: the researcher is told it.")
    return _decide(claim, by=by, reason=reason, verdict=ClaimDecision.Verdict.REJECTED)


def _decide(claim, *, by, reason, verdict):
    if not is_curator(by):
        raise PermissionDenied("Only curators decide claims.")
    approving = verdict == ClaimDecision.Verdict.APPROVED
    allowed = [Claim.Status.PENDING] if approving else list(Claim.ACTIVE)
    new_status = Claim.Status.VERIFIED if approving else Claim.Status.REJECTED
    with transaction.atomic():
        # An optimistic update: a claim withdrawn or decided meanwhile is left alone.
        changed = Claim.objects.filter(pk=claim.pk, status__in=allowed).update(
            status=new_status, decided_at=timezone.now()
        )
        if not changed:
            claim.refresh_from_db()
            raise ClaimError(f"This claim is {claim.get_status_display().lower()}; not changed.")
        bump_version([claim.paper_id])
        decision = ClaimDecision.objects.create(
            claim=claim, verdict=verdict, decided_by=by, reason=reason.strip()
        )
        if not approving:
            # The claim is gone, so the disputes against it are answered.
            ClaimDispute.objects.filter(claim=claim, resolved_at__isnull=True).update(
                resolved_at=timezone.now()
            )
        # The email goes out from a worker once the decision is committed; a broker fault
        # must not undo the decision (delay_on_commit is robust).
        emails.send_claim_decision.delay_on_commit(decision.pk)
        if approving:
            _tell_of_waiting_requests(claim.user_id, claim.paper_id)
    claim.refresh_from_db()
    return claim


def _tell_of_waiting_requests(user_id, paper_id):
    # A new verified author hears of the resource requests that waited for one (reviews),
    # once the claim is committed.
    send_on_commit(author_verified, Claim, user_id=user_id, paper_id=paper_id)


def dispute_claim(*, user, authorship, reason):
    """``user`` says the active claim on ``authorship`` is not its author's; curators see it.

    Idempotent per user and claim while the dispute is open (the reason is updated).
    """
    if not user.is_authenticated:
        raise PermissionDenied("Log in to dispute a claim.")
    reason = (reason or "").strip()
    if not reason:
        raise ClaimError("Tell the curators why you dispute this claim.")
    with transaction.atomic():
        claim = Claim.objects.active().filter(authorship=authorship).first()
        if claim is None:
            raise ClaimError("Nobody claims this author now: you can claim it yourself.")
        if claim.user_id == user.pk:
            raise ClaimError("You cannot dispute your own claim; withdraw it instead.")
        dispute, created = ClaimDispute.objects.get_or_create(
            claim=claim, user=user, resolved_at=None, defaults={"reason": reason}
        )
        if not created:
            dispute.reason = reason
            dispute.save(update_fields=["reason"])
    return dispute


def is_verified_author(user, paper):
    """True when ``user`` holds a verified claim on ``paper``. One query (none if anonymous).

    Reviews use it: authors cannot rate their own paper, and answer resource requests as
    "Author".
    """
    if not user.is_authenticated:
        return False
    paper_id = getattr(paper, "pk", paper)
    return Claim.objects.filter(user=user, paper_id=paper_id, status=Claim.Status.VERIFIED).exists()


def verified_papers(user):
    """The papers ``user`` is a verified author of, newest first (a queryset)."""
    return Paper.objects.filter(
        claims__user=user, claims__status=Claim.Status.VERIFIED
    ).select_related("journal")


def verified_author_users(paper):
    """The users who are verified authors of ``paper`` (to notify them); a queryset."""
    paper_id = getattr(paper, "pk", paper)
    return get_user_model().objects.filter(
        is_active=True, claims__paper_id=paper_id, claims__status=Claim.Status.VERIFIED
    )


def normalize_name(name):
    """Lower case, accents and punctuation gone, words in sorted order ("Lovelace, Ada" ==
    "ada lovelace")."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(sorted(re.findall(r"\w+", text)))


def name_similarity(a, b):
    """How alike two person names are, from 0.0 to 1.0 (difflib on normalised names).

    Initials count: "A. Lovelace" against "Ada Lovelace" scores as if the given name matched.
    """
    left, right = normalize_name(a).split(), normalize_name(b).split()
    if not left or not right:
        return 0.0
    # Expand an initial to the other name's word with that first letter.
    left = [_expand_initial(word, right) for word in left]
    right = [_expand_initial(word, left) for word in right]
    return round(
        difflib.SequenceMatcher(None, " ".join(sorted(left)), " ".join(sorted(right))).ratio(), 2
    )


def _expand_initial(word, others):
    if len(word) == 1:
        for other in others:
            if other.startswith(word):
                return other
    return word
