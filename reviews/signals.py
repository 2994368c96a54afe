"""Receivers: what the reviews app does when the catalogue changes."""

from django.dispatch import receiver

from papers.signals import paper_retracted
from reviews import notifications


@receiver(paper_retracted)
def tell_raters(sender, paper_id, **kwargs):
    # papers.ingest sends the signal once the retraction is committed.
    notifications.tell_raters_of_retraction.delay(paper_id)
