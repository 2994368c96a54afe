"""Signals the catalogue sends, so that other apps react without papers depending on them."""

from django.dispatch import Signal

# Sent after the commit of an import that found a retraction notice on a paper that was not
# retracted before. Arguments: paper_id.
paper_retracted = Signal()
