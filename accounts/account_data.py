"""A user's own data: exported as JSON, or deleted with the account.

Deleting an account removes the user, their profile, claims (with their decisions),
disputes, API token, email addresses and ORCID sign-ins (all by the database's cascades).
Reviews and ratings (issue 6) stay, attributed to "a deleted user" (their foreign key to
the user is SET_NULL). Decisions a curator made keep the decision and lose its author.

Apps above accounts add their part of the export without accounts importing them: each
registers a section with ``register_export_section`` (in its AppConfig.ready), and what
they store of a user is deleted with the account by their own foreign keys' cascades.
"""

from django.db import transaction

from accounts.profiles import bump_pages_showing

# section name -> function(user) returning plain JSON values; filled by the apps above.
EXPORT_SECTIONS = {}


def register_export_section(name, export):
    """Add ``export(user)``'s result to every account export under ``name``."""
    EXPORT_SECTIONS[name] = export


def _when(value):
    return value.isoformat() if value else None


def export_account(user):
    """Everything we hold about ``user`` as plain JSON values (no password, no token)."""
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount

    profile = user.profile
    claims = user.claims.select_related("paper", "authorship__author").prefetch_related("decisions")
    data = {
        "user": {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "emails": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "social_accounts": [
            {"provider": a.provider, "uid": a.uid, "date_joined": _when(a.date_joined)}
            for a in SocialAccount.objects.filter(user=user).order_by("provider")
        ],
        "profile": {
            "display_name": profile.display_name,
            "affiliation": profile.affiliation,
            "orcid": profile.orcid,
            "orcid_proven": profile.orcid_proven,
            "bio": profile.bio,
            "interest_categories": list(
                profile.interest_categories.order_by("name").values_list("name", flat=True)
            ),
            "interest_keywords": list(
                profile.interest_keywords.order_by("name").values_list("name", flat=True)
            ),
            "recommendation_frequency": profile.recommendation_frequency,
            "paper_activity_frequency": profile.paper_activity_frequency,
            "request_answers_frequency": profile.request_answers_frequency,
            "claim_decisions_frequency": profile.claim_decisions_frequency,
            "follow_alerts_frequency": profile.follow_alerts_frequency,
            "review_notices": profile.review_notices,
        },
        "claims": [
            {
                "paper": {"title": c.paper.title, "doi": c.paper.doi},
                "author_name": c.authorship.author.name,
                "status": c.status,
                "created_at": _when(c.created_at),
                "decided_at": _when(c.decided_at),
                "decisions": [
                    {"verdict": d.verdict, "reason": d.reason, "decided_at": _when(d.decided_at)}
                    for d in c.decisions.all()
                ],
            }
            for c in claims
        ],
        "disputes": [
            {
                "claim": d.claim_id,
                "reason": d.reason,
                "created_at": _when(d.created_at),
                "resolved_at": _when(d.resolved_at),
            }
            for d in user.claim_disputes.all()
        ],
    }
    for name, export in EXPORT_SECTIONS.items():
        data[name] = export(user)
    return data


@transaction.atomic
def delete_account(user):
    """Delete the user and, by cascade, everything that is theirs (see the module doc).
    The paper pages that show their name (now gone, or "a deleted user") are bumped first,
    in the same transaction, while the rows that tie them to the user are still there."""
    bump_pages_showing(user.pk)
    user.delete()
