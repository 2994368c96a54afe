"""Three ceiling views: the fastest Django can answer the same bytes or the same rows.

- ``static_page``: a bare view returning a static HTML page of exactly the bytes of a real
  paper page (read once from BENCH_STATIC_PAGE, a file bench/run.py saved). Same
  middleware, no query, no template: the paper page's ceiling.
- ``signed_in_static_page``: the same for a signed-in reader: the bytes of a real paper
  page as that reader got it (BENCH_SIGNED_IN_PAGE), sent to the same reader through the
  same middleware, after the same session and user look-ups the real page makes (it reads
  ``request.user``): the signed-in paper page's ceiling.
- ``plain_papers``: the rows of the API list's first page (same count query, same
  ``Paper.objects.for_list()`` queries in the same order, same fields and URLs) turned
  into plain dicts by hand and returned with JsonResponse: the API list's ceiling,
  without DRF.
"""

import os
from functools import cache

from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from papers.filters import NEWEST, ORDERINGS
from papers.models import Paper

PAGE_SIZE = 20


@cache
def _page_bytes(variable):
    with open(os.environ[variable], "rb") as file:
        return file.read()


def static_page(request):
    return HttpResponse(_page_bytes("BENCH_STATIC_PAGE"), content_type="text/html; charset=utf-8")


def signed_in_static_page(request):
    if not request.user.is_authenticated:  # the session row and the user row, as the page
        return HttpResponse("log in first", status=403, content_type="text/plain")
    return HttpResponse(
        _page_bytes("BENCH_SIGNED_IN_PAGE"), content_type="text/html; charset=utf-8"
    )


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
