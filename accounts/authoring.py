"""What a verified author may change on their own paper: its summary and its keywords.

The permission is checked here, not only in the views: the function refuses anyone who is
not a verified author of the paper. Provenance records the author as the source, and a
curator's lock on the field is honoured.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.claims import ClaimError, is_verified_author
from papers.ingest import build_search_document, get_or_create_named
from papers.models import Keyword, Paper


def _stamp(user):
    return {"source": f"author {user.username}", "at": timezone.now().isoformat(timespec="seconds")}


def _lock_for_author(paper, user, field):
    if not is_verified_author(user, paper):
        raise PermissionDenied("Only a verified author of this paper can change it.")
    locked = Paper.objects.select_for_update().get(pk=paper.pk)
    if field in locked.locked_fields:
        raise ClaimError(f"A curator has locked the {field} of this paper; ask them to change it.")
    return locked


def edit_summary(paper, *, by, summary):
    """Set the paper's summary as its verified author ``by``; returns the paper."""
    with transaction.atomic():
        paper = _lock_for_author(paper, by, "summary")
        paper.summary = summary.strip()
        paper.provenance["summary"] = _stamp(by)
        paper.save(update_fields=["summary", "provenance", "updated_at"])
    return paper


def add_keywords(paper, *, by, names):
    """Add keywords (by name, case-insensitive match on existing ones) as the verified
    author ``by``; returns the keywords that were new to the paper."""
    with transaction.atomic():
        paper = _lock_for_author(paper, by, "keywords")
        have = set(paper.keywords.values_list("pk", flat=True))
        added = []
        for name in names:
            keyword = get_or_create_named(Keyword, name)
            if keyword.pk not in have:
                have.add(keyword.pk)
                added.append(keyword)
        if added:
            paper.keywords.add(*added)
            paper.provenance["keywords"] = _stamp(by)
            paper.search_document = build_search_document(paper)
            paper.save(update_fields=["provenance", "search_document", "updated_at"])
    return added
