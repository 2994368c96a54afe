"""The paper page and its citation exports (placeholder until the page lands)."""

from django.http import Http404


def paper_detail(request, pk):
    raise Http404


def paper_by_doi(request, doi):
    raise Http404


def paper_bibtex(request, pk):
    raise Http404


def paper_ris(request, pk):
    raise Http404
