"""Bumping the ``content_version`` of OTHER papers' pages after a write (see papers.curation).

A write to a paper locks that paper's row. The pages that show it elsewhere (the papers whose
"Recommended" lists hold it, an author's other papers) are bumped once its transaction
commits, each chunk locked in id order, so that two concurrent writes of papers that show
each other cannot deadlock.
"""

from django.db import transaction

from papers.models import Paper

BUMP_CHUNK = 1000


def bump_version_on_commit(paper_ids):
    """``bump_version`` of papers the write does not lock itself (the pages listing a renamed
    paper, an author's other papers), once the transaction commits; at once outside one.

    Inside the write's transaction such an UPDATE waits for rows that a concurrent write of
    another paper holds while that write waits for ours: on PostgreSQL two workers fetching
    papers that list each other deadlocked, and one fetch was lost. The ids are read now
    (they may depend on this transaction's writes); after the commit each chunk of them is
    locked in id order and bumped in its own short transaction. Between the commit and the
    bump a page may be served from its previous fragments for a moment.
    """
    ids = sorted({int(pk) for pk in paper_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: bump_version_in_id_order(ids), robust=True)
    return len(ids)


def bump_version_in_id_order(paper_ids):
    """Bump these papers' versions, chunk by chunk, each chunk's rows locked in id order
    first (two queries a chunk of ``BUMP_CHUNK``). Returns how many were bumped."""
    bumped = 0
    for start in range(0, len(paper_ids), BUMP_CHUNK):
        chunk = paper_ids[start : start + BUMP_CHUNK]
        with transaction.atomic():
            list(
                Paper.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk")
            )
            bumped += Paper.objects.filter(pk__in=chunk).bump_version()
    return bumped
