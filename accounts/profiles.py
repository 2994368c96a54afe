"""Researcher profiles: created with the user, the ORCID iD proven by ORCID sign-in, the
public page's accounts rows, and usernames that can never leak an email address."""

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Prefetch

from accounts.models import Claim, Profile
from accounts.orcid import normalize_orcid

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
