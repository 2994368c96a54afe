"""Browsing the catalogue: the list with search and filters, and journal, author, category
and keyword pages (placeholder until the list lands)."""

from django.http import Http404


def paper_list(request):
    raise Http404


def journal_detail(request, pk):
    raise Http404


def author_detail(request, pk):
    raise Http404


def category_detail(request, slug):
    raise Http404


def keyword_detail(request, slug):
    raise Http404
