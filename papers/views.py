"""The catalogue's part of the paper page (``paper_context``), its citation exports
(BibTeX, RIS, CSL-JSON), and "Add a paper by DOI".

The paper page itself combines apps (reviews, resource requests, claims), so it is composed
above them, in ``portal.paper_page``, from ``paper_context`` and the other apps' parts.
Each view loads the paper with ``Paper.objects.for_page()`` (six queries: paper+journal,
authorships+authors, keywords, categories, fundings+funders, notices) whatever the number of
authors, funders or keywords, and the template runs no query of its own.
"""

import datetime
import re
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_http_methods, require_safe

from papers import citation, metadata, recommend, references, version_groups
from papers.forms import AddPaperForm
from papers.models import Paper
from papers.records import RecordError, normalize_doi

# The heading of the "Journal" block for works whose container is not a journal.
CONTAINER_LABELS = {
    "book-chapter": "Book",
    "book-section": "Book",
    "book-part": "Book",
    "reference-entry": "Book",
    "proceedings-article": "Proceedings",
    "book": "Series",
    "monograph": "Series",
    "edited-book": "Series",
    "reference-book": "Series",
}

# Seconds between reloads of a page whose metadata is on its way (no JavaScript needed).
WAITING_REFRESH_SECONDS = 5

REGISTRY_NAMES = {"crossref": "Crossref", "datacite": "DataCite"}

# An abstract paragraph this short and without closing punctuation is a section heading
# ("Background", "Methods") that the JATS markup carried as a <title>.
_ABSTRACT_HEADING = re.compile(r"[^.?!:;,]{1,60}")


@login_required
@require_http_methods(["GET", "POST"])
def add_paper(request):
    """Add a paper by DOI: a pending paper at once, its metadata fetched in the background."""
    form = AddPaperForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            paper, created = metadata.add_by_doi(form.cleaned_data["doi"], by=request.user)
        except RecordError as error:  # the form checks the same rules; kept for safety
            form.add_error("doi", str(error))
        except metadata.AddLimitReached as limit:
            form.add_error(None, str(limit))
            response = render(request, "papers/add_paper.html", {"form": form}, status=429)
            response["Retry-After"] = str(limit.retry_after)
            return response
        else:
            if created:
                messages.success(request, "Added: its metadata is on its way.")
            else:
                messages.info(request, "This paper is already in the catalogue.")
            return redirect(paper.get_absolute_url())
    return render(request, "papers/add_paper.html", {"form": form})


@require_safe
def paper_export(request, pk, fmt):
    """The paper as a file to download in ``fmt`` (``citation.EXPORT_FORMATS``): BibTeX,
    RIS or CSL-JSON, named for its citation key. Three queries (``for_export()``)."""
    paper = get_object_or_404(Paper.objects.for_export(), pk=pk)
    return _download(citation.export_papers([paper], fmt))


def paper_by_doi_or_404(value, *, queryset=None):
    """The paper whose DOI is ``value`` in any case, from ``queryset`` (default
    ``Paper.objects.for_page()``); Http404 for unknown or malformed DOIs."""
    try:
        doi = normalize_doi(value)
    except RecordError:
        raise Http404("not a DOI") from None
    queryset = Paper.objects.for_page() if queryset is None else queryset
    paper = queryset.with_doi(doi).first()
    if paper is None:
        raise Http404("no paper with this DOI")
    return paper


def _download(export):
    response = HttpResponse(export.content, content_type=export.content_type)
    # Keys are ASCII letters and digits only, so the name needs no quoting rules beyond these.
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def paper_context(request, paper):
    """The catalogue's part of the paper page: everything but reviews, resource requests and
    claims, which the apps above papers add (portal.paper_page composes the page).

    One query beyond ``Paper.objects.for_page()``: the "Recommended" list with each paper
    and journal.
    """
    # list() evaluates the prefetched rows once; the template only walks these lists.
    notices = list(paper.notices.all())
    retractions = [notice for notice in notices if notice.is_retraction]
    canonical_url = request.build_absolute_uri(paper.get_absolute_url())
    return {
        "paper": paper,
        "canonical_url": canonical_url,
        "meta_tags": citation.meta_tags(paper, page_url=canonical_url),
        # The "Cite" block: the paper in every citation style (no query).
        "references": citation.references_in_every_style(paper),
        "container_label": CONTAINER_LABELS.get(paper.work_type, "Journal"),
        "authorships": list(paper.authorships.all()),
        "keywords": list(paper.keywords.all()),
        "categories": list(paper.categories.all()),
        "fundings": list(paper.fundings.all()),
        # A curator may set is_retracted without a notice row; the banner shows either way.
        "is_retracted": paper.is_retracted or bool(retractions),
        "retractions": [_notice(notice) for notice in retractions],
        "other_notices": [_notice(notice) for notice in notices if not notice.is_retraction],
        "abstract": abstract_blocks(paper.abstract),
        "licence_label": licence_label(paper.license_url),
        "landing_host": _host(paper.url),
        # The "Recommended" list with each paper and journal: one query.
        "related_papers": recommend.related_papers(paper.pk),
        # The other versions of the work (preprint, published version): one query when the
        # paper is in a version group, none otherwise.
        "versions": version_groups.versions_of(paper),
        **metadata_status_context(paper),
    }


def metadata_status_context(paper, *, now=None):
    """What the page says about where the paper's metadata stands; no query.

    ``metadata_waiting``: pending or fetching, so the page reloads itself until it is not.
    """
    Status = Paper.MetadataStatus
    waiting = paper.metadata_status in (Status.PENDING, Status.FETCHING)
    return {
        "metadata_waiting": waiting,
        "refresh_seconds": WAITING_REFRESH_SECONDS if waiting else None,
        "metadata_retry": "" if waiting else retry_phrase(paper.metadata_retry_at, now=now),
        "metadata_source_label": REGISTRY_NAMES.get(paper.metadata_source, paper.metadata_source),
        # The page adds its own full stop.
        "metadata_reason": paper.metadata_error.strip().rstrip("."),
    }


def retry_phrase(when, *, now=None):
    """When the next try is: "in 12 minutes", "in 6 days", "shortly" (due or past), or ""."""
    if when is None:
        return ""
    now = now or timezone.now()
    if when <= now + datetime.timedelta(minutes=1):
        return "shortly"
    return f"in {timeuntil(when, now, depth=1)}"


def _notice(notice):
    """What the page says about one Crossmark notice."""
    kind = notice.label or notice.kind.replace("_", " ").capitalize()
    return {
        "kind": kind,
        "doi": notice.doi,
        "doi_url": f"https://doi.org/{notice.doi}",
        "date": notice.date,
        # "updated-by": the notice is about this paper; "update-to": this paper is a notice.
        "about_this_paper": notice.direction == "updated-by",
        "reason": notice.reason,
        "url": notice.url,
    }


def licence_label(url):
    """A short name for a licence URL: "CC BY-NC 4.0" for Creative Commons, else its site."""
    match = re.search(
        r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)(?:/(\d+(?:\.\d+)?))?", url or ""
    )
    if not match:
        return _host(url)
    family, code, version = match.groups()
    if family == "publicdomain":
        return f"CC0 {version or ''}".strip() if code == "zero" else "Public domain"
    return f"CC {code.upper()} {version or ''}".strip()


def _host(url):
    host = urlsplit(url or "").hostname or url or ""
    return host.removeprefix("www.")


def abstract_blocks(text):
    """The abstract as [(kind, text)], kind "heading" or "paragraph", split on blank lines.

    Structured abstracts ("Background", "Methods", ...) keep their section names as
    headings; a one-paragraph abstract is never a heading.
    """
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text or "")]
    paragraphs = [part for part in paragraphs if part]
    if len(paragraphs) < 2:
        return [("paragraph", part) for part in paragraphs]
    # A heading needs text after it, so a short closing line ("Copyright 2021") stays text.
    return [
        (
            "heading"
            if n + 1 < len(paragraphs) and _ABSTRACT_HEADING.fullmatch(part)
            else "paragraph",
            part,
        )
        for n, part in enumerate(paragraphs)
    ]


# --- the "References" and "Cited by" blocks ---

# The query parameters that turn their pages (?references=2#references).
REFERENCES_PARAM = "references"
CITED_BY_PARAM = "cited_by"


def block_page_number(value):
    """A block's page number from its query parameter: 1 unless a plain number (too large
    a page is the block's last, ``Paginator.get_page``)."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return max(1, int(value))
    return 1


def references_block(paper_id, number):
    """The "References (N)" block at page ``number``, rendered (two queries: the count and
    the page's entries with their cited papers)."""
    page = references.references_page(paper_id, number)
    page.object_list = list(page.object_list)  # one query, walked once by the template
    context = {"page": page, "page_param": REFERENCES_PARAM}
    return render_to_string("papers/_paper_references.html", context)


def cited_by_block(paper_id, number):
    """The "Cited by N papers in this catalogue" block at page ``number``, rendered (two
    queries: the count and the page's papers with their journals)."""
    page = references.cited_by_page(paper_id, number)
    page.object_list = list(page.object_list)
    context = {"page": page, "page_param": CITED_BY_PARAM}
    return render_to_string("papers/_paper_cited_by.html", context)
