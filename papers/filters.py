"""The catalogue's search, filters and sorts as one django-filter FilterSet.

Used by the /papers/ page and by the API, so both accept the same query parameters:
``q``, ``year_min``, ``year_max``, ``journal`` (id), ``category`` (slug), ``keyword``
(slug), ``funder`` (id), ``type`` (work_type), ``has_abstract`` and ``sort``.
"""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef
from drf_spectacular.utils import extend_schema_field

from papers import listing
from papers.models import (
    BEST_RATED_KEY,
    BEST_RATED_POSITION,
    MOST_CITED_KEY,
    MOST_CITED_POSITION,
    MOST_RATED_POSITION,
    NEWEST_KEY,
    NEWEST_POSITION,
    OLDEST_KEY,
    OLDEST_POSITION,
    WORK_TYPES,
    Paper,
    PaperCategory,
    PaperKeyword,
)
from papers.search import clean_query, search_papers, sorted_search

RELEVANCE, NEWEST, OLDEST = "relevance", "newest", "oldest"
BEST_RATED, MOST_RATED, MOST_CITED = "best_rated", "most_rated", "most_cited"
SORT_CHOICES = [
    (RELEVANCE, "Relevance"),
    (NEWEST, "Newest"),
    (OLDEST, "Oldest"),
    (BEST_RATED, "Best rated"),
    (MOST_RATED, "Most rated"),
    (MOST_CITED, "Most cited"),
]

# The types a reader can pick on the list page, by label.
# One paper per work (a preprint whose published version is in the catalogue left out,
# ``Paper.objects.one_per_version_group``), the default of every list; or every version.
ONE_PER_WORK, EVERY_VERSION = "work", "all"
VERSION_CHOICES = [
    (ONE_PER_WORK, "One paper per work (the published version first)"),
    (EVERY_VERSION, "Every version (preprints and published versions)"),
]

TYPE_CHOICES = sorted(WORK_TYPES.items(), key=lambda choice: choice[1])

# Every order ends with the id so that ties (same year, same rating) page deterministically.
# Each has an index on the same expressions (Paper.Meta.indexes; most rated: migration
# 0002) that a list walks in order: a change here must change the index too.
ORDERINGS = {
    RELEVANCE: [F("search_rank").desc(), F("id").desc()],
    NEWEST: [NEWEST_KEY.desc(), F("id").desc()],
    OLDEST: [OLDEST_KEY.asc(), F("id").asc()],
    BEST_RATED: [BEST_RATED_KEY.desc(), F("rating_count").desc(), F("id").desc()],
    MOST_RATED: [F("rating_count").desc(), F("id").desc()],
    MOST_CITED: [MOST_CITED_KEY.desc(), F("id").desc()],
}

# Each order (but relevance) as one number that sorts like it (papers.models.position):
# what a search's pages are bounded by inside the full-text index (listing.Bounded).
POSITIONS = {
    NEWEST: NEWEST_POSITION,
    OLDEST: OLDEST_POSITION,
    BEST_RATED: BEST_RATED_POSITION,
    MOST_RATED: MOST_RATED_POSITION,
    MOST_CITED: MOST_CITED_POSITION,
}


# Ids are BigAutoFields: 64-bit signed integers on every database we run on. A larger id
# matches nothing, and SQLite's driver cannot even send it (OverflowError).
MAX_ID = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number between ``min_value`` and ``max_value`` (both required): a value out
    of range is a form error, and the API schema states the range."""

    # NumberFilter takes decimals; ids and years are whole numbers, and an int compares
    # with an integer column without a cast that would stop an index from serving.
    field_class = forms.IntegerField

    def __init__(self, *, min_value, max_value, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        schema = {"type": "integer", "minimum": min_value, "maximum": max_value}
        extend_schema_field(schema)(self)


class PaperFilter(django_filters.FilterSet):
    """Search text, filters and a sort over a Paper queryset.

    The text search runs after the other filters, so that search_papers' bounded candidate
    set is drawn from papers that pass them. ``sort`` defaults to relevance when ``q`` is
    given, else newest; relevance without ``q`` means newest. Invalid values (a year that is
    not a number, an unknown sort) are form errors and that parameter is ignored; the page
    or the API decides how to report them. A search runs its probe for ids here (one or
    two queries, see search_papers and sorted_search); the rest is the returned queryset.
    """

    q = django_filters.CharFilter(label="Search", method="_skip")
    year_min = IntegerFilter(
        field_name="published_year",
        lookup_expr="gte",
        label="From year",
        min_value=0,
        max_value=9999,
    )
    year_max = IntegerFilter(
        field_name="published_year",
        lookup_expr="lte",
        label="To year",
        min_value=0,
        max_value=9999,
    )
    journal = IntegerFilter(field_name="journal_id", label="Journal", min_value=1, max_value=MAX_ID)
    # Applied in filter_queryset: browsing one is a narrowed list (papers.listing.narrow).
    category = django_filters.CharFilter(label="Category", method="_skip")
    keyword = django_filters.CharFilter(label="Keyword", method="_skip")
    funder = IntegerFilter(
        field_name="fundings__funder_id", label="Funder", min_value=1, max_value=MAX_ID
    )
    # Free text, not a choice: a work type Crossref adds later is still a valid filter.
    type = django_filters.CharFilter(field_name="work_type", label="Type")
    has_abstract = django_filters.BooleanFilter(label="Has an abstract", method="_has_abstract")
    sort = django_filters.ChoiceFilter(
        label="Sort by", choices=SORT_CHOICES, method="_skip", empty_label=None
    )
    versions = django_filters.ChoiceFilter(
        label="Versions", choices=VERSION_CHOICES, method="_skip", empty_label=None
    )

    class Meta:
        model = Paper
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("versions") != EVERY_VERSION:
            queryset = queryset.one_per_version_group()
        text = self.form.cleaned_data.get("q") or ""
        sort = self.sort_key()
        terms = self._term_links()
        if not clean_query(text) and terms:
            return self._browse_terms(queryset, terms, ORDERINGS[sort])
        for links in terms:
            queryset = queryset.filter(Exists(links.filter(paper=OuterRef("pk"))))
        if sort != RELEVANCE:
            # Every match in another order: bounded by papers.listing.narrow.
            return sorted_search(queryset, text, ORDERINGS[sort], POSITIONS[sort])
        # Sorting by relevance ranks a bounded set of matches (search_papers).
        queryset = search_papers(queryset, text)
        if "search_rank" not in queryset.query.annotations:
            sort = NEWEST  # text that searched nothing
        return queryset.order_by(*ORDERINGS[sort])

    def _term_links(self):
        """The link rows of the category and keyword asked for (querysets, unevaluated)."""
        data = self.form.cleaned_data
        return [
            model.objects.filter(**{f"{name}__slug": data[name]})
            for name, model in (("category", PaperCategory), ("keyword", PaperKeyword))
            if data.get(name)
        ]

    def _browse_terms(self, queryset, terms, ordering):
        """A category's or keyword's papers (the facet links), planned as its own page is:
        the first term's links are the narrowed set, any other term is tested per row."""
        first, *others = terms
        for links in others:
            queryset = queryset.filter(listing.linked(links))
        narrowed = listing.narrow(
            queryset,
            matching_ids=first.values_list("paper_id", flat=True),
            row_test=listing.linked(first),
            ordering=ordering,
        )
        data = self.form.cleaned_data
        filtered = others or any(
            data.get(name) not in (None, "")
            for name in ("year_min", "year_max", "journal", "funder", "type", "has_abstract")
        )
        if filtered:  # the links count the term's papers, not those that pass the filters
            narrowed.known_count = None
        return narrowed

    def sort_key(self):
        """The sort in effect: the valid ``sort`` asked for, else the default."""
        self.form.errors  # noqa: B018 -- validates the form once, filling cleaned_data
        data = getattr(self.form, "cleaned_data", {})
        has_text = bool(clean_query(data.get("q")))
        sort = data.get("sort") or (RELEVANCE if has_text else NEWEST)
        return NEWEST if sort == RELEVANCE and not has_text else sort

    def _skip(self, queryset, name, value):
        # q and sort are applied together in filter_queryset, after the other filters.
        return queryset

    def _has_abstract(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(abstract="") if value else queryset.filter(abstract="")


class SimilarFilter(PaperFilter):
    """The filters of /papers/ without its search and sort, for "Find papers like this"
    (``papers.similar``): the similarity is the order, the text the search. Applied to a
    bounded set of candidate papers, so every filter is a plain test per row."""

    q = None
    sort = None
    versions = None

    def filter_queryset(self, queryset):
        queryset = django_filters.FilterSet.filter_queryset(self, queryset)
        for links in self._term_links():
            # One index lookup per candidate: an EXISTS hashes every link of the category
            # (395,000 at 1M papers for cs.AI: 470 ms for 1,000 candidates).
            queryset = queryset.filter(listing.linked(links))
        return queryset

    @property
    def is_filtered(self):
        """Whether any filter is set (and understood)."""
        self.form.errors  # noqa: B018 -- validates the form once, filling cleaned_data
        data = getattr(self.form, "cleaned_data", {})
        return any(value not in (None, "") for value in data.values())
