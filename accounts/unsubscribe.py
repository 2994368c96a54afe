"""Stopping email without a log-in: the signed unsubscribe link every email carries (in its
footer and, per RFC 8058, in the List-Unsubscribe / List-Unsubscribe-Post headers), and what
following it changes.

A link names the user and the kinds of email the message belonged to (EmailKind values);
unsubscribing turns exactly those kinds off, at once. The tokens are in accounts.signing.
"""

from django.conf import settings
from django.urls import reverse

from accounts import signing
from accounts.models import EMAIL_KIND_FIELDS, EmailKind, Profile


def unsubscribe_url(user_id, kinds):
    """The absolute one-click unsubscribe URL for ``kinds`` of ``user_id``'s email."""
    token = signing.make_token(signing.UNSUBSCRIBE, {"u": user_id, "k": sorted(set(kinds))})
    return settings.SITE_URL + reverse("accounts:unsubscribe", args=[token])


def preferences_url():
    """Where a user manages every kind of email: the preference centre on their profile."""
    return settings.SITE_URL + reverse("accounts:profile-edit") + "#email-preferences"


def read(token):
    """(user_id, kinds) from an unsubscribe token; BadToken / ExpiredToken otherwise."""
    value = signing.read_token(signing.UNSUBSCRIBE, token)
    try:
        user_id, kinds = int(value["u"]), [EmailKind(kind) for kind in value["k"]]
    except (KeyError, TypeError, ValueError) as error:
        # Signed by us but not of this shape: treat as a bad link, never half-apply it.
        raise signing.BadToken("not an unsubscribe token") from error
    return user_id, kinds


def unsubscribe(user_id, kinds):
    """Turn ``kinds`` of email off for ``user_id``, at once. Idempotent; one UPDATE.
    Returns False when the user (or profile) no longer exists."""
    changes = {
        EMAIL_KIND_FIELDS[kind]: Profile.Frequency.OFF
        for kind in kinds
        if kind in EMAIL_KIND_FIELDS
    }
    if EmailKind.REVIEW_NOTICES in kinds:
        changes["review_notices"] = False
    return bool(Profile.objects.filter(user_id=user_id).update(**changes))


def kinds_label(kinds):
    return ", ".join(EmailKind(kind).label.lower() for kind in kinds)


def headers(url):
    """RFC 2369 / RFC 8058 headers for the unsubscribe ``url`` (``unsubscribe_url``): mail
    clients show an "Unsubscribe" button that POSTs ``List-Unsubscribe=One-Click`` to it, no
    log-in and no page in between."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def footer_context(url, kinds):
    """What every email's footer shows: the visible unsubscribe ``url`` and the
    preferences."""
    return {
        "unsubscribe_url": url,
        "unsubscribe_what": kinds_label(kinds),
        "preferences_url": preferences_url(),
        "site_name": settings.SITE_NAME,
    }
