"""Researcher profiles: created with the user, the ORCID iD proven by ORCID sign-in, the
public page's accounts rows, and usernames that can never leak an email address."""

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.dispatch import Signal

from accounts.models import Claim, Profile
from accounts.orcid import normalize_orcid
from papers.curation import bump_version
from papers.models import Paper

# Sent INSIDE the transaction of a write that changes the name a user is shown by on paper
# pages (display name, first or last name, account deletion: "a deleted user"), before a
# deletion takes effect. Argument: user_id. A receiver returns a queryset of the ids of the
# papers whose pages show that user (as ``values("paper_id")``), or None; ``bump_pages_showing``
# bumps them all in one UPDATE. Synchronous, not on commit: once an account is deleted, the
# rows that tie it to papers are gone or nulled, so they must be read before.
pages_showing_user = Signal()

# Usernames are shown to everyone (profile URLs, the API, provenance), so no "@" in them.
username_validators = [
    RegexValidator(
        r"^[\w.+-]+\Z",
        "Use only letters, digits and . + - _ in a username (it is shown publicly, "
        "so it cannot be an email address).",
        code="invalid_username",
    )
]


def profile_for(user):
    """The user's profile, created on first use. One query (two when it is created)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def orcid_social_uid(user):
    """The ORCID iD of the user's ORCID sign-in (allauth social account), or None."""
    account = SocialAccount.objects.filter(user=user, provider="orcid").first()
    return account.uid if account else None


@transaction.atomic
def sync_proven_orcid(user):
    """Make the profile's ORCID iD the one proven by the user's ORCID sign-in, if any.

    Called whenever allauth adds, logs in with or removes an ORCID social account. A proven
    iD wins over the same iD typed (unproven) into someone else's profile, which is cleared.
    Without an ORCID sign-in the proven flag goes, and the iD stays as typed.
    Idempotent.
    """
    profile = Profile.objects.select_for_update().get(pk=profile_for(user).pk)
    uid = orcid_social_uid(user)
    if uid:
        orcid = normalize_orcid(uid)
        Profile.objects.filter(orcid=orcid, orcid_proven=False).exclude(pk=profile.pk).update(
            orcid=None
        )
        profile.orcid, profile.orcid_proven = orcid, True
    else:
        profile.orcid_proven = False
    profile.save(update_fields=["orcid", "orcid_proven", "updated_at"])
    return profile


def bump_pages_showing(user_id):
    """Bump ``content_version`` of every paper whose page shows the user's name: their
    active (pending or verified) claims' papers, and whatever the receivers of
    ``pages_showing_user`` name (reviews, resource requests, answers). ONE UPDATE by
    subqueries, whatever the number of papers; returns how many papers it bumped. Call it
    inside the write's transaction (before a deletion, after a rename)."""
    claimed = Claim.objects.filter(user_id=user_id).active().values("paper_id")
    showing = Q(pk__in=claimed)
    for _receiver, paper_ids in pages_showing_user.send(sender=Profile, user_id=user_id):
        if paper_ids is not None:
            showing |= Q(pk__in=paper_ids)
    return bump_version(Paper.objects.filter(showing).values("pk"))


@transaction.atomic
def save_profile_form(form):
    """Save a valid ``ProfileForm``; when the display name changed, the paper pages that
    show the user's name are bumped in the same transaction (``bump_pages_showing``)."""
    profile = form.save()
    if "display_name" in form.changed_data:
        bump_pages_showing(profile.user_id)
    return profile


def public_profiles():
    """Active users with what their public profile shows from accounts: profile, interests,
    and verified claims with paper and authorship. Four queries when evaluated (user+profile,
    categories, keywords, verified claims); the page adds its other parts on top
    (portal.profile_page)."""
    verified = (
        Claim.objects.filter(status=Claim.Status.VERIFIED)
        .select_related("paper__journal", "authorship__author")
        .order_by("-paper__published_year", "-paper_id")
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile")
        .prefetch_related(
            "profile__interest_categories",
            "profile__interest_keywords",
            Prefetch("claims", queryset=verified, to_attr="verified_claims"),
        )
    )
