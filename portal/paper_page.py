"""The paper page, by id or by DOI permalink: the one page every app contributes to.

The page is put together from two kinds of parts:

- what is the same for every reader (the catalogue's blocks from ``papers.views``, the
  rating summary and written reviews from ``reviews.page``, the resource requests, the
  authors with their claims from ``accounts.claims``), rendered once per version of the
  paper and cached (``portal.paper_fragments``);
- the reader's own parts, rendered per request: their review and its form, their helpful
  votes, their "me too"s, their claim, the CSRF token, the user menu.

Queries for a signed-in reader whose paper's fragments are cached: the session and the
user (middleware), the paper's row (1), their review (1), their private note (1), their
collections with where the paper is saved (1), their helpful votes on the shown reviews (1,
when reviews are shown), their "me too"s on others' open requests (1, when there are some):
at most eight, whatever the number of authors,
reviews or requests. A cold cache adds ``paper_fragments.build``'s fourteen; a page of the
"References" or "Cited by" block other than the first adds two each. Anonymous readers are
served a whole copy kept for a short time (``papers.page_cache``) without any query.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from library import collections, notes
from library.models import NOTE_MAX_LENGTH
from papers import page_cache
from papers.models import Paper
from papers.views import (
    CITED_BY_PARAM,
    REFERENCES_PARAM,
    block_page_number,
    metadata_status_context,
    paper_by_doi_or_404,
)
from portal import paper_fragments
from reviews.page import reader_resources_context, reader_reviews_context


@require_safe
def paper_detail(request, pk):
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    paper = get_object_or_404(Paper.objects.for_page_row(), pk=pk)
    return render_paper_page(request, paper)


@require_safe
def paper_by_doi(request, doi):
    """The DOI permalink; any case finds the paper, then redirects to the canonical URL."""
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    paper = paper_by_doi_or_404(doi, queryset=Paper.objects.for_page_row())
    if doi != paper.doi:
        query = request.META.get("QUERY_STRING", "")
        url = paper.get_absolute_url() + (f"?{query}" if query else "")
        return redirect(url, permanent=True)
    return render_paper_page(request, paper)


def render_paper_page(request, paper):
    """The page of ``paper`` (loaded by ``Paper.objects.for_page_row()``) for ``request``'s
    reader: the cached fragments plus the reader's own parts."""
    fragments = paper_fragments.fragments_for(request, paper)
    status = metadata_status_context(paper)
    context = {
        "paper": paper,
        "fragments": fragments,
        "refresh_seconds": status["refresh_seconds"],
        "written_reviews": fragments["reviews"],
        "resource_requests": fragments["resource_requests"],
        "resources_fulfilled": fragments["resources_fulfilled"],
        **paper_fragments.citation_blocks(
            paper,
            fragments,
            references_page=block_page_number(request.GET.get(REFERENCES_PARAM)),
            cited_by_page=block_page_number(request.GET.get(CITED_BY_PARAM)),
        ),
        **reader_context(request, paper, fragments),
    }
    response = render(request, "papers/paper_detail.html", context)
    if not status["metadata_waiting"]:  # a waiting page must show the metadata once it lands
        page_cache.keep_page(request, response)
    return response


def reader_context(request, paper, fragments):
    """The reader's own parts of the page: their claim, review, votes and the authors list
    for their kind of reader. No query for an anonymous reader; see the module docstring."""
    user = request.user
    if not user.is_authenticated:
        return {
            "author_list": paper_fragments.author_list(request, paper, fragments, signed_in=False),
            "my_claim": None,
            "helpful_review_ids": set(),
            "mine_too_ids": set(),
        }
    mine = next((c for c in fragments["claims"] if c["user_id"] == user.pk), None)
    my_claim = None
    if mine is not None:
        my_claim = {
            "pk": mine["pk"],
            "status": mine["status"],
            "author_name": fragments["author_names"].get(mine["authorship_id"], ""),
        }
    reviews = reader_reviews_context(
        paper,
        user,
        shown_review_ids=[review["pk"] for review in fragments["reviews"]],
        verified_author=bool(mine and mine["status"] == "verified"),
    )
    if reviews["own_review"] is None and not reviews["rating_refusal"]:
        reviews["review_form_fields"] = paper_fragments.blank_review_form_fields()
    others_open = [
        item["pk"]
        for item in fragments["resource_requests"]
        if item["status"] == "open" and item["requester_id"] != user.pk
    ]
    return {
        "author_list": paper_fragments.author_list(
            request,
            paper,
            fragments,
            signed_in=True,
            my_claim_authorship_id=mine["authorship_id"] if mine else None,
        ),
        "my_claim": my_claim,
        # Their private note: only ever rendered here, per request (library.notes).
        "my_note": notes.note_for(user, paper.pk),
        "note_max_length": NOTE_MAX_LENGTH,
        # Their Save control and where the paper is saved: per request (library.collections).
        "saved": collections.saved_state(user, paper.pk),
        **reviews,
        **reader_resources_context(user, others_open),
    }
