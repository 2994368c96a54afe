"""Signed, expiring tokens for the links in emails that work without a log-in.

Each purpose has its own salt, so a token made for one purpose ("not relevant") is
refused by another (unsubscribe) even though both are signed with SECRET_KEY. Tokens
expire after EMAIL_LINK_MAX_AGE_DAYS.
"""

from django.conf import settings
from django.core import signing

UNSUBSCRIBE = "accounts.unsubscribe"
NOT_RELEVANT = "accounts.not-relevant"

BadToken = signing.BadSignature  # tampered, made for another purpose, or expired
ExpiredToken = signing.SignatureExpired  # a BadToken


def make_token(purpose, value):
    """A URL-safe token holding ``value`` (JSON-able) for ``purpose``."""
    return signing.TimestampSigner(salt=purpose).sign_object(value)


def read_token(purpose, token):
    """The value of a token made by ``make_token(purpose, ...)``.

    Raises ExpiredToken when it is older than EMAIL_LINK_MAX_AGE_DAYS, BadToken when it
    was altered or made for another purpose.
    """
    max_age = settings.EMAIL_LINK_MAX_AGE_DAYS * 24 * 3600
    return signing.TimestampSigner(salt=purpose).unsign_object(token, max_age=max_age)
