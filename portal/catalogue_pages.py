"""The catalogue's pages (the /papers/ list, journal, author, category and keyword pages)
with the reader's own follow buttons: the catalogue's context comes from
``papers.catalogue``, the reader's follow state from ``library.follows``.

The buttons are rendered per request, never cached: a signed-in reader's page costs one
query more than an anonymous reader's (their follow of the page's author, journal,
category or keyword, or their saved search of the list's query); an anonymous reader's
page runs no query for them (a "Sign in to follow" link).
"""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from library import follows
from library.models import Follow
from papers import catalogue


def follow_control(request, kind, target, value):
    """The follow button's context: what the page shows (``kind``, the row, and the
    ``value`` the form posts: id or slug), the reader's follow of it or None, and the page
    to come back to."""
    return {
        "follow_control": {
            "kind": kind,
            "value": value,
            "label": str(target),
            "follow": follows.follow_state(request.user, kind, target),
            "next": request.get_full_path(),
        }
    }


@require_safe
def paper_list(request):
    context = catalogue.paper_list_page(request)
    # Only a search or a filter can be saved; the plain list offers nothing to save.
    query = follows.savable_query(request.GET.urlencode())
    context["save_search"] = {
        "query": query,
        "saved": follows.saved_search(request.user, query) if query else None,
        "next": request.get_full_path(),
    }
    return render(request, "papers/paper_list.html", context)


@require_safe
def journal_detail(request, pk):
    context = catalogue.journal_page(request, pk)
    journal = context["journal"]
    context |= follow_control(request, Follow.Kind.JOURNAL, journal, journal.pk)
    return render(request, "papers/journal_detail.html", context)


@require_safe
def author_detail(request, pk):
    context = catalogue.author_page(request, pk)
    author = context["author"]
    context |= follow_control(request, Follow.Kind.AUTHOR, author, author.pk)
    return render(request, "papers/author_detail.html", context)


@require_safe
def category_detail(request, slug):
    context = catalogue.category_page(request, slug)
    term = context["term"]
    context |= follow_control(request, Follow.Kind.CATEGORY, term, term.slug)
    return render(request, "papers/category_detail.html", context)


@require_safe
def keyword_detail(request, slug):
    context = catalogue.keyword_page(request, slug)
    term = context["term"]
    context |= follow_control(request, Follow.Kind.KEYWORD, term, term.slug)
    return render(request, "papers/category_detail.html", context)
