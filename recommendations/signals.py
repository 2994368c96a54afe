"""Receivers: a user's picks are refreshed (by a task) after they rate a paper.

reviews.ratings sends ``rating_changed`` after the rating's transaction commits.
"""

from django.dispatch import receiver

from recommendations.picks import refresh_user_picks
from reviews.ratings import rating_changed


@receiver(rating_changed)
def refresh_picks_after_rating(sender, user_id, paper_id, **kwargs):
    refresh_user_picks.delay(user_id)
