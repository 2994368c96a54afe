"""The curators' admin for the catalogue.

Papers: search by title, DOI and author; filters; ordered authorship and funding inlines;
provenance and where the metadata stands shown read-only; field locks as checkboxes; a
"Refresh metadata" action that calls ``papers.metadata.request_refresh``. Authors,
journals, keywords and categories: paper counts (annotated, one query per page) and a
"merge" action that asks which row to keep, then calls ``papers.merge``.
"""

from django import forms
from django.contrib import admin, messages
from django.db import IntegrityError, models
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.db.models.functions import Lower
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from papers import curation, merge, metadata, references, version_groups
from papers.models import (
    Author,
    AuthorAlias,
    Authorship,
    AuthorSplit,
    Category,
    Funder,
    Funding,
    Journal,
    JournalRef,
    Keyword,
    LinkSource,
    Notice,
    Paper,
    PaperCategory,
    PaperKeyword,
    RebuildChunk,
    RecommendationRun,
    Reference,
    VersionLink,
)
from papers.records import RecordError, normalize_doi

# --- papers ---


class PaperAdminForm(forms.ModelForm):
    locked_fields = forms.MultipleChoiceField(
        choices=[(name, name.replace("_", " ")) for name in Paper.LOCKABLE_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Locked fields",
        help_text="Imports never overwrite a locked field (or list, such as authors).",
    )

    class Meta:
        model = Paper
        fields = ["doi", "locked_fields"]  # the admin adds the rest from its fieldsets

    def clean_doi(self):
        value = (self.cleaned_data.get("doi") or "").strip()
        if not value:
            return None  # NULL, not "": the unique constraint allows many papers without one
        try:
            doi = normalize_doi(value)
        except RecordError as error:
            raise forms.ValidationError(str(error)) from None
        # The database compares DOIs case-insensitively; say so here rather than fail on save.
        other = Paper.objects.filter(doi__iexact=doi).exclude(pk=self.instance.pk).first()
        if other:
            raise forms.ValidationError(
                f"Another paper already has this DOI: “{other}” (id {other.pk})."
            )
        return doi

    def clean_locked_fields(self):
        chosen = set(self.cleaned_data["locked_fields"])
        return [name for name in Paper.LOCKABLE_FIELDS if name in chosen]


class AuthorshipForm(forms.ModelForm):
    def _get_validation_exclusions(self):
        # Positions are checked across the whole formset (AuthorshipFormSet.clean), so that
        # swapping two authors is not refused because the other row still holds the number.
        exclude = super()._get_validation_exclusions()
        exclude.add("position")
        return exclude


class AuthorshipFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            position = form.cleaned_data.get("position")
            if position is None:
                continue  # the form itself reports the missing position
            if position in seen:
                raise forms.ValidationError(f"Two authorships have position {position}.")
            seen.add(position)

    def save(self, commit=True):
        # Rows that change position (or go) first step aside, above every position in use,
        # so that the row-by-row saves never collide on the (paper, position) constraint.
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if form in self.deleted_forms or "position" in form.changed_data
        ]
        if commit and moving:
            top = self.instance.authorships.aggregate(top=Max("position"))["top"] or 0
            wanted = [f.cleaned_data.get("position") or 0 for f in self.forms if f.cleaned_data]
            step = max([top, *wanted]) + 1
            Authorship.objects.filter(pk__in=moving).update(position=F("position") + step)
        return super().save(commit=commit)


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    form = AuthorshipForm
    formset = AuthorshipFormSet
    fields = ["position", "author", "affiliations"]
    autocomplete_fields = ["author"]
    ordering = ["position"]
    extra = 0

    def get_queryset(self, request):
        # Each row prints its authorship (author name): join, not one query per row.
        return super().get_queryset(request).select_related("author")


class FundingInline(admin.TabularInline):
    model = Funding
    fields = ["position", "funder", "awards"]
    autocomplete_fields = ["funder"]
    ordering = ["position"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("funder")


class LinkInline(admin.TabularInline):
    """A paper's keywords or categories, each with the source that linked it.

    Rows a curator adds or changes become the curator's, so no import takes them away.
    """

    readonly_fields = ["source"]
    extra = 0
    term = ""  # "keyword" or "category"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(self.term)


class KeywordInline(LinkInline):
    model = PaperKeyword
    term = "keyword"
    fields = ["keyword", "source"]
    autocomplete_fields = ["keyword"]
    verbose_name, verbose_name_plural = "keyword", "keywords"


class CategoryInline(LinkInline):
    model = PaperCategory
    term = "category"
    fields = ["category", "source"]
    autocomplete_fields = ["category"]
    verbose_name, verbose_name_plural = "category", "categories"


class NoticeInline(admin.TabularInline):
    """Crossmark notices come from the record (and decide ``is_retracted``): shown, not edited."""

    model = Notice
    fields = readonly_fields = [
        "label",
        "kind",
        "direction",
        "doi",
        "date",
        "source",
        "reason",
        "url",
    ]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReferenceInline(admin.TabularInline):
    """The paper's reference list as its record gave it (papers.references): shown, not
    edited; the next import of the record replaces it."""

    model = Reference
    fk_name = "citing"
    fields = readonly_fields = ["position", "cited_paper", "doi", "openalex_id", "entry"]
    extra = 0
    can_delete = False
    verbose_name, verbose_name_plural = "reference", "references (from the record)"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("cited").order_by("position")

    @admin.display(description="in the catalogue")
    def cited_paper(self, ref):
        if ref.cited is None:
            return "-"
        url = reverse("admin:papers_paper_change", args=[ref.cited_id])
        return format_html('<a href="{}">{}</a>', url, ref.cited.title)

    @admin.display(description="entry")
    def entry(self, ref):
        return ref.label


class JournalListFilter(admin.SimpleListFilter):
    """The journals with most papers; a filter listing every journal would not fit a page.

    Any journal can still be chosen through its paper count on the journal list, which links
    here with the same parameter.
    """

    title = "journal (most papers)"
    parameter_name = "journal__id__exact"
    shown = 15

    def lookups(self, request, model_admin):
        journals = list(
            Journal.objects.annotate(paper_count=Count("papers"))
            .filter(paper_count__gt=0)
            .order_by("-paper_count", "title")[: self.shown]
        )
        choices = [(str(j.pk), f"{j.title} ({j.paper_count})") for j in journals]
        selected = self.value()
        if selected and selected not in {pk for pk, _ in choices}:
            current = Journal.objects.filter(pk=selected if selected.isdigit() else None).first()
            if current:
                choices.insert(0, (selected, current.title))
        return choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(journal_id=self.value())
        return queryset


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    form = PaperAdminForm
    # A pasted "example.org/paper" means https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "title",
        "doi",
        "work_type",
        "published_year",
        "journal",
        "is_retracted",
        "metadata_status",
        "rating_count",
    ]
    list_select_related = ["journal"]
    list_filter = [
        "work_type",
        "published_year",
        JournalListFilter,
        "is_retracted",
        "metadata_status",
    ]
    # Author names go through a to-many join; the changelist removes the duplicate rows.
    search_fields = ["title", "doi", "authorships__author__name"]
    search_help_text = "Title, DOI (or a doi.org link) or an author's name."
    ordering = ["-published_year", "-id"]
    autocomplete_fields = ["journal"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "provenance_table",
        "is_retracted",
        "rating_average",
        "rating_count",
        "created_at",
        "updated_at",
        # The fetch task writes these; a curator asks for a refresh instead (the action).
        "metadata_status",
        "metadata_source",
        "metadata_fetched_at",
        "metadata_retry_at",
        "metadata_error",
        "enrichment_status",
        "enriched_at",
        "enrichment_error",
    ]
    inlines = [
        AuthorshipInline,
        KeywordInline,
        CategoryInline,
        FundingInline,
        NoticeInline,
        ReferenceInline,
    ]
    actions = ["refresh_metadata"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "subtitle",
                    "doi",
                    ("work_type", "work_subtype"),
                    ("published_year", "published_month", "published_day"),
                ]
            },
        ),
        (
            "Where it appeared",
            {"fields": ["journal", ("volume", "issue", "pages", "article_number"), "publisher"]},
        ),
        ("Content", {"fields": ["abstract", "summary", "language"]}),
        (
            "Links and counts",
            {
                "fields": [
                    "url",
                    "open_access_url",
                    "license_url",
                    "isbns",
                    ("reference_count", "citation_count"),
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "is_retracted",
                    ("rating_average", "rating_count"),
                    ("created_at", "updated_at"),
                ]
            },
        ),
        (
            "Metadata",
            {
                "fields": [
                    ("metadata_status", "metadata_source"),
                    ("metadata_fetched_at", "metadata_retry_at"),
                    "metadata_error",
                    ("enrichment_status", "enriched_at"),
                    "enrichment_error",
                ],
                "description": "Where the record from Crossref or DataCite stands, and the "
                "OpenAlex enrichment that follows it (keywords, categories, open-access link). "
                "To fetch both again, use “Refresh metadata” on the paper list.",
            },
        ),
        ("Imports", {"fields": ["provenance_table", "locked_fields"]}),
    ]

    @admin.display(description="Provenance")
    def provenance_table(self, paper):
        if not paper.provenance:
            return "Nothing imported yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (name.replace("_", " "), entry.get("source", "?"), entry.get("at", "?"))
                for name, entry in sorted(paper.provenance.items())
                if isinstance(entry, dict)
            ),
        )
        return format_html(
            '<table class="provenance"><thead><tr><th scope="col">Field</th>'
            '<th scope="col">Source</th><th scope="col">Time</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.action(description="Refresh metadata", permissions=["change"])
    def refresh_metadata(self, request, queryset):
        ids = list(queryset.exclude(doi=None).values_list("pk", flat=True))
        skipped = queryset.filter(doi=None).count()
        if ids:
            count = metadata.request_refresh(ids)
            self.message_user(
                request, f"Metadata refresh requested for {_papers(count)}.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"Skipped {_papers(skipped)} without a DOI: there is no record to fetch.",
                messages.WARNING,
            )

    def get_search_results(self, request, queryset, search_term):
        # A pasted "https://doi.org/10.1/ABC" is searched as the stored form "10.1/abc".
        try:
            search_term = normalize_doi(search_term)
        except RecordError:
            pass
        return super().get_search_results(request, queryset, search_term)

    def save_formset(self, request, form, formset, change):
        if formset.model not in curation.LINKS:
            return super().save_formset(request, form, formset, change)
        # Keyword and category rows are read here and written by papers.curation: a row
        # added or re-pointed links its term as the curator's (no import takes it away), a
        # row deleted or re-pointed unlinks the term it had.
        formset.save(commit=False)  # lists the rows for the change message; writes nothing
        term, _ = curation.LINKS[formset.model]
        added, removed = [], []
        for link_form in formset.forms:
            if not link_form.has_changed():
                continue
            if link_form.instance.pk is not None:
                removed.append(link_form.initial[term])
            if not formset._should_delete_form(link_form):
                added.append(link_form.cleaned_data[term])
        paper, curator = form.instance, LinkSource.CURATOR
        curation.remove_links(paper, formset.model, removed, source=curator)
        curation.add_links(paper, formset.model, added, source=curator)
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        edited = {
            curation.RELATIONS[fs.model]
            for fs in formsets
            if fs.model in curation.RELATIONS and fs.has_changed()
        }
        curation.record_edit(
            form.instance,
            {*form.changed_data, *edited},
            source=LinkSource.CURATOR,
            by=request.user,
        )
        if not change or "doi" in form.changed_data:
            # Reference lists stored earlier that cite this DOI link the paper.
            references.link_arrivals([form.instance])
            # Version links stored earlier that name this DOI join its group.
            version_groups.link_arrivals([form.instance])

    def delete_model(self, request, obj):
        # The pages citing it, and those it cites, stop showing it; its versions regroup.
        references.bump_pages_linked([obj.pk])
        version_groups.regroup_after_delete([obj.pk])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        references.bump_pages_linked(queryset.values("pk"))
        version_groups.regroup_after_delete(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)


def _papers(count):
    return f"{count} paper" if count == 1 else f"{count} papers"


# --- merging duplicates ---


def confirm_and_merge(modeladmin, request, queryset, *, merge_function, describe):
    """The merge action: a confirmation page choosing the row to keep, then the merge.

    ``queryset`` carries ``paper_count`` (from the admin's get_queryset); ``describe(row)``
    gives the detail shown beside each row so the curator can tell them apart.
    """
    opts = modeladmin.model._meta
    rows = sorted(queryset, key=lambda row: (-row.paper_count, row.pk))
    if len(rows) < 2:
        modeladmin.message_user(
            request, f"Select at least two {opts.verbose_name_plural} to merge.", messages.WARNING
        )
        return None
    if "apply" in request.POST:
        by_id = {str(row.pk): row for row in rows}
        keep = by_id.get(request.POST.get("keep", ""))
        if keep is None:
            modeladmin.message_user(
                request, f"Choose the {opts.verbose_name} to keep.", messages.ERROR
            )
            return None
        others = [row for row in rows if row is not keep]
        try:
            result = merge_function(keep=keep, others=others)
        except (merge.MergeRefused, IntegrityError) as error:
            modeladmin.message_user(request, f"Not merged: {error}", messages.ERROR)
            return None
        modeladmin.message_user(
            request,
            f"Merged {len(rows)} {opts.verbose_name_plural} into “{result.kept}”: {result}.",
            messages.SUCCESS,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Merge {opts.verbose_name_plural}",
        "subtitle": None,
        "opts": opts,
        "rows": [(row, describe(row), row is rows[0]) for row in rows],
        "action": request.POST.get("action", ""),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/papers/merge_confirm.html", context)


class CountedAdmin(admin.ModelAdmin):
    """A catalogue list with a paper count per row, annotated in one query."""

    paper_count_of = "papers"  # the relation to count papers through
    paper_lookup = None  # Paper's lookup of a row: the papers whose pages show it

    def save_model(self, request, obj, form, change):
        # A renamed journal, author, keyword, category or funder is on its papers' pages:
        # their versions go up with it (papers.curation.bump_version, one UPDATE).
        super().save_model(request, obj, form, change)
        if change:
            curation.bump_version(self.papers_showing(obj))

    def delete_model(self, request, obj):
        paper_ids = list(self.papers_showing(obj).values_list("pk", flat=True))
        super().delete_model(request, obj)
        curation.bump_version(paper_ids)

    def delete_queryset(self, request, queryset):
        paper_ids = list(
            Paper.objects.filter(**{f"{self.paper_lookup}__in": queryset}).values_list(
                "pk", flat=True
            )
        )
        super().delete_queryset(request, queryset)
        curation.bump_version(paper_ids)

    def papers_showing(self, obj):
        return Paper.objects.filter(**{self.paper_lookup: obj}).values("pk")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name == "autocomplete":
            return qs  # the autocomplete box shows names only; skip the GROUP BY
        return qs.annotate(paper_count=Count(self.paper_count_of, distinct=True))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, row):
        return row.paper_count

    def has_merge_permission(self, request):
        # A merge changes one row and deletes the others: it needs both rights.
        return self.has_change_permission(request) and self.has_delete_permission(request)


@admin.register(Journal)
class JournalAdmin(CountedAdmin):
    list_display = ["title", "issn_print", "issn_electronic", "publisher", "paper_count"]
    search_fields = ["title", "issn_print", "issn_electronic"]
    actions = ["merge_journals"]
    paper_lookup = "journal"

    def papers_showing(self, obj):
        # Its papers, and the papers whose "Recommended" lists show one of them with it.
        papers = super().papers_showing(obj)
        return Paper.objects.filter(
            Q(pk__in=papers) | Q(pk__in=curation.pages_listing(papers))
        ).values("pk")

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, journal):
        # Links to the paper list filtered by this journal (JournalListFilter's parameter).
        url = reverse("admin:papers_paper_changelist")
        return format_html(
            '<a href="{}?journal__id__exact={}">{}</a>', url, journal.pk, journal.paper_count
        )

    @admin.action(description="Merge selected journals into one", permissions=["merge"])
    def merge_journals(self, request, queryset):
        return confirm_and_merge(
            self,
            request,
            queryset,
            merge_function=merge.merge_journals,
            describe=lambda j: ", ".join([*j.issns, j.publisher]) or "no ISSN",
        )


class NamesakeFilter(admin.SimpleListFilter):
    """Authors whose name another author bears too: the ones to look at for a merge (the
    conservative match keeps namesakes apart when nothing ties them; papers.authors)."""

    title = "namesakes"
    parameter_name = "namesakes"

    def lookups(self, request, model_admin):
        return [("yes", "Another author has the same name")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        same_name = Author.objects.alias(lower_name=Lower("name")).filter(
            lower_name=Lower(OuterRef("name"))
        )
        return queryset.filter(Exists(same_name.exclude(pk=OuterRef("pk")))).order_by(
            Lower("name"), "pk"
        )


class AuthorAliasInline(admin.TabularInline):
    """The other names a merge left (read by ingest's match); a wrong one can be deleted."""

    model = AuthorAlias
    fields = ["kind", "value"]
    extra = 0
    verbose_name_plural = "Other names (from merges), matched by later imports"


class AuthorSplitInline(admin.TabularInline):
    """The authors split off this one: imports never fold them back (``papers.authors``).
    Deleting a row lets a later paper that links the two fold them again."""

    model = AuthorSplit
    fk_name = "author"
    fields = ["other", "created_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "Split off (kept apart by imports)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Author)
class AuthorAdmin(CountedAdmin):
    list_display = [
        "name",
        "family_name",
        "given_name",
        "orcid",
        "openalex_id",
        "is_organization",
        "paper_count",
    ]
    list_filter = ["is_organization", NamesakeFilter]
    search_fields = ["name", "=orcid", "=openalex_id"]
    paper_count_of = "authorships__paper"
    paper_lookup = "authorships__author"
    actions = ["merge_authors", "split_author"]
    inlines = [AuthorAliasInline, AuthorSplitInline]

    @admin.action(
        description="Split one author's papers off to a new author", permissions=["change"]
    )
    def split_author(self, request, queryset):
        """A page listing the author's papers; those ticked go to a new author of the
        same name (``merge.split_author``)."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one author to split.", messages.WARNING)
            return None
        author = queryset.get()
        if "apply" in request.POST:
            try:
                new = merge.split_author(author, request.POST.getlist("paper"))
            except (merge.MergeRefused, ValueError) as error:
                self.message_user(request, f"Not split: {error}", messages.ERROR)
                return None
            count = Authorship.objects.filter(author=new).count()
            self.message_user(
                request,
                f"{_papers(count)} of “{author}” now belong to a new author (id {new.pk}).",
                messages.SUCCESS,
            )
            return None
        papers = (
            Paper.objects.filter(authorships__author=author)
            .distinct()
            .select_related("journal")
            .order_by("-published_year", "pk")
            .only("pk", "doi", "title", "published_year", "journal__title")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Split {author}",
            "subtitle": None,
            "opts": self.model._meta,
            "author": author,
            "papers": papers,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/papers/split_author.html", context)

    @admin.action(description="Merge selected authors into one", permissions=["merge"])
    def merge_authors(self, request, queryset):
        return confirm_and_merge(
            self,
            request,
            queryset,
            merge_function=merge.merge_authors,
            describe=lambda a: f"ORCID {a.orcid}" if a.orcid else "no ORCID",
        )


@admin.register(Keyword)
class KeywordAdmin(CountedAdmin):
    list_display = ["name", "slug", "paper_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge_keywords"]
    paper_lookup = "keywords"

    @admin.action(description="Merge selected keywords into one", permissions=["merge"])
    def merge_keywords(self, request, queryset):
        return confirm_and_merge(
            self,
            request,
            queryset,
            merge_function=merge.merge_keywords,
            describe=lambda k: k.slug,
        )


@admin.register(Category)
class CategoryAdmin(CountedAdmin):
    list_display = ["name", "slug", "paper_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge_categories"]
    paper_lookup = "categories"

    @admin.action(description="Merge selected categories into one", permissions=["merge"])
    def merge_categories(self, request, queryset):
        return confirm_and_merge(
            self,
            request,
            queryset,
            merge_function=merge.merge_categories,
            describe=lambda c: c.slug,
        )


@admin.register(Funder)
class FunderAdmin(CountedAdmin):
    list_display = ["name", "funder_doi", "paper_count"]
    search_fields = ["name", "funder_doi"]
    paper_count_of = "fundings__paper"
    paper_lookup = "fundings__funder"


# --- versions ---


class VersionLinkForm(forms.ModelForm):
    """A curator links two catalogue papers as versions of one work."""

    other_doi = forms.CharField(
        label="DOI of the other version",
        max_length=500,
        help_text="The paper must be in the catalogue (import it first).",
    )

    class Meta:
        model = VersionLink
        fields = ["paper", "relation"]

    def clean(self):
        cleaned = super().clean()
        paper = cleaned.get("paper")
        try:
            doi = normalize_doi(cleaned.get("other_doi") or "")
        except RecordError as error:
            raise forms.ValidationError({"other_doi": str(error)}) from error
        other = Paper.objects.with_doi(doi).first()
        if other is None:
            raise forms.ValidationError({"other_doi": "No paper in the catalogue has this DOI."})
        if paper is not None:
            try:
                version_groups.check_pair(paper, other)
            except version_groups.VersionRefused as error:
                raise forms.ValidationError(str(error)) from error
        cleaned["other"] = other
        return cleaned


@admin.register(JournalRef)
class JournalRefAdmin(admin.ModelAdmin):
    """Preprints naming their published version only as text (arXiv's journal-ref), as read
    (volume, first page, year) and the version found for each (``papers.journal_refs``).
    Read-only: imports write them; link or unlink the versions under Version links."""

    list_display = ["paper", "text", "volume", "page", "year", "linked", "source"]
    list_select_related = ["paper", "linked"]
    list_filter = [("linked", admin.EmptyFieldListFilter), "source"]
    search_fields = ["text", "paper__doi", "paper__title"]
    readonly_fields = ["paper", "text", "volume", "page", "year", "linked", "source", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VersionLink)
class VersionLinkAdmin(admin.ModelAdmin):
    """Version links as records and curators stated them. Add one to link two papers; the
    actions unlink (for good: the link stays, marked removed, so that no import links the
    two again) or link again. Deleting a link forgets it: a later import may state it again.
    """

    form = VersionLinkForm
    list_display = ["paper", "relation", "doi", "related", "source", "removed", "created_at"]
    list_select_related = ["paper", "related"]
    list_filter = ["relation", "source", "removed"]
    search_fields = ["doi", "paper__doi", "paper__title"]
    search_help_text = "DOI of either paper, or the title of the paper stating the link."
    raw_id_fields = ["paper"]
    actions = ["unlink_selected", "link_selected_again"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["paper", "relation", "doi", "related", "source", "removed", "created_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["paper", "relation", "other_doi"]
        return self.get_readonly_fields(request, obj)

    def delete_model(self, request, obj):
        version_groups.forget_links([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        version_groups.forget_links(list(queryset), by=request.user)

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only: the actions change links
        link = version_groups.link(
            form.cleaned_data["paper"],
            form.cleaned_data["other"],
            relation=obj.relation,
            by=request.user,
        )
        obj.pk, obj.doi, obj.related, obj.source = link.pk, link.doi, link.related, link.source
        obj._state.adding = False

    @admin.action(description="Unlink: not versions of one work", permissions=["change"])
    def unlink_selected(self, request, queryset):
        self._each_link(request, queryset, version_groups.remove_link, "Unlinked")

    @admin.action(description="Link again", permissions=["change"])
    def link_selected_again(self, request, queryset):
        self._each_link(request, queryset, version_groups.restore_link, "Linked again")

    def _each_link(self, request, queryset, change, done):
        links = list(queryset.select_related("paper", "related"))
        for version_link in links:
            change(version_link, by=request.user)
        self.message_user(request, f"{done}: {len(links)} version link(s).", messages.SUCCESS)


class RebuildChunkInline(admin.TabularInline):
    model = RebuildChunk
    fields = ["number", "first_paper_id", "last_paper_id", "paper_count", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RecommendationRun)
class RecommendationRunAdmin(admin.ModelAdmin):
    """Rebuilds of the related-papers lists, to follow one spreading over the workers (its
    chunks, done and to do) and to read why one failed. Read-only: the rebuild writes runs."""

    list_display = ["id", "status", "started_at", "finished_at", "paper_count", "progress"]
    list_filter = ["status"]
    fields = ["status", "started_at", "finished_at", "paper_count", "row_count", "space", "error"]
    readonly_fields = fields
    inlines = [RebuildChunkInline]

    def get_queryset(self, request):
        chunks = Count("chunks")
        done = Count("chunks", filter=Q(chunks__finished_at__isnull=False))
        return super().get_queryset(request).annotate(chunk_count=chunks, chunks_done=done)

    @admin.display(description="chunks done")
    def progress(self, run):
        return f"{run.chunks_done} of {run.chunk_count}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a run's rows are what pages show; the next rebuild replaces it
