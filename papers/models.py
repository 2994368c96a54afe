"""The catalogue: papers, where they appeared, who wrote them, what funded them.

Imported fields carry provenance (``Paper.provenance``: field -> source and time) and a
curator can lock fields (``Paper.locked_fields``) so that a later import never overwrites
them; every edit goes through ``papers.curation``, which keeps both.
"""

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Prefetch, Q
from django.db.models.functions import Cast, Coalesce, Floor, Least, Lower
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse

from papers.links import validate_link
from papers.names import name_key
from papers.records import MAX_DOI_LENGTH

# Crossref's work types (https://api.crossref.org/types) with the label a reader sees.
# Any other type string is accepted too and shown as it is, so a new Crossref type never
# breaks an import.
WORK_TYPES = {
    "journal-article": "Journal article",
    "proceedings-article": "Proceedings paper",
    "book-chapter": "Book chapter",
    "book": "Book",
    "monograph": "Monograph",
    "edited-book": "Edited book",
    "reference-book": "Reference book",
    "book-section": "Book section",
    "book-part": "Book part",
    "book-track": "Book track",
    "book-series": "Book series",
    "book-set": "Book set",
    "reference-entry": "Reference entry",
    "posted-content": "Preprint",
    "dataset": "Dataset",
    "dissertation": "Dissertation",
    "report": "Report",
    "report-component": "Report component",
    "report-series": "Report series",
    "peer-review": "Peer review",
    "component": "Component",
    "standard": "Standard",
    "journal": "Journal",
    "journal-issue": "Journal issue",
    "journal-volume": "Journal volume",
    "proceedings": "Proceedings",
    "proceedings-series": "Proceedings series",
    "grant": "Grant",
    "database": "Database",
    "other": "Other",
}

# Subtypes Crossref uses to narrow a type (e.g. posted-content/preprint); "review" is how a
# curator marks a review article, which Crossref has no type for.
WORK_SUBTYPES = {"preprint": "Preprint", "review": "Review", "working-paper": "Working paper"}


def work_type_label(work_type, work_subtype=""):
    if work_subtype in WORK_SUBTYPES:
        return WORK_SUBTYPES[work_subtype]
    return WORK_TYPES.get(work_type) or work_type.replace("-", " ").capitalize() or "Paper"


class Journal(models.Model):
    title = models.CharField(max_length=500)
    issn_print = models.CharField("print ISSN", max_length=9, blank=True, db_index=True)
    issn_electronic = models.CharField("electronic ISSN", max_length=9, blank=True, db_index=True)
    publisher = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(Lower("title"), name="papers_journal_title_ci")]
        # One journal per ISSN, and per title among journals without one: concurrent imports
        # create a journal with ON CONFLICT DO NOTHING and read back the row that stands.
        constraints = [
            models.UniqueConstraint(
                "issn_print", condition=~Q(issn_print=""), name="papers_journal_issn_print_unique"
            ),
            models.UniqueConstraint(
                "issn_electronic",
                condition=~Q(issn_electronic=""),
                name="papers_journal_issn_electronic_unique",
            ),
            models.UniqueConstraint(
                Lower("title"),
                condition=Q(issn_print="", issn_electronic=""),
                name="papers_journal_title_without_issn_unique",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("papers:journal", args=[self.pk])

    @property
    def issns(self):
        return [issn for issn in (self.issn_print, self.issn_electronic) if issn]


class AuthorQuerySet(models.QuerySet):
    """Keeps ``Author.name_key`` in step with ``name`` on every ORM write of names:
    ``bulk_create``, ``bulk_update`` and ``update`` do what ``Author.save`` does (writers
    that COPY rows, papers.bulk, set it themselves)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for author in objs:
            author.name_key = name_key(author.name)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "name" in fields:
            for author in objs:
                author.name_key = name_key(author.name)
            fields = [*fields, "name_key"]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        # (bulk_update sends expressions, with name_key among them.)
        if isinstance(kwargs.get("name"), str):
            kwargs["name_key"] = name_key(kwargs["name"])
        return super().update(**kwargs)


class Author(models.Model):
    """A person or an organisation credited on papers; one row per ORCID when known."""

    given_name = models.CharField(max_length=300, blank=True)
    family_name = models.CharField(max_length=300, blank=True)
    # For organisations (consortia, groups) the whole name; for people given + family.
    name = models.CharField(max_length=600)
    # The name as papers.names.name_key writes it (case, accents and punctuation ignored),
    # kept by save() and AuthorQuerySet: ingest finds an author's namesakes through its
    # index (papers.authors.Matcher).
    name_key = models.CharField(max_length=600, blank=True, default="", editable=False)
    is_organization = models.BooleanField(default=False)
    orcid = models.CharField("ORCID", max_length=19, null=True, blank=True, unique=True)
    # OpenAlex's id of the person ("A5023888391"), from OpenAlex works and enrichment: one
    # row per id, like the ORCID (papers.authors).
    openalex_id = models.CharField(  # noqa: DJ001 (NULL: many authors have none, unique)
        "OpenAlex author id", max_length=20, null=True, blank=True, unique=True
    )

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "name"]
        indexes = [
            models.Index(Lower("name"), name="papers_author_name_ci"),
            # Imports match entries without a DOI on the first author's family name
            # (library.imports.match_titles).
            models.Index(Lower("family_name"), name="papers_author_family_ci"),
            models.Index(fields=["name_key"], name="papers_author_name_key"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("papers:author", args=[self.pk])

    @property
    def orcid_url(self):
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""


class AuthorAlias(models.Model):
    """Another name under which an author is known: left by a curator's merge (the folded
    authors' names), read by ingest's conservative match (papers.authors), so that a later
    paper naming the author the folded way finds the kept author."""

    class Kind(models.TextChoices):
        NAME = "name", "Name"

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NAME)
    # A name as papers.names.name_key writes it.
    value = models.CharField(max_length=600)

    class Meta:
        indexes = [models.Index(fields=["kind", "value"], name="papers_authoralias_value")]

    def __str__(self):
        return f"{self.author_id}: {self.value}"


class AuthorSplit(models.Model):
    """Two authors of one name that a curator said are two people (``merge.split_author``):
    ingest never joins them again (``papers.authors`` folds authors that one record links,
    but not these). A merge moves the rows with the authors, like every link to Author."""

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="splits")
    other = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="split_from")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.author_id} is not {self.other_id}"


class Keyword(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="papers_keyword_name_ci")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("papers:keyword", args=[self.slug])


class Category(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(Lower("name"), name="papers_category_name_ci")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("papers:category", args=[self.slug])


class Funder(models.Model):
    name = models.CharField(max_length=500)
    # The Open Funder Registry DOI (10.13039/...), when Crossref gives one.
    # NULL, not "", when missing: the unique constraint must allow many funders without one.
    funder_doi = models.CharField(  # noqa: DJ001
        "funder registry DOI", max_length=100, null=True, blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("funder_doi", name="papers_funder_doi_unique"),
            # One funder per name (in any case) among those without a registry DOI, as both
            # import paths find them: two concurrent imports cannot create one twice.
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(funder_doi=None),
                name="papers_funder_name_without_doi_unique",
            ),
        ]
        indexes = [models.Index(Lower("name"), name="papers_funder_name_ci")]

    def __str__(self):
        return self.name


# Paper fields that lists, cards and the API list never show: not loaded by for_list().
LIST_DEFERRED = (
    "abstract",
    "summary",
    "search_document",
    "provenance",
    "locked_fields",
    "isbns",
    "metadata_error",
)


# The list orders as single sortable numbers (papers.filters.ORDERINGS, and the indexes in
# Paper.Meta on exactly these expressions). Each sorts like its columns with undated or
# unrated papers last, but without NULLs, so that an order is (key, id) and a cursor is
# one row comparison an index can seek to: (key, id) < (k, i).
# Newest: 2021-09-14 -> 20210914; a missing month or day is 0, last within its year or
# month; undated 0, last of all.
NEWEST_KEY = ExpressionWrapper(
    Coalesce("published_year", 0) * 10000
    + Coalesce("published_month", 0) * 100
    + Coalesce("published_day", 0),
    output_field=models.IntegerField(),
)
# Oldest: the same ascending, a missing part 99 (after any real one), undated 99999999.
OLDEST_KEY = ExpressionWrapper(
    Coalesce("published_year", 9999) * 10000
    + Coalesce("published_month", 99) * 100
    + Coalesce("published_day", 99),
    output_field=models.IntegerField(),
)
# Scores and citation counts are >= 0; unrated / unknown (NULL) sort after every value.
BEST_RATED_KEY = Coalesce("rating_score", -1.0, output_field=models.FloatField())
MOST_CITED_KEY = Coalesce("citation_count", -1, output_field=models.IntegerField())
# The columns the date keys are made of (held by their indexes, see Paper.Meta).
DATE_COLUMNS = ["published_year", "published_month", "published_day"]

# Each list order as one bigint, its *position*, that never sorts a row after one the order
# puts later (ties allowed): the order's key in the high bits, the id in the low POSITION_ID_BITS
# (ids stay below 2**34, 17 billion). The full-text GIN holds them (migration 0028), so that
# "the matches at or before the order's B-th row" is one range inside the index
# (papers.listing.Bounded); a key and an id apart would need an OR of comparisons, and
# a row comparison no GIN answers. Keys are capped at POSITION_KEY_CAP (rows at or above it
# tie, with the id bits full) so that the number never overflows.
POSITION_ID_BITS = 34
POSITION_KEY_CAP = 2**28
_ALL_ID_BITS = 2**POSITION_ID_BITS - 1


def _big(value):
    return models.Value(value, output_field=models.BigIntegerField())


def position(high, low=None):
    """``high * 2**POSITION_ID_BITS + low`` (default: the id) as a bigint expression,
    ``high`` capped."""
    low = F("id") if low is None else low
    capped = Least(high, models.Value(POSITION_KEY_CAP), output_field=models.BigIntegerField())
    low = models.Case(
        models.When(GreaterThanOrEqual(high, POSITION_KEY_CAP), then=_big(_ALL_ID_BITS)),
        default=low,
        output_field=models.BigIntegerField(),
    )
    return ExpressionWrapper(
        Cast(capped, models.BigIntegerField()) * _big(2**POSITION_ID_BITS) + low,
        output_field=models.BigIntegerField(),
    )


# Best rated is (score, count, id): the score in 1/1024ths of a star, then, for unrated
# papers only (key -1, a bucket of their own while scores are >= 0), the id; rated papers
# of one bucket tie (with the id bits full, so before the unrated ones).
BEST_RATED_POSITION = position(
    Floor(BEST_RATED_KEY * models.Value(1024.0)) + models.Value(2048),
    models.Case(
        models.When(Q(rating_score__isnull=True, rating_count=0), then=F("id")),
        default=_big(_ALL_ID_BITS),
        output_field=models.BigIntegerField(),
    ),
)
NEWEST_POSITION = position(NEWEST_KEY)
OLDEST_POSITION = position(OLDEST_KEY)
MOST_RATED_POSITION = position(F("rating_count"))
MOST_CITED_POSITION = position(MOST_CITED_KEY + models.Value(1))
# In the GIN's column order (migration 0028 builds it from this list).
LIST_POSITIONS = [
    NEWEST_POSITION,
    OLDEST_POSITION,
    BEST_RATED_POSITION,
    MOST_RATED_POSITION,
    MOST_CITED_POSITION,
]


# Authors a paper card names before "et al." (papers/_paper_card.html).
CARD_AUTHORS = 3


class PaperQuerySet(models.QuerySet):
    def with_doi(self, doi):
        """Papers with this (normalised) DOI, through the unique index on lower(doi)."""
        return self.alias(doi_lower=Lower("doi")).filter(doi_lower=doi.lower())

    def for_list(self):
        """Rows for lists and cards: journal joined, first authors and categories prefetched.

        Three queries whatever the number of rows: papers+journals, authorships+authors,
        categories. The long texts no list shows are left in the database (``LIST_DEFERRED``).
        """
        return (
            self.select_related("journal")
            .defer(*LIST_DEFERRED)
            .prefetch_related(
                Prefetch(
                    "authorships",
                    queryset=Authorship.objects.select_related("author").order_by("position"),
                ),
                "categories",
            )
        )

    def for_cards(self):
        """``for_list()`` for paper cards, which name three authors and "et al.": only the
        first CARD_AUTHORS + 1 authorships of each paper are loaded, as the list
        ``paper.card_authorships`` (a window function per paper), so a 3,000-author paper
        costs a card no more than a 4-author one.

        Three queries whatever the number of rows: papers+journals, first
        authorships+authors, categories.
        """
        first_authors = Authorship.objects.select_related("author").order_by("position")
        return (
            self.select_related("journal")
            .defer(*LIST_DEFERRED)
            .prefetch_related(
                Prefetch(
                    "authorships",
                    queryset=first_authors[: CARD_AUTHORS + 1],
                    to_attr="card_authorships",  # a sliced prefetch needs its own attribute
                ),
                "categories",
            )
        )

    def for_export(self):
        """What citations and exports read (``papers.citation``): journal joined, authors in
        order and keywords prefetched. Three queries whatever the number of rows."""
        return self.select_related("journal").prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            ),
            "keywords",
        )

    def for_page(self):
        """Everything the paper page shows, in a constant number of queries.

        paper+journal+rating summary (1), authorships+authors (1), keywords (1),
        categories (1), fundings+funders (1), notices (1).
        """
        return self.for_page_row().prefetch_related(*page_prefetches())

    def for_page_row(self):
        """The paper page's row alone (paper+journal+rating summary, one query): what a page
        served from its cached fragments needs. ``page_prefetches()`` loads the rest.

        ``lists_generation``: the shown run's ``page_generation`` (0 before the first run), a
        subquery of the same query; part of the fragments' cache key with ``content_version``.
        """
        generation = newest_finished_runs().values("page_generation")[:1]
        return self.select_related("journal", "rating_summary").annotate(
            lists_generation=Coalesce(models.Subquery(generation), 0)
        )

    def one_per_version_group(self):
        """Leave out the papers another version of the same work stands for in lists (a
        preprint whose published version is in the catalogue): one card per work."""
        return self.filter(Q(version_group__isnull=True) | Q(version_group=F("pk")))

    def bump_version(self):
        """Add one to ``content_version`` of every paper in this queryset, in ONE UPDATE;
        returns the number of papers. See ``Paper.content_version``."""
        return self.update(content_version=NEXT_VERSION)


def page_prefetches():
    """The relations the paper page shows, for ``prefetch_related(_objects)``: authorships
    with authors, keywords, categories, fundings with funders, notices (five queries)."""
    return (
        Prefetch(
            "authorships",
            queryset=Authorship.objects.select_related("author").order_by("position"),
        ),
        "keywords",
        "categories",
        Prefetch(
            "fundings", queryset=Funding.objects.select_related("funder").order_by("position")
        ),
        "notices",
    )


# The value that bumps Paper.content_version inside an UPDATE a write path runs anyway:
# ``Paper.objects.filter(pk=pk).update(rating_count=..., content_version=NEXT_VERSION)``.
NEXT_VERSION = F("content_version") + 1


class Paper(models.Model):
    class MetadataStatus(models.TextChoices):
        CURATED = "curated", "Entered by a curator"
        PENDING = "pending", "Waiting for metadata"
        FETCHING = "fetching", "Fetching metadata"
        FETCHED = "fetched", "Fetched"
        NOT_FOUND = "not_found", "Not found in any registry"
        FAILED = "failed", "Fetch failed"

    class EnrichmentStatus(models.TextChoices):
        NONE = "", "Not enriched yet"
        ENRICHED = "enriched", "Enriched from OpenAlex"
        SKIPPED = "skipped", "Skipped"
        NOT_FOUND = "not_found", "Not found in OpenAlex"
        FAILED = "failed", "Enrichment failed"

    # Fields a curator may lock against later imports (scalar fields and whole relations).
    LOCKABLE_FIELDS = (
        "title",
        "subtitle",
        "work_type",
        "work_subtype",
        "abstract",
        "summary",
        "published",
        "journal",
        "volume",
        "issue",
        "pages",
        "article_number",
        "language",
        "publisher",
        "license_url",
        "url",
        "isbns",
        "reference_count",
        "citation_count",
        "open_access_url",
        "authors",
        "funding",
        "categories",
        "keywords",
        "notices",
        "references",
    )

    # Stored normalised (lower case, no resolver prefix); unique whatever the case. NULL for
    # papers without a DOI (e.g. arXiv-only), which the unique constraint allows many of.
    doi = models.CharField("DOI", max_length=MAX_DOI_LENGTH, null=True, blank=True)  # noqa: DJ001
    # The OpenAlex work id ("W2121398592") once an OpenAlex import or enrichment gave it:
    # OpenAlex reference lists name the works they cite by it (papers.references).
    openalex_id = models.CharField("OpenAlex id", max_length=20, blank=True, editable=False)
    # The paper that stands for this one's version group (papers.version_groups): its
    # published version first; the same for every member, itself included. NULL while the
    # catalogue holds no other version of the work. Lists show one card per group.
    version_group = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    title = models.TextField()
    subtitle = models.TextField(blank=True)
    work_type = models.CharField(max_length=50, default="journal-article", db_index=True)
    work_subtype = models.CharField(max_length=50, blank=True)
    abstract = models.TextField(
        blank=True, help_text="Plain text; paragraphs separated by a blank line."
    )
    summary = models.TextField(
        blank=True, help_text="A short curated summary shown above the abstract."
    )
    # The publication date with the precision the source gives: year, year-month or full date.
    published_year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    published_month = models.PositiveSmallIntegerField(null=True, blank=True)
    published_day = models.PositiveSmallIntegerField(null=True, blank=True)
    journal = models.ForeignKey(
        Journal, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    volume = models.CharField(max_length=100, blank=True)
    issue = models.CharField(max_length=100, blank=True)
    pages = models.CharField(max_length=100, blank=True)
    article_number = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=20, blank=True)
    publisher = models.CharField(max_length=500, blank=True)
    # Shown as links: validate_link lets only plain http(s) in (papers.links).
    license_url = models.URLField("licence", max_length=500, blank=True, validators=[validate_link])
    url = models.URLField("landing page", max_length=1000, blank=True, validators=[validate_link])
    isbns = models.JSONField("ISBNs", default=list, blank=True)
    reference_count = models.PositiveIntegerField(null=True, blank=True)
    citation_count = models.PositiveIntegerField(null=True, blank=True)
    is_retracted = models.BooleanField(default=False, db_index=True)
    # A free full text (OpenAlex's best open-access location), when there is one.
    open_access_url = models.URLField(
        "open-access full text", max_length=1000, blank=True, validators=[validate_link]
    )

    # Each link records which source added it (PaperKeyword, PaperCategory), so that an
    # import replaces only its own links and leaves the other sources' and curators' alone.
    keywords = models.ManyToManyField(
        Keyword, through="PaperKeyword", blank=True, related_name="papers"
    )
    categories = models.ManyToManyField(
        Category, through="PaperCategory", blank=True, related_name="papers"
    )

    # Rating summary, stored so that lists can sort by it; recomputed by the reviews app.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    # The Bayesian average "Best rated" sorts by (reviews.ratings.bayesian_score); None: unrated.
    rating_score = models.FloatField(null=True, blank=True, editable=False)

    # Bumped (never set) by every write that changes what the paper page shows: the page's
    # reader-independent fragments are cached under it (portal.paper_fragments), so a new
    # version is a new page at once. One UPDATE for many papers:
    # papers.curation.bump_version(paper_ids); inside an UPDATE a write runs anyway:
    # ``content_version=NEXT_VERSION``.
    content_version = models.PositiveIntegerField(default=0, editable=False)

    # Author names, keywords, categories, journal and DOI as one text, for search.
    search_document = models.TextField(blank=True, editable=False)

    # Where the record's metadata stands; papers.metadata moves it along.
    metadata_status = models.CharField(
        max_length=20, choices=MetadataStatus.choices, default=MetadataStatus.CURATED
    )
    metadata_source = models.CharField(max_length=20, blank=True)  # "crossref", "datacite"
    # Indexed, as are metadata_retry_at and enriched_at: the sweep that finds due papers
    # (papers.metadata.papers_due_for_refresh) runs every minute and reads each in order.
    metadata_fetched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Failed or not found: when the next try is due. Pending or fetching: when the task is
    # taken for lost and enqueued again (a lease; see papers.metadata).
    metadata_retry_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Transient faults in a row (timeouts, 429s, 5xx); the fetch gives up at
    # METADATA_MAX_ATTEMPTS, and any other outcome starts the count again.
    metadata_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    metadata_error = models.TextField(blank=True)
    # The OpenAlex enrichment after a fetch (papers.enrichment): its own outcome, so that an
    # OpenAlex failure never marks the Crossref record failed.
    enrichment_status = models.CharField(
        max_length=20, choices=EnrichmentStatus.choices, default=EnrichmentStatus.NONE, blank=True
    )
    enriched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    enrichment_error = models.TextField(blank=True)
    # {field: {"source": "crossref", "at": ISO time}} for every imported field.
    provenance = models.JSONField(default=dict, blank=True)
    locked_fields = models.JSONField(default=list, blank=True)
    # Who added the paper by its DOI (site form or API); counted for their hourly limit.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="papers_added",
        editable=False,
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        # Undated papers last on every database (PostgreSQL puts NULLs first when descending).
        ordering = [
            F("published_year").desc(nulls_last=True),
            F("published_month").desc(nulls_last=True),
            F("published_day").desc(nulls_last=True),
            "-id",
        ]
        constraints = [models.UniqueConstraint(Lower("doi"), name="papers_paper_doi_ci_unique")]
        # One index per list order (papers.filters.ORDERINGS), on the same expressions: a
        # list walks it in order and stops after a page, and the API's cursor seeks into it.
        indexes = [
            # Each holds the columns of its key (PostgreSQL: INCLUDE) so that "the key of the
            # Nth row" (papers.listing._bounded_walk) is an index-only scan: an expression
            # alone is not, and reading 10,000 heap rows for it cost up to 0.4 s at 1M. The
            # version group too: lists show one card per work (one_per_version_group).
            models.Index(
                NEWEST_KEY.desc(),
                F("id").desc(),
                name="papers_paper_newest_key",
                include=[*DATE_COLUMNS, "version_group"],
            ),
            models.Index(
                OLDEST_KEY.asc(),
                F("id").asc(),
                name="papers_paper_oldest_key",
                include=[*DATE_COLUMNS, "version_group"],
            ),
            models.Index(
                BEST_RATED_KEY.desc(),
                F("rating_count").desc(),
                F("id").desc(),
                name="papers_paper_best_rated_key",
                include=["rating_score", "version_group"],
            ),
            models.Index(
                MOST_CITED_KEY.desc(),
                F("id").desc(),
                name="papers_paper_most_cited_key",
                include=["citation_count", "version_group"],
            ),
            # The ids of a narrowed list (an author's, a category's papers) sorted by date
            # from this index alone (papers.listing.narrow): for an author of 3,880 papers
            # at 1M, visiting their rows in the table was half of the page's time.
            models.Index(
                fields=["id"],
                name="papers_paper_id_dates",
                include=[*DATE_COLUMNS, "version_group"],
            ),
            models.Index(
                fields=["openalex_id"],
                name="papers_paper_openalex_id",
                condition=~Q(openalex_id=""),
            ),
            # A preprint's journal-ref finds the papers of its volume and year
            # (papers.journal_refs).
            models.Index(
                fields=["volume", "published_year"],
                name="papers_paper_volume_year",
                condition=~Q(volume=""),
            ),
            # A journal's page: its papers newest first, read in order from its own range.
            models.Index(
                F("journal"),
                NEWEST_KEY.desc(),
                F("id").desc(),
                name="papers_paper_journal_newest",
                condition=Q(journal__isnull=False),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.doi:
            return reverse("papers:paper-by-doi", args=[self.doi])
        return reverse("papers:paper", args=[self.pk])

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def work_type_label(self):
        return work_type_label(self.work_type, self.work_subtype)

    @property
    def published_display(self):
        """The date at the precision known: "2021", "2021-09" or "2021-09-14"."""
        parts = [self.published_year, self.published_month, self.published_day]
        if parts[0] is None:
            return ""
        shown = [f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:] if p is not None]
        return "-".join(shown)

    @property
    def pages_display(self):
        return self.pages or self.article_number

    @property
    def enrichment_display(self):
        """The OpenAlex enrichment in plain words for curators and readers; "" before any."""
        Enrichment = Paper.EnrichmentStatus
        if self.enrichment_status == Enrichment.ENRICHED:
            return "done"
        if self.enrichment_status == Enrichment.SKIPPED:
            return f"skipped: {self.enrichment_error}"
        if self.enrichment_status == Enrichment.NOT_FOUND:
            return "not found: OpenAlex does not know this DOI"
        if self.enrichment_status == Enrichment.FAILED:
            return f"failed: {self.enrichment_error}"
        return ""


class LinkSource(models.TextChoices):
    """Who linked a keyword or category to a paper. Each import replaces only its own links
    (papers.curation); curators' and authors' links stay."""

    CROSSREF = "crossref", "Crossref"
    DATACITE = "datacite", "DataCite"
    OPENALEX = "openalex", "OpenAlex"
    CURATOR = "curator", "Curator"
    AUTHOR = "author", "Author"


class PaperKeyword(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="keyword_links")
    keyword = models.ForeignKey(Keyword, on_delete=models.CASCADE, related_name="paper_links")
    # Links made by hand (the admin, a shell) are a curator's.
    source = models.CharField(max_length=20, choices=LinkSource.choices, default=LinkSource.CURATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint("paper", "keyword", name="papers_paperkeyword_unique")
        ]
        # A keyword's papers from the index alone (its page, its count, its probe).
        indexes = [models.Index(fields=["keyword", "paper"], name="papers_keyword_papers")]

    def __str__(self):
        return f"{self.keyword} ({self.get_source_display()})"


class PaperCategory(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="category_links")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="paper_links")
    source = models.CharField(max_length=20, choices=LinkSource.choices, default=LinkSource.CURATOR)

    class Meta:
        verbose_name_plural = "paper categories"
        constraints = [
            models.UniqueConstraint("paper", "category", name="papers_papercategory_unique")
        ]
        indexes = [models.Index(fields=["category", "paper"], name="papers_category_papers")]

    def __str__(self):
        return f"{self.category} ({self.get_source_display()})"


class Authorship(models.Model):
    """One author's place on one paper, with affiliations as written on that paper."""

    # No index of their own: (paper, position), (paper, author) and (author, paper) start
    # with them, and authorships are the largest table an import writes.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="authorships", db_index=False
    )
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="authorships", db_index=False
    )
    position = models.PositiveIntegerField()
    affiliations = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint("paper", "position", name="papers_authorship_position_unique")
        ]
        # An author's papers from the index alone (their page, its count, its probe).
        indexes = [
            models.Index(fields=["author", "paper"], name="papers_author_papers"),
            # The authors of many papers read from this index alone: an author page's
            # co-authors, at 1M papers, read 43,000 authorships of 3,900 papers in 14-23 ms
            # instead of a 400 ms table scan. (Not the unique index with INCLUDE: SQLite
            # would then have no unique constraint at all.)
            models.Index(fields=["paper", "author"], name="papers_paper_authors"),
        ]

    def __str__(self):
        return f"{self.author} on {self.paper_id} (#{self.position})"


class Funding(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="fundings")
    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, related_name="fundings")
    awards = models.JSONField("award numbers", default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint("paper", "funder", name="papers_funding_funder_unique")
        ]

    def __str__(self):
        awards = ", ".join(self.awards)
        return f"{self.funder} [{awards}]" if awards else str(self.funder)


# Who may add notices beside the record's own (Notice.source).
NOTICE_SOURCES = {"retraction_watch": "Retraction Watch"}


class Notice(models.Model):
    """A Crossmark update: a retraction, correction, new version... of or by this paper."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=50)
    doi = models.CharField("notice DOI", max_length=MAX_DOI_LENGTH)
    date = models.DateField(null=True, blank=True)
    # "updated-by": the notice DOI updates this paper; "update-to": this paper updates it.
    direction = models.CharField(max_length=20)
    label = models.CharField(max_length=200, blank=True)
    # "" for the notices of the paper's own record (each import replaces those); another
    # source's notices (NOTICE_SOURCES) stay until that source changes them.
    source = models.CharField(max_length=30, blank=True, default="")
    reason = models.TextField(blank=True, help_text="Why, as the source gives it.")
    url = models.URLField(
        "notice link",
        max_length=1000,
        blank=True,
        validators=[validate_link],
        help_text="Where the source tells the story (e.g. a Retraction Watch post).",
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                "paper", "kind", "doi", "direction", name="papers_notice_unique"
            )
        ]

    def __str__(self):
        return f"{self.label or self.kind}: {self.doi}"

    @property
    def is_retraction(self):
        return self.direction == "updated-by" and self.kind in {
            "retraction",
            "withdrawal",
            "removal",
        }


class VectorSpace(models.Model):
    """One fitted way of turning a paper's text into a vector (``papers.vectors``).

    The vocabularies, their weights and the topic axes live in a file of the storage
    (``file``: a NumPy archive and JSON, read without pickle), written by a full rebuild.
    Vectors of different spaces are not comparable: every PaperVector and VectorIndex row
    names its space, and a RecommendationRun the space its lists were computed in.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    file = models.CharField(max_length=300, help_text="name of the model file in the storage")
    dimensions = models.PositiveSmallIntegerField(default=0)
    paper_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"Vector space {self.pk} ({self.paper_count} papers)"


class PaperVector(models.Model):
    """One paper's vectors in one space, as data any process reads: the dense vector
    (float32 bytes; what the nearest-neighbour index holds) and the sparse word and tag
    weights (int32 column numbers and float32 weights) that score candidates exactly and
    name the shared topics. Written by a rebuild and whenever the paper is placed."""

    space = models.ForeignKey(VectorSpace, on_delete=models.CASCADE, related_name="vectors")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="vectors")
    dense = models.BinaryField()
    term_columns = models.BinaryField()
    term_weights = models.BinaryField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "paper"], name="papers_vector_once_per_space")
        ]
        indexes = [models.Index(fields=["space", "updated_at"], name="papers_vector_fresh")]

    def __str__(self):
        return f"Vector of paper {self.paper_id} in space {self.space_id}"


class PaperEmbedding(models.Model):
    """One paper's sentence embedding by one model (``papers.embeddings``, the optional
    extra): the unit-length vector of its title and abstract as float32 bytes, and the hash
    of the text it was computed from, so that a paper whose text changed is encoded again
    and one whose text did not is not."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="embeddings")
    model = models.CharField(max_length=100)
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "paper"], name="papers_embedding_once")
        ]
        # The embeddings written since the last index build (papers.vectors).
        indexes = [models.Index(fields=["model", "updated_at"], name="papers_embedding_fresh")]

    def __str__(self):
        return f"Embedding of paper {self.paper_id} by {self.model}"


class VectorIndex(models.Model):
    """One build of the approximate nearest-neighbour index of a space: its file in the
    storage (``file``), the library that wrote it, and from when vectors may be missing
    from it (``vectors_read_at``: the vectors updated since are searched exactly beside
    it). The newest row of the current space is the version every process loads."""

    space = models.ForeignKey(VectorSpace, on_delete=models.CASCADE, related_name="indexes")
    file = models.CharField(max_length=300, help_text="name of the index file in the storage")
    embeddings_file = models.CharField(
        max_length=300,
        blank=True,
        help_text="name of the index of the papers' sentence embeddings, built beside it "
        "(empty without the embedding extra)",
    )
    library = models.CharField(max_length=50)
    paper_count = models.PositiveIntegerField(default=0)
    vectors_read_at = models.DateTimeField()
    built_at = models.DateTimeField(auto_now_add=True)
    build_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "vector indexes"

    def __str__(self):
        return f"Vector index {self.pk} of space {self.space_id} ({self.paper_count} papers)"


class ReferenceQuerySet(models.QuerySet):
    def for_list(self, paper_id):
        """A paper's reference list in its order, each with the cited catalogue paper (and
        its journal) joined when known: one query."""
        return (
            self.filter(citing_id=paper_id)
            .select_related("cited", "cited__journal")
            .defer(*(f"cited__{name}" for name in LIST_DEFERRED))
            .order_by("position")
        )

    def unresolved(self):
        return self.filter(cited__isnull=True)

    def pages_linked(self, paper_ids):
        """The papers whose "References" or "Cited by" blocks show any of ``paper_ids``
        (ids, or a queryset of ids): the papers citing them and the catalogue papers they
        cite, as a queryset of ids (a subquery for ``curation.bump_version``)."""
        citing = self.filter(cited_id__in=paper_ids).values("citing_id")
        cited = self.filter(citing_id__in=paper_ids, cited__isnull=False).values("cited_id")
        return Paper.objects.filter(Q(pk__in=citing) | Q(pk__in=cited)).values_list("pk", flat=True)


class Reference(models.Model):
    """One entry of a paper's reference list, as its record gives it (papers.references).

    ``cited`` is the catalogue paper it names (by DOI, or by OpenAlex id), set when the
    list is stored or later, when the cited paper arrives; NULL while the catalogue does
    not hold it (the page then links the DOI at doi.org, or shows the entry's text).
    """

    citing = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveIntegerField()
    cited = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="cited_by_links"
    )
    # Lower case like Paper.doi; "" when the entry gives none.
    doi = models.CharField("DOI", max_length=MAX_DOI_LENGTH, blank=True)
    openalex_id = models.CharField("OpenAlex id", max_length=20, blank=True)
    text = models.TextField(blank=True, help_text="The citation as printed (unstructured).")
    author = models.CharField(max_length=300, blank=True)
    year = models.CharField(max_length=20, blank=True)
    title = models.TextField(blank=True)
    container = models.TextField("journal", blank=True)
    volume = models.CharField(max_length=50, blank=True)
    first_page = models.CharField(max_length=50, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["citing", "position"]
        constraints = [
            models.UniqueConstraint("citing", "position", name="papers_reference_position_unique")
        ]
        indexes = [
            # "Cited by": a paper's citing papers from the index alone.
            models.Index(fields=["cited", "citing"], name="papers_reference_cited_by"),
            # A paper that arrives finds the entries waiting for it (papers.references).
            models.Index(
                fields=["doi"],
                name="papers_reference_waiting_doi",
                condition=Q(cited__isnull=True) & ~Q(doi=""),
            ),
            models.Index(
                fields=["openalex_id"],
                name="papers_reference_waiting_oa",
                condition=Q(cited__isnull=True) & ~Q(openalex_id=""),
            ),
        ]

    def __str__(self):
        return f"{self.citing_id} #{self.position}: {self.doi or self.openalex_id or self.label}"

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def openalex_url(self):
        return f"https://openalex.org/{self.openalex_id}" if self.openalex_id else ""

    @property
    def label(self):
        """The entry as text, for an entry the catalogue does not hold: its printed
        citation, else its fields joined ("Bonke (2003). APL regulates ... Nature 426, 181")."""
        if self.text:
            return self.text
        head = (
            f"{self.author} ({self.year})"
            if self.author and self.year
            else self.author or self.year
        )
        where = " ".join(part for part in (self.container, self.volume) if part)
        if where and self.first_page:
            where = f"{where}, {self.first_page}"
        parts = [part for part in (head, self.title, where) if part]
        return ". ".join(parts) or self.doi or self.openalex_id


class JournalRef(models.Model):
    """Where a preprint says it was published, without a DOI (arXiv's journal-ref), read
    into volume, first page and year (papers.journal_refs). Kept until a catalogue paper of
    that volume, page, year and title is found (``linked``): then a ``VersionLink`` joins the
    two like any version relation, and a curator unlinks it the same way."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="journal_ref")
    text = models.CharField(max_length=500)
    volume = models.CharField(max_length=50)
    # The first page or article number, without leading zeros ("013009" -> "13009").
    page = models.CharField(max_length=50)
    year = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=20, choices=LinkSource.choices)
    linked = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # A journal paper that arrives finds the preprints waiting for its volume.
            models.Index(
                fields=["volume", "page"],
                name="papers_journalref_waiting",
                condition=Q(linked__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.paper_id}: {self.text}"


class VersionLink(models.Model):
    """A record's (or a curator's) statement that another DOI is a version of the same work:
    "<paper> <relation> <doi>" (papers.version_groups).

    ``related`` is that DOI's catalogue paper, set when the link is stored or later, when
    the paper arrives. A link a curator unlinked stays as a row with ``removed`` set, so that
    no later import of either record links the two again.
    """

    class Relation(models.TextChoices):
        IS_PREPRINT_OF = "is-preprint-of", "is a preprint of"
        HAS_PREPRINT = "has-preprint", "has the preprint"
        IS_VERSION_OF = "is-version-of", "is a version of"
        HAS_VERSION = "has-version", "has the version"
        IS_IDENTICAL_TO = "is-identical-to", "is identical to"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="version_links")
    relation = models.CharField(max_length=20, choices=Relation.choices)
    doi = models.CharField("DOI", max_length=MAX_DOI_LENGTH)  # lower case, like Paper.doi
    related = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, choices=LinkSource.choices)
    removed = models.BooleanField(
        default=False, help_text="Unlinked by a curator: no import links the two again."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint("paper", "doi", name="papers_versionlink_unique")]
        indexes = [
            # A paper that arrives finds the links waiting for it.
            models.Index(
                fields=["doi"], name="papers_versionlink_waiting", condition=Q(related__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.paper_id} {self.relation} {self.doi}"


class RecommendationRun(models.Model):
    """One full computation of related-paper lists.

    Pages read the rows of the newest finished run only, so a rebuild that dies half-way
    leaves the previous lists in place; the run that replaces them deletes the older rows.
    The run names the vector space it was computed in (``space``): the model and the
    paper vectors that any worker on any machine uses to place a new paper.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paper_count = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    space = models.ForeignKey(
        VectorSpace, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    compared_with = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the run pages read when this one started: its lists are compared with it",
    )
    page_generation = models.PositiveIntegerField(
        default=0,
        help_text="part of every paper page's cache key while this run is shown: a run that "
        "changes many lists, or whose lists were not compared, takes the shown run's plus one "
        "(every page's fragments rendered anew) instead of bumping each paper's version",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self):
        return f"Recommendation run {self.pk} ({self.get_status_display()})"


class RebuildChunk(models.Model):
    """One share of a rebuild: the lists of the run's papers with ids from ``first_paper_id``
    to ``last_paper_id``, computed by one Celery task (``papers.recommend``). The task
    that finishes the last chunk finishes the run; a chunk computed twice is written once."""

    run = models.ForeignKey(RecommendationRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    first_paper_id = models.BigIntegerField()
    last_paper_id = models.BigIntegerField()
    paper_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    changed = models.JSONField(
        default=list, blank=True, help_text="ids of the papers whose list this run changes"
    )

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="papers_rebuild_chunk_once")
        ]

    def __str__(self):
        return f"Chunk {self.number} of recommendation run {self.run_id}"


def newest_finished_runs():
    """Finished runs, the shown one (the newest) first."""
    finished = RecommendationRun.objects.filter(status=RecommendationRun.Status.FINISHED)
    return finished.order_by("-finished_at", "-id")


class RelatedPaperQuerySet(models.QuerySet):
    def current(self):
        """Rows of the newest finished run (a subquery: reading a list stays one query)."""
        return self.filter(run=models.Subquery(newest_finished_runs().values("pk")[:1]))

    def for_paper(self, paper_id):
        """The shown list of one paper: current run, no retracted paper, best first; never
        another version of the paper's own work, and of another work only the version that
        stands for it (papers.version_groups).

        One query: the rows with their papers and journals joined.
        """
        own_group = Paper.objects.filter(pk=paper_id, version_group__isnull=False)
        return (
            self.current()
            .filter(paper_id=paper_id, related__is_retracted=False)
            .filter(
                Q(related__version_group__isnull=True) | Q(related__version_group=F("related_id"))
            )
            .exclude(related__version_group__in=own_group.values("version_group"))
            .select_related("related", "related__journal")
            .defer(*(f"related__{name}" for name in LIST_DEFERRED))
            .order_by("rank")
        )


class RelatedPaper(models.Model):
    """One entry of a paper's ranked "Recommended" list, with why it is there."""

    class Reason(models.TextChoices):
        CONTENT = "content", "Similar topic"
        AUTHORS = "authors", "Shares authors"
        CO_RATED = "co_rated", "Rated highly by the same readers"
        CITATIONS = "citations", "Citation links"
        CATEGORY_BEST = "category_best", "Best rated recent paper in the same category"
        CATALOGUE_BEST = "catalogue_best", "Best rated recent paper"

    run = models.ForeignKey(RecommendationRun, on_delete=models.CASCADE, related_name="rows")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reason = models.CharField(max_length=20, choices=Reason)
    # The human half of the reason: the shared topic words, the shared author's name...
    detail = models.CharField(max_length=300, blank=True)

    objects = RelatedPaperQuerySet.as_manager()

    class Meta:
        ordering = ["run", "paper", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "paper", "related"], name="papers_related_once_per_list"
            )
        ]
        indexes = [models.Index(fields=["run", "paper", "rank"], name="papers_related_list")]

    def __str__(self):
        return f"{self.paper_id} -> {self.related_id} ({self.reason})"

    @property
    def reason_display(self):
        label = self.get_reason_display()
        return f"{label}: {self.detail}" if self.detail else label
