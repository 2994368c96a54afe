"""The parts of the paper page that are the same for every reader, rendered once per version
of the paper and kept in cache.

A signed-in reader's page cannot be cached whole (it carries their forms, claims and votes,
and a CSRF token), but most of it does not depend on them: the paper's facts, authors,
keywords, funding, notices, the rating summary, the review and resource-request lists and
the related papers. Those are rendered here into HTML strings and plain values
(``build``), kept under the paper's ``content_version`` (``fragments_for``), and the page
(``portal.paper_page``) adds only the reader's own parts around them.

Why a stale fragment cannot be served: the key holds ``Paper.content_version``, read with
the paper on every request, and every write that changes what the page shows bumps it
(``papers.curation.bump_version``, or ``NEXT_VERSION`` in an UPDATE the write runs anyway):
a new version is a new key, and the old entry is never read again (it expires).
Writes to other rows shown on the page bump it too: a user's shown name renamed or their
account deleted (``accounts.profiles.bump_pages_showing``), a related paper's title,
journal or year (``papers.curation.pages_listing``), a journal, author, keyword or funder
renamed, a rebuild of the related lists (the papers whose list changed; or, when a rebuild
changes many lists, the run's ``page_generation``, also in the key and read with the paper as
``lists_generation``, so that every page is keyed anew without writing a million rows).
``FRAGMENT_SECONDS`` only bounds what bypasses the write paths (a shell or SQL edit).

What a fragment must never hold: anything of one reader (their name, votes, claim, forms)
or of one request (CSRF token, CSP nonce, query string). The templates rendered here are
rendered without a request, so they cannot reach ``csrf_token``, ``user`` or ``request``;
the authors list, which differs for signed-in readers (claim links, dispute links), is kept
per kind of reader: anonymous, signed in without a claim on the paper, or holding the claim
on one authorship (the only difference that makes: no dispute link on their own row).

Where: the ``pages`` cache in each web process's memory first, then the shared ``default``
cache (Redis in production), like ``papers.page_cache``. Pages whose metadata is not
settled (pending, fetching, not found, failed) are rendered every time: they say when the
next try is, which changes with the clock, not with the version.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from accounts.claims import active_claims
from papers import page_cache
from papers.models import Authorship, Paper, page_prefetches
from papers.views import cited_by_block, paper_context, references_block
from reviews.forms import ReviewForm
from reviews.page import stored_summary, written_reviews
from reviews.ratings import summary_view
from reviews.resources import requests_for_page

# Part of every key: change it when the fragments' templates or shape change, so that a
# deploy never serves the previous release's fragments from the shared cache.
LAYOUT = 3
# The metadata states whose page does not change with the clock (see the module docstring).
SETTLED = (Paper.MetadataStatus.FETCHED, Paper.MetadataStatus.CURATED)
ANONYMOUS = "anonymous"
SIGNED_IN = "signed-in"


def fragments_for(request, paper):
    """The reader-independent parts of ``paper``'s page: a dict of HTML strings (safe) and
    plain values (see ``build``). ``paper`` comes from ``Paper.objects.for_page_row()``.

    From the cache when the paper's current version was rendered before (no query);
    otherwise built (``build``: ten queries) and kept, unless the metadata is not settled.
    """
    cacheable = paper.metadata_status in SETTLED and settings.PAPER_FRAGMENT_SECONDS > 0
    key = _key(request, paper)
    if cacheable:
        found = _get(key)
        if found is not None:
            return found
    fragments = build(request, paper)
    if cacheable:
        _set(key, fragments)
    return fragments


def author_list(request, paper, fragments, *, signed_in, my_claim_authorship_id=None):
    """The rendered authors list for this kind of reader (``_paper_author_list.html``).

    Anonymous readers and signed-in readers without a claim get the variants ``build``
    made; a reader holding the claim on one authorship gets a variant of its own, cached
    beside the others (one query for the authorships when it is first rendered).
    """
    if not signed_in:
        return fragments["authors"][ANONYMOUS]
    if my_claim_authorship_id is None:
        return fragments["authors"][SIGNED_IN]
    cacheable = paper.metadata_status in SETTLED and settings.PAPER_FRAGMENT_SECONDS > 0
    key = f"{_key(request, paper)}:authors:{my_claim_authorship_id}"
    html = _get(key) if cacheable else None
    if html is None:
        authorships = (
            Authorship.objects.filter(paper_id=paper.pk)
            .select_related("author")
            .order_by("position")
        )
        html = _render_author_list(
            authorships,
            fragments["claims"],
            signed_in=True,
            my_claim_authorship_id=my_claim_authorship_id,
        )
        if cacheable:
            _set(key, html)
    return html


def citation_blocks(paper, fragments, *, references_page, cited_by_page):
    """The "References" and "Cited by" blocks at the pages the reader asked for: the first
    pages come with the fragments (no query), any other page is rendered for the request
    (two queries per block), so that no query string fills the cache."""
    return {
        "references": fragments["references"]
        if references_page == 1
        else mark_safe(references_block(paper.pk, references_page)),  # noqa: S308 (rendered)
        "cited_by": fragments["cited_by"]
        if cited_by_page == 1
        else mark_safe(cited_by_block(paper.pk, cited_by_page)),  # noqa: S308 (rendered)
    }


def blank_review_form_fields():
    """The rating form's fields and button, blank, as every reader without a review of the
    paper gets them (``reviews/_review_form_fields.html``; the form around them, with its
    CSRF token, is rendered per request). Rendered once per process and layout: a form's
    widgets are the slowest thing to render on the page."""
    key = f"review-form-fields:{LAYOUT}"
    html = caches[page_cache.LOCAL_CACHE].get(key)
    if html is None:
        context = {"form": ReviewForm.for_review(None), "own_review": None}
        html = _render("reviews/_review_form_fields.html", context)
        caches[page_cache.LOCAL_CACHE].set(key, html, settings.PAPER_FRAGMENT_SECONDS)
    return html


def build(request, paper):
    """Render the reader-independent parts of ``paper``'s page. Fourteen queries: the
    paper's relations (five), the related papers (one), the first page of its references
    (two: count, entries with cited papers) and of its citing papers (two: count, papers),
    the written reviews (one), the resource requests and their answers (two), the active
    claims (one).

    Returns a dict: ``title`` (text), ``head``, ``main``, ``rating_summary``,
    ``recommended``, ``references``, ``cited_by`` (HTML; first pages), ``is_retracted``,
    ``authors`` (HTML per kind of reader),
    ``claims`` (active claims as dicts), ``author_names`` ({authorship id: name}),
    ``reviews`` and ``resource_requests`` (dicts with their HTML and what the reader's
    actions need), ``resources_fulfilled``.
    """
    prefetch_related_objects([paper], *page_prefetches())
    context = {
        **paper_context(request, paper),
        "ratings": summary_view(stored_summary(paper)),
    }
    title = paper.title or paper.doi or "Untitled"
    claims = active_claims(paper.pk)
    authorships = context["authorships"]
    reviews = [
        {
            "pk": review.pk,
            "user_id": review.user_id,
            "helpful_count": review.helpful_count,
            "helpful_url": reverse("reviews:helpful", args=[review.pk]),
            "report_url": reverse("reviews:report", args=[review.pk]),
            "html": _render("reviews/_written_review.html", {"review": review}),
        }
        # Reviews of the work's other versions too, each saying which version it rated.
        for review in written_reviews(paper, context["versions"])
    ]
    requests = requests_for_page(paper, _NOBODY)
    resource_requests = [
        {
            "pk": item.pk,
            "status": item.status,
            "requester_id": item.requester_id,
            "me_too_count": item.me_too_count,
            "me_too_url": reverse("reviews:me-too", args=[item.pk]),
            "page_url": reverse("reviews:resource-request", args=[item.pk]),
            "html": _render(
                "reviews/_resource_item.html",
                {"resource_request": item, "answers": item.visible_answers},
            ),
        }
        for item in requests
    ]
    return {
        "title": f"Retracted: {title}" if context["is_retracted"] else title,
        "head": _render("papers/_paper_head.html", context),
        "main": _render("papers/_paper_main.html", context),
        "rating_summary": _render("papers/_rating_summary.html", context),
        "recommended": _render("papers/_paper_recommended.html", context),
        # First pages; the page puts other pages in per request (``citation_blocks``).
        "references": mark_safe(references_block(paper.pk, 1)),  # noqa: S308 (rendered)
        "cited_by": mark_safe(cited_by_block(paper.pk, 1)),  # noqa: S308 (rendered)
        "is_retracted": context["is_retracted"],
        "authors": {
            ANONYMOUS: _render_author_list(authorships, claims, signed_in=False),
            SIGNED_IN: _render_author_list(authorships, claims, signed_in=True),
        },
        "claims": claims,
        "author_names": {a.pk: a.author.name for a in authorships},
        "reviews": reviews,
        "resource_requests": resource_requests,
        "resources_fulfilled": sum(item["status"] == "fulfilled" for item in resource_requests),
    }


class _Nobody:
    """The reader of a fragment: nobody in particular (never signed in)."""

    is_authenticated = False
    pk = None


_NOBODY = _Nobody()


def _render_author_list(authorships, claims, *, signed_in, my_claim_authorship_id=None):
    shown = {
        claim["authorship_id"]: claim
        for claim in claims
        if signed_in or claim["status"] == "verified"
    }
    rows = [(authorship, shown.get(authorship.pk)) for authorship in authorships]
    context = {
        "author_rows": rows,
        "signed_in": signed_in,
        "my_claim_authorship_id": my_claim_authorship_id,
    }
    return _render("papers/_paper_author_list.html", context)


def _render(template, context):
    # No request: the context processors (user, CSRF token, messages) are out of reach.
    return mark_safe(render_to_string(template, context))  # noqa: S308 (rendered, escaped)


def _key(request, paper):
    site = f"{request.scheme}://{request.get_host()}"
    digest = hashlib.sha256(site.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    version = f"{paper.content_version}.{paper.lists_generation}"
    return f"paper-fragments:{LAYOUT}:{paper.pk}:{version}:{digest}"


def _get(key):
    value = caches[page_cache.LOCAL_CACHE].get(key)
    if value is None:
        value = page_cache.shared(lambda cache: cache.get(key))
        if value is not None:
            caches[page_cache.LOCAL_CACHE].set(key, value, settings.PAPER_FRAGMENT_SECONDS)
    return value


def _set(key, value):
    caches[page_cache.LOCAL_CACHE].set(key, value, settings.PAPER_FRAGMENT_SECONDS)
    page_cache.shared(lambda cache: cache.set(key, value, settings.PAPER_FRAGMENT_SECONDS))
