"""What reviews and resource requests share: the refusal a user is shown, and per-user
hourly limits counted in the database."""

from papers.limits import retry_message, seconds_until_allowed


class Refused(Exception):
    """An action that is not allowed; the message says why, for the user.

    ``forbidden``: the user may not do this at all (a 403). ``rate_limited``: the user's
    hourly limit is reached (a 429). ``existing``: the user already has this (the row they
    have), so a second create is a conflict (a 409). None: the input is wrong (a 400).
    """

    def __init__(
        self, message, *, forbidden=False, rate_limited=False, existing=None, retry_after=None
    ):
        super().__init__(message)
        self.forbidden = forbidden
        self.rate_limited = rate_limited
        self.existing = existing
        self.retry_after = retry_after  # seconds, with rate_limited

    @property
    def http_status(self):
        if self.existing is not None:
            return 409
        return 403 if self.forbidden else 429 if self.rate_limited else 400


def check_hourly_limit(rows, limit, what, *, refused=Refused, time_field="created_at"):
    """Raise ``refused`` (a 429 saying when to retry) when the user's ``rows`` of the last
    hour, by ``time_field``, reached ``limit``."""
    wait = seconds_until_allowed(rows, limit, time_field=time_field)
    if wait is not None:
        raise refused(retry_message(limit, what, wait), rate_limited=True, retry_after=wait)
