"""What a verified author may change on their own paper: its summary and its keywords.

The permission is checked here, not only in the views: the function refuses anyone who is
not a verified author of the paper, and refuses a field a curator has locked. The edit
itself goes through ``papers.curation``, as a curator's or an import's does: provenance
names the author, keyword links have the source "author", and a change the recommender
reads re-places the paper in the related-papers lists.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.claims import ClaimError, is_verified_author
from papers import curation
from papers.models import LinkSource, Paper, PaperKeyword

AUTHOR = LinkSource.AUTHOR


def _lock_for_author(paper, user, field):
    if not is_verified_author(user, paper):
        raise PermissionDenied("Only a verified author of this paper can change it.")
    locked = Paper.objects.select_for_update().get(pk=paper.pk)
    if curation.is_locked(locked, field, source=AUTHOR):
        raise ClaimError(f"A curator has locked the {field} of this paper; ask them to change it.")
    return locked


def edit_summary(paper, *, by, summary):
    """Set the paper's summary as its verified author ``by``; returns the paper."""
    with transaction.atomic():
        paper = _lock_for_author(paper, by, "summary")
        changed = curation.set_fields(paper, {"summary": summary.strip()}, source=AUTHOR)
        curation.record_edit(paper, changed, source=AUTHOR, by=by)
    return paper


def add_keywords(paper, *, by, names):
    """Add keywords (by name, case-insensitive match on existing ones) as the verified
    author ``by``; returns the keywords that were new to the paper."""
    with transaction.atomic():
        paper = _lock_for_author(paper, by, "keywords")
        added = curation.add_links(paper, PaperKeyword, names, source=AUTHOR)
        if added:
            curation.record_edit(paper, {"keywords"}, source=AUTHOR, by=by)
    return added
