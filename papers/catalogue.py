"""Browsing the catalogue: the list with search and filters, and journal, author, category
and keyword pages, each a list of paper cards, 20 a page.

Every page runs a constant number of queries whatever the number of papers: the page's own
object (journal, author, ...) if any, the paginator's count, the rows with their journals,
then one query each for authorships+authors and categories (``Paper.objects.for_list()``).
The list adds one small query per active journal/category/keyword/funder filter, to name it.
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe

from papers.filters import NEWEST, ORDERINGS, RELEVANCE, SORT_CHOICES, TYPE_CHOICES, PaperFilter
from papers.models import Author, Authorship, Category, Funder, Journal, Keyword, Paper
from papers.search import RANKED_CANDIDATES

PAGE_SIZE = 20
HOME_PAPERS, HOME_CATEGORIES = 6, 16
# Counting every row of a large catalogue costs more than the page itself (a full scan:
# ~50 ms per 200k papers on PostgreSQL); past this many the list says "10000+".
MAX_COUNTED = 10_000

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

    Four queries: newest papers with journals, their authorships+authors, their categories,
    and the categories with their paper counts.
    """
    newest = list(Paper.objects.for_list().order_by(*ORDERINGS[NEWEST])[:HOME_PAPERS])
    categories = list(
        Category.objects.annotate(paper_count=Count("papers"))
        .filter(paper_count__gt=0)
        .order_by("-paper_count", "name")[:HOME_CATEGORIES]
    )
    return render(request, "papers/home.html", {"newest": newest, "categories": categories})


@require_safe
def paper_list(request):
    """/papers/: search, filter, sort and page through the catalogue (GET only, no JS)."""
    filterset = PaperFilter(request.GET, queryset=Paper.objects.for_list())
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
    return render(request, "papers/paper_list.html", context)


@require_safe
def journal_detail(request, pk):
    journal = get_object_or_404(Journal, pk=pk)
    papers = Paper.objects.filter(journal=journal).for_list().order_by(*ORDERINGS[NEWEST])
    page = paginate(request, papers)
    context = {"journal": journal, **page_context(request, page)}
    return render(request, "papers/journal_detail.html", context)


@require_safe
def author_detail(request, pk):
    """The author's papers, newest first, each with the affiliations given on that paper."""
    author = get_object_or_404(Author, pk=pk)
    # A subquery, not a join: an author listed twice on one paper still gives one row.
    authored = Authorship.objects.filter(author=author).values("paper_id")
    papers = Paper.objects.filter(pk__in=authored).for_list().order_by(*ORDERINGS[NEWEST])
    page = paginate(request, papers)
    affiliations = []
    for paper in page.object_list:
        # From the prefetched authorships: no query per paper.
        paper.author_affiliations = [
            affiliation
            for authorship in paper.authorships.all()
            if authorship.author_id == author.pk
            for affiliation in authorship.affiliations
        ]
        affiliations += [a for a in paper.author_affiliations if a not in affiliations]
    context = {"author": author, "affiliations": affiliations, **page_context(request, page)}
    return render(request, "papers/author_detail.html", context)


@require_safe
def category_detail(request, slug):
    return term_page(request, Category, slug, relation="categories", parameter="category")


@require_safe
def keyword_detail(request, slug):
    return term_page(request, Keyword, slug, relation="keywords", parameter="keyword")


def term_page(request, model, slug, *, relation, parameter):
    """A category's or keyword's papers, newest first (``parameter`` is the list's filter)."""
    term = get_object_or_404(model, slug=slug)
    papers = Paper.objects.filter(**{relation: term}).for_list()
    page = paginate(request, papers.order_by(*ORDERINGS[NEWEST]))
    context = {
        "heading": term.name,
        "kind": model._meta.verbose_name.capitalize(),
        "filter_query": urlencode({parameter: term.slug}),
        **page_context(request, page),
    }
    return render(request, "papers/category_detail.html", context)


def paginate(request, papers):
    """The requested page of ``papers``, its rows evaluated (count + rows + prefetches).

    A page number that is not a number gives page 1, one past the end the last page.
    """
    page = CappedPaginator(papers, PAGE_SIZE).get_page(request.GET.get("page"))
    # list() runs the queries now, so that rendering the template runs none.
    page.object_list = list(page.object_list)
    return page


class CappedPaginator(Paginator):
    """A Paginator whose count stops at MAX_COUNTED (``capped`` says it did)."""

    capped = False

    @cached_property
    def count(self):
        # order_by(): a bare id scan that can stop early instead of sorting every row.
        counted = self.object_list.order_by().values("pk")[: MAX_COUNTED + 1].count()
        self.capped = counted > MAX_COUNTED
        return min(counted, MAX_COUNTED)


def page_context(request, page):
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": page,
        "papers": page.object_list,
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
