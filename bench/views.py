"""Two ceiling views: the fastest Django can answer the same bytes or the same rows.

- ``static_page``: a bare view returning a static HTML page of exactly the bytes of a real
  paper page (read once from BENCH_STATIC_PAGE, a file bench/run.py saved). Same
  middleware, no query, no template: the paper page's ceiling.
- ``plain_papers``: the rows of the API list's first page (same count query, same
  ``Paper.objects.for_list()`` queries in the same order, same fields and URLs) turned
  into plain dicts by hand and returned with JsonResponse: the API list's ceiling,
  without DRF.

And one experiment, to size a fix rather than to set a ceiling:

- ``cached_paper_page``: the real paper page (``papers.views.paper_by_doi``) for
  anonymous readers, its HTML kept in the cache under (path, paper id, updated_at); a hit
  costs one indexed query and one cache read. With ``versioned=False`` the key is the path
  alone (a hit is one cache read, no query), which needs the writers to delete the key.
  Not how the portal serves pages.
"""

import os
from functools import cache

from django.core.cache import cache as django_cache
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse

from papers import views as paper_views
from papers.filters import NEWEST, ORDERINGS
from papers.models import Paper

PAGE_SIZE = 20


@cache
def _static_bytes():
    with open(os.environ["BENCH_STATIC_PAGE"], "rb") as file:
        return file.read()


def static_page(request):
    return HttpResponse(_static_bytes(), content_type="text/html; charset=utf-8")


def plain_papers(request):
    count = Paper.objects.count()
    # The API list's default sort (no parameters: newest first), without the FilterSet.
    rows = list(Paper.objects.for_list().order_by(*ORDERINGS[NEWEST])[:PAGE_SIZE])
    absolute = request.build_absolute_uri
    results = [
        {
            "id": paper.pk,
            "doi": paper.doi,
            "url": absolute(reverse("paper-detail", args=[paper.pk])),
            "html_url": absolute(paper.get_absolute_url()),
            "title": paper.title,
            "work_type": paper.work_type,
            "work_type_label": paper.work_type_label,
            "published": paper.published_display,
            "journal": {"id": paper.journal.pk, "title": paper.journal.title}
            if paper.journal
            else None,
            "authors": [
                {"id": a.author_id, "name": a.author.name, "orcid": a.author.orcid}
                for a in paper.authorships.all()
            ],
            "categories": [{"name": c.name, "slug": c.slug} for c in paper.categories.all()],
            "is_retracted": paper.is_retracted,
            "rating_average": float(paper.rating_average)
            if paper.rating_average is not None
            else None,
            "rating_count": paper.rating_count,
        }
        for paper in rows
    ]
    next_url = absolute(f"{reverse('paper-list')}?page=2") if count > PAGE_SIZE else None
    return JsonResponse({"count": count, "next": next_url, "previous": None, "results": results})


def cached_paper_page(request, doi, versioned=True):
    if request.user.is_authenticated:
        raise Http404("the experiment serves anonymous readers only")
    key = f"bench:paper-page:{request.get_full_path()}"
    if versioned:
        version = (
            Paper.objects.alias(doi_lower=Lower("doi"))
            .filter(doi_lower=doi.lower())
            .values_list("pk", "updated_at")
            .first()
        )
        if version is None:
            raise Http404("no paper with this DOI")
        key += f":{version[0]}:{version[1].timestamp()}"
    html = django_cache.get(key)
    if html is None:
        response = paper_views.paper_by_doi(request, doi)
        if response.status_code != 200:
            return response
        html = response.content
        django_cache.set(key, html, 600)
    return HttpResponse(html, content_type="text/html; charset=utf-8")
