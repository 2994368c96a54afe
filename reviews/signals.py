"""Receivers: what the reviews app does when the catalogue or a claim changes."""

from django.db.models import Q
from django.dispatch import receiver

from accounts.claims import author_verified
from accounts.profiles import pages_showing_user
from papers.models import Paper
from papers.signals import paper_retracted
from reviews import notifications, resources
from reviews.models import ResourceRequest, Review


@receiver(paper_retracted)
def tell_raters(sender, paper_id, **kwargs):
    # papers.ingest sends the signal once the retraction is committed.
    notifications.tell_raters_of_retraction.delay(paper_id)


@receiver(author_verified)
def tell_new_author_of_waiting_requests(sender, user_id, paper_id, **kwargs):
    resources.tell_new_author_of_waiting_requests.delay(user_id=user_id, paper_id=paper_id)


@receiver(pages_showing_user)
def papers_showing_user(sender, user_id, **kwargs):
    """The papers whose pages show the user's name: the reviews they wrote, the resource
    requests they asked and those they answered; and those that count them, the requests
    they also want (a deleted account's "me too" goes with it). A subquery; accounts
    bumps them."""
    reviewed = Review.objects.filter(user_id=user_id).values("paper_id")
    requests = ResourceRequest.objects.filter(
        Q(requester_id=user_id) | Q(answers__user_id=user_id) | Q(me_toos__user_id=user_id)
    )
    showing = Q(pk__in=reviewed) | Q(pk__in=requests.values("paper_id"))
    return Paper.objects.filter(showing).values("pk")
