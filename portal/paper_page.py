"""The paper page, by id or by DOI permalink: the one page every app contributes to.

The catalogue's blocks come from ``papers.views.paper_context``, the ratings and reviews
and the resource requests from ``reviews.page``, the authors' claims from
``accounts.claims``; this module only puts them together, so that no app below has to
import the apps built on it. Queries: ``Paper.objects.for_page()`` (six) plus each part's
own, a fixed number whatever the number of authors, reviews or requests. Anonymous readers
are served a copy kept for a short time (``papers.page_cache``) without any query.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from accounts.claims import claims_on_paper
from papers import page_cache
from papers.models import Paper
from papers.views import paper_by_doi_or_404, paper_context
from reviews.page import resources_context, reviews_context


@require_safe
def paper_detail(request, pk):
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    paper = get_object_or_404(Paper.objects.for_page(), pk=pk)
    return render_paper_page(request, paper)


@require_safe
def paper_by_doi(request, doi):
    """The DOI permalink; any case finds the paper, then redirects to the canonical URL."""
    cached = page_cache.cached_page(request)
    if cached is not None:
        return cached
    paper = paper_by_doi_or_404(doi)
    if doi != paper.doi:
        query = request.META.get("QUERY_STRING", "")
        url = paper.get_absolute_url() + (f"?{query}" if query else "")
        return redirect(url, permanent=True)
    return render_paper_page(request, paper)


def render_paper_page(request, paper):
    context = {
        **paper_context(request, paper),
        **reviews_context(paper, request.user),
        # Resource requests with their answers: two queries.
        **resources_context(paper, request.user),
        # Claims on the authors: one query.
        **claims_on_paper(paper, request.user),
    }
    response = render(request, "papers/paper_detail.html", context)
    if not context["metadata_waiting"]:  # a waiting page must show the metadata once it lands
        page_cache.keep_page(request, response)
    return response
