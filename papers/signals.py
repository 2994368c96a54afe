"""Signals the catalogue sends, so that other apps react without papers depending on them;
and ``send_on_commit``, how every app of ours sends its signals (papers is the base layer,
so every app may import it)."""

from django.db import transaction
from django.dispatch import Signal

# Sent after the commit of an import that found a retraction notice on a paper that was not
# retracted before. Arguments: paper_id.
paper_retracted = Signal()


def send_on_commit(signal, sender, **kwargs):
    """Send ``signal`` from ``sender`` with ``kwargs`` once the current transaction commits
    (at once outside a transaction); never when it rolls back. Robust: a receiver that
    raises is logged by Django, not raised to the code that committed, whose writes stand.
    Give plain values (ids), not rows that may change before the commit."""
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs), robust=True)
