"""Receivers: what the reviews app does when the catalogue or a claim changes."""

from django.dispatch import receiver

from accounts.claims import author_verified
from papers.signals import paper_retracted
from reviews import notifications, resources


@receiver(paper_retracted)
def tell_raters(sender, paper_id, **kwargs):
    # papers.ingest sends the signal once the retraction is committed.
    notifications.tell_raters_of_retraction.delay(paper_id)


@receiver(author_verified)
def tell_new_author_of_waiting_requests(sender, user_id, paper_id, **kwargs):
    resources.tell_new_author_of_waiting_requests.delay(user_id=user_id, paper_id=paper_id)
