"""What reviews and resource requests share: the refusal a user is shown, and per-user
hourly limits counted in the database."""

from datetime import timedelta

from django.utils import timezone


class Refused(Exception):
    """An action that is not allowed; the message says why, for the user.

    ``forbidden``: the user may not do this at all (a 403). ``rate_limited``: the user's
    hourly limit is reached (a 429). ``existing``: the user already has this (the row they
    have), so a second create is a conflict (a 409). None: the input is wrong (a 400).
    """

    def __init__(self, message, *, forbidden=False, rate_limited=False, existing=None):
        super().__init__(message)
        self.forbidden = forbidden
        self.rate_limited = rate_limited
        self.existing = existing

    @property
    def http_status(self):
        if self.existing is not None:
            return 409
        return 403 if self.forbidden else 429 if self.rate_limited else 400


def check_hourly_limit(recent, limit, what, *, refused=Refused):
    """Raise ``refused`` when ``recent`` (the user's rows of the last hour) reached ``limit``."""
    if recent.count() >= limit:
        raise refused(
            f"You have reached the limit of {limit} {what} an hour; please try again later.",
            rate_limited=True,
        )


def hour_ago():
    return timezone.now() - timedelta(hours=1)
