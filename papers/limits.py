"""Per-user hourly limits counted in the database: how long until a user may act again.

Every app's limits (papers added by DOI here; reviews, reports, resource requests and
answers in ``reviews.limits``) count the user's own rows of the last hour, so the limit holds
across every web process without a shared cache, and the answer says when to retry.
"""

import math
from datetime import timedelta

from django.utils import timezone

WINDOW = timedelta(hours=1)


def hour_ago():
    return timezone.now() - WINDOW


def seconds_until_allowed(rows, limit, *, time_field="created_at"):
    """None while the user's ``rows`` (any queryset of theirs) of the last hour are fewer
    than ``limit``; otherwise the whole seconds until enough of them leave the window.

    Two queries at most: the count, then (only at the limit) the time that frees a place.
    """
    recent = rows.filter(**{f"{time_field}__gte": hour_ago()})
    if recent.count() < limit:
        return None
    times = recent.order_by(f"-{time_field}").values_list(time_field, flat=True)
    # The limit-th newest row is the one whose leaving the window frees a place.
    freeing = times[limit - 1] if limit > 0 else timezone.now()
    return max(1, math.ceil((freeing + WINDOW - timezone.now()).total_seconds()))


def retry_message(limit, what, seconds):
    """'You have reached the limit of 60 papers added an hour; try again in 12 minutes.'"""
    minutes = math.ceil(seconds / 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds >= 60 else "a minute"
    return f"You have reached the limit of {limit} {what} an hour; try again in {wait}."
