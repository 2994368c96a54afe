"""Browsing the catalogue: the list with search and filters, and journal, author, category
and keyword pages, each a list of paper cards, 20 a page.

Every page runs a constant number of queries whatever the number of papers, and each
query is bounded at any catalogue size (papers.listing): the page's own object (journal,
author, ...) if any, the probe of a narrowed list (search, author, category, keyword), the
count (exact to 1,000, then PostgreSQL's estimate, shown as "about ..."), the rows with
their journals, then one query each for the cards' first authors and their categories
(``Paper.objects.for_cards()``). The list adds one small query per active
journal/category/keyword/funder filter, to name it. Page numbers reach 1,000 rows deep.
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from papers import listing, similar
from papers.filters import (
    MAX_ID,
    NEWEST,
    ORDERINGS,
    RELEVANCE,
    SORT_CHOICES,
    TYPE_CHOICES,
    PaperFilter,
    SimilarFilter,
)
from papers.forms import SimilarForm
from papers.models import (
    Author,
    Authorship,
    Category,
    Funder,
    Journal,
    Keyword,
    Paper,
    PaperCategory,
    PaperKeyword,
)
from papers.rows import ColumnIn
from papers.search import RANKED_CANDIDATES

PAGE_SIZE = 20
HOME_PAPERS = 6

# Filters set by following a link (a journal name, a category chip): shown as removable
# chips, named by looking the row up. (parameter, model, field the parameter matches)
LINKED_FILTERS = [
    ("journal", Journal, "pk", "Journal"),
    ("category", Category, "slug", "Category"),
    ("keyword", Keyword, "slug", "Keyword"),
    ("funder", Funder, "pk", "Funder"),
]


@require_safe
def home(request):
    """The home page: the search box, the newest papers and the biggest categories.

    Three queries: newest papers with journals (from the newest index), their first
    authors, their categories. The categories with their counts come from the cache that
    a beat task refreshes (papers.listing.home_categories; one query more on a miss).
    """
    newest = list(
        Paper.objects.one_per_version_group().for_cards().order_by(*ORDERINGS[NEWEST])[:HOME_PAPERS]
    )
    categories = listing.home_categories()
    return render(request, "papers/home.html", {"newest": newest, "categories": categories})


# The pages below are views of portal.catalogue_pages, which adds the reader's follow
# buttons (library, an app above this one) to the context each ``*_page`` function returns.


def paper_list_page(request):
    """/papers/: search, filter, sort and page through the catalogue (GET only, no JS)."""
    # One card per work unless every version is asked for (PaperFilter's ``versions``).
    filterset = PaperFilter(request.GET, queryset=Paper.objects.for_cards())
    papers = filterset.qs
    sort = filterset.sort_key()
    page = paginate(request, papers)
    text = filterset.form.cleaned_data.get("q") or ""
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "q": text,
        "sort": sort,
        "sort_choices": SORT_CHOICES if text.strip() else SORT_CHOICES[1:],
        "type_choices": TYPE_CHOICES,
        "chips": linked_filter_chips(request.GET, filterset.form.cleaned_data),
        # A relevance search ranks at most RANKED_CANDIDATES matches (see search_papers).
        "ranked_capped": sort == RELEVANCE and page.paginator.count >= RANKED_CANDIDATES,
        **page_context(request, page),
    }
    return context


@require_http_methods(["GET", "HEAD", "POST"])
def similar_papers(request):
    """/papers/similar/: the papers most like a pasted text, or (``?paper=<id>``) like a
    paper, with the filters of /papers/ (``papers.similar``).

    The text is sent by POST: an abstract or an introduction (up to 20,000 characters)
    does not fit in a URL that every proxy passes (many stop at 8 kB). Nothing is written,
    so the results are the answer to the POST itself, not a redirect. A short text also
    works as ``?text=`` (a link); ``?paper=<id>`` is the "More like this" link of every
    paper. Queries: the current space, the index version, the vectors placed since it,
    the candidates that pass the filters, their vectors, the 20 cards (3); the paper (5
    more: it and its content) for ``?paper=``; one per linked filter to name it.
    """
    params = request.POST if request.method == "POST" else request.GET
    filterset = SimilarFilter(params, queryset=Paper.objects.none())
    form = SimilarForm(params if "text" in params else None)
    errors = filterset.form.errors  # validates the filters: bad ones are shown and ignored
    filters = {
        name: params[name] for name in filterset.filters if name in params and name not in errors
    }
    of_paper, results, status = _similar_paper_of(params.get("paper")), None, 200
    try:
        if of_paper is not None:
            results = similar.similar_to_paper(of_paper, filters=filters)
        elif form.is_bound and form.is_valid():
            results = similar.similar_to_text(form.cleaned_data["text"], filters=filters)
    except similar.SimilarUnavailable as error:
        form.add_error(None, str(error))
        status = 503
    except similar.SimilarError as error:
        form.add_error("text", str(error))
        status = 400
    if form.is_bound and not form.is_valid() and status == 200:
        status = 400
    context = {
        "form": form,
        "filter_form": filterset.form,
        "of_paper": of_paper,
        "results": results,
        "type_choices": TYPE_CHOICES,
        "chips": linked_filter_chips(params, filterset.form.cleaned_data),
    }
    return render(request, "papers/similar.html", context, status=status)


def _similar_paper_of(value):
    """The paper of ``?paper=<id>`` (None when not given); 404 for an unknown one."""
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise Http404("No paper has this id.")
    return get_object_or_404(Paper.objects.only("pk", "title"), pk=int(value))


def journal_page(request, pk):
    """A journal's page's context: its papers, newest first."""
    journal = get_object_or_404(Journal, pk=pk)
    # The journal's range of its own newest index (Paper.Meta.indexes).
    papers = (
        Paper.objects.filter(journal=journal)
        .one_per_version_group()
        .for_cards()
        .order_by(*ORDERINGS[NEWEST])
    )
    page = paginate(request, papers)
    return {"journal": journal, **page_context(request, page)}


def author_page(request, pk):
    """The author's papers, newest first, each with the affiliations given on that paper."""
    author = get_object_or_404(Author, pk=pk)
    own = Authorship.objects.filter(author=author)
    papers = listing.narrow(
        Paper.objects.one_per_version_group()
        .for_cards()
        .prefetch_related(
            # The author's own place on each paper, wherever it is in the author list.
            Prefetch("authorships", queryset=own.order_by("position"), to_attr="own_authorships")
        ),
        matching_ids=own.values_list("paper_id", flat=True),
        # A lookup, not a join: an author listed twice on one paper still gives one row.
        row_test=listing.linked(own),
        ordering=ORDERINGS[NEWEST],
    )
    page = paginate(request, papers)
    affiliations = []
    for paper in page.object_list:
        paper.author_affiliations = [
            affiliation
            for authorship in paper.own_authorships
            for affiliation in authorship.affiliations
        ]
        affiliations += [a for a in paper.author_affiliations if a not in affiliations]
    shown, truncated = co_authors(author, papers=CO_AUTHOR_PAPERS)
    return {
        "author": author,
        "affiliations": affiliations,
        "co_authors": shown,
        "co_authors_latest": CO_AUTHOR_PAPERS if truncated else None,
        **page_context(request, page),
    }


# Co-authors shown on an author's page, most shared papers first.
CO_AUTHORS_SHOWN = 12
# Co-authors are counted on the author's latest CO_AUTHOR_PAPERS papers (by when they came
# into the catalogue), so that the count is bounded: a prolific author's papers hold tens of
# thousands of authorships (at 1,000,000 papers: 3,880 papers, 43,891 authorships, 18-38 ms
# to count, against ~6 ms for 1,000). The page says when the count left papers out.
CO_AUTHOR_PAPERS = 1000


def co_authors(author, limit=CO_AUTHORS_SHOWN, papers=CO_AUTHOR_PAPERS):
    """([(Author id, name, shared papers)], truncated): the authors who share most papers
    with ``author``, most first, then by name; ``truncated`` when the author has more than
    ``papers`` papers and only the latest ``papers`` were counted (three queries).

    The author's latest papers are read from the (author, paper) index, their authorships
    counted from the (paper, author) index alone, and only the ``limit`` authors kept are
    read for their names. Ties at the cut go to the lower author id. An author listed twice
    on one paper counts that paper twice."""
    latest = list(
        Authorship.objects.filter(author=author)
        .order_by("-paper_id")
        .values_list("paper_id", flat=True)[: papers + 1]
    )
    truncated = len(latest) > papers
    top = list(
        Authorship.objects.filter(ColumnIn("paper_id", latest[:papers]))
        .exclude(author=author)
        .values("author_id")
        .annotate(shared=Count("*"))
        .order_by("-shared", "author_id")
        .values_list("author_id", "shared")[:limit]
    )
    if not top:
        return [], truncated
    names = dict(Author.objects.filter(pk__in=[pk for pk, _ in top]).values_list("pk", "name"))
    rows = [(pk, names[pk], shared) for pk, shared in top if pk in names]
    return sorted(rows, key=lambda row: (-row[2], row[1], row[0])), truncated


def category_page(request, slug):
    return term_page(request, Category, PaperCategory, slug, parameter="category")


def keyword_page(request, slug):
    return term_page(request, Keyword, PaperKeyword, slug, parameter="keyword")


def term_page(request, model, link_model, slug, *, parameter):
    """A category's or keyword's page's context: its papers, newest first (``parameter`` is
    the list's filter; ``link_model`` the table linking papers to terms, read from its
    (term, paper) index). ``term`` is the category or keyword."""
    term = get_object_or_404(model, slug=slug)
    term_field = model._meta.model_name  # "category" / "keyword"
    links = link_model.objects.filter(**{term_field: term})
    papers = listing.narrow(
        Paper.objects.one_per_version_group().for_cards(),
        matching_ids=links.values_list("paper_id", flat=True),
        row_test=listing.linked(links),
        ordering=ORDERINGS[NEWEST],
    )
    page = paginate(request, papers)
    return {
        "term": term,
        "heading": term.name,
        "kind": model._meta.verbose_name.capitalize(),
        "filter_query": urlencode({parameter: term.slug}),
        **page_context(request, page),
    }


def paginate(request, papers):
    """The requested page of ``papers``, its rows evaluated (count + rows + prefetches).

    A page number that is not a number gives page 1, one past the last page (at most
    listing.MAX_NUMBERED_ROWS rows deep) the last page. The count may be an estimate
    (``page.paginator.list_count``).
    """
    page = listing.BoundedPaginator(papers, PAGE_SIZE).get_page(request.GET.get("page"))
    # list() runs the queries now, so that rendering the template runs none.
    page.object_list = list(page.object_list)
    return page


def page_context(request, page):
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": page,
        "papers": page.object_list,
        "count_phrase": page.paginator.list_count.phrase(),
        "page_query": query.urlencode(),
        "page_numbers": list(page.paginator.get_elided_page_range(page.number)),
        "ellipsis": Paginator.ELLIPSIS,
    }


def linked_filter_chips(params, cleaned_data):
    """[{label, name, remove_url_query}] for each journal/category/keyword/funder filter set.

    One query per filter that is set; an unknown id or slug still gets a chip (and the
    list is empty), so the reader can remove it.
    """
    chips = []
    for param, model, field, label in LINKED_FILTERS:
        value = cleaned_data.get(param)
        if value in (None, ""):
            continue
        row = model.objects.filter(**{field: value}).first()
        remaining = params.copy()
        remaining.pop(param, None)
        remaining.pop("page", None)
        chips.append(
            {
                "param": param,
                "value": value,
                "label": label,
                "name": str(row) if row else f"unknown ({value})",
                "remove_query": remaining.urlencode(),
            }
        )
    return chips
