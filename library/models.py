import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from papers.models import Paper

# Long enough for a page of reading notes; the API and the form refuse more with a 400.
NOTE_MAX_LENGTH = 10_000


class Note(models.Model):
    """A reader's private note on a paper: one per reader and paper, seen only by them.
    Deleted with the account (cascade) and part of its export (``notes.export_notes``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paper_notes"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="library_note_one_per_paper")
        ]

    def __str__(self):
        return f"Note by {self.user_id} on paper {self.paper_id}"


# A collection's name, description and an entry's note, as the forms and the API allow them.
COLLECTION_NAME_MAX_LENGTH = 200
COLLECTION_DESCRIPTION_MAX_LENGTH = 2_000
ENTRY_NOTE_MAX_LENGTH = 1_000
READING_LIST_NAME = "Reading list"


class Collection(models.Model):
    """A researcher's named list of papers. Every researcher has one default collection, the
    "Reading list" (``collections.reading_list``); others are made by hand or by an import.

    Private by default: only its owner and the users it is shared with for editing see it.
    A public collection is a read-only page anyone can open at its own URL."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=COLLECTION_NAME_MAX_LENGTH)
    description = models.TextField(
        blank=True, validators=[MaxLengthValidator(COLLECTION_DESCRIPTION_MAX_LENGTH)]
    )
    is_default = models.BooleanField(
        default=False, help_text="The owner's reading list: one per owner, never deleted."
    )
    is_public = models.BooleanField(
        default=False, help_text="Anyone with the link can read it (never edit it)."
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="shared_collections",
        help_text="Users the owner shares it with for editing: they add, remove and annotate "
        "entries; only the owner renames, publishes, shares or deletes it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="library_collection_name"),
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(is_default=True),
                name="library_collection_one_default",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("library:collection", args=[self.pk])


class Entry(models.Model):
    """A paper in a collection, at a position, with a short note and a read state."""

    class State(models.TextChoices):
        TO_READ = "to_read", "To read"
        READ = "read", "Read"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_entries")
    position = models.PositiveIntegerField(
        default=0, help_text="Order within the collection, smallest first."
    )
    note = models.CharField(max_length=ENTRY_NOTE_MAX_LENGTH, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.TO_READ)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "paper"], name="library_entry_once"),
        ]
        indexes = [models.Index(fields=["collection", "position"], name="library_entry_order")]

    def __str__(self):
        return f"Paper {self.paper_id} in collection {self.collection_id}"


class ImportJob(models.Model):
    """A reference manager's export (BibTeX, RIS or CSL-JSON) brought into a collection.

    Made by ``imports.start_import`` (queued, with the file's bytes), run once by
    ``imports.run_import`` in a worker (running, then done or failed). The counts say what
    became of the file's entries; the entries the portal could not place are ImportItem rows.
    The file's bytes are dropped once the job is done or failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        BIBTEX = "bibtex", "BibTeX"
        RIS = "ris", "RIS"
        CSL_JSON = "csl-json", "CSL-JSON"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_imports"
    )
    # The collection the papers go into; None until the job makes the new collection it was
    # given a name for (``collection_name``), or when the collection is deleted meanwhile.
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    collection_name = models.CharField(max_length=COLLECTION_NAME_MAX_LENGTH)
    new_collection = models.BooleanField(
        default=False, help_text="The job makes a new collection called collection_name."
    )
    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=Format.choices)
    content = models.BinaryField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Entries in the file.")
    linked = models.PositiveIntegerField(
        default=0, help_text="Entries whose DOI was in the catalogue already."
    )
    queued_for_fetch = models.PositiveIntegerField(
        default=0, help_text="Entries with a DOI new to the catalogue: fetched in the background."
    )
    matched_by_title = models.PositiveIntegerField(
        default=0, help_text="Entries without a DOI matched on title, year and first author."
    )
    unmatched = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(
        default=0, help_text="Entries that parsed but hold nothing to match on."
    )
    added = models.PositiveIntegerField(
        default=0, help_text="Papers put into the collection (not there before)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "created_at"], name="library_import_owner")]

    def __str__(self):
        return f"Import of {self.file_name} by {self.owner_id}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("library:import", args=[self.pk])

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportItem(models.Model):
    """One entry of an import's file that needs the user's eye: not matched, unreadable, or a
    DOI new to the catalogue whose metadata is fetched in the background (its ``paper``)."""

    class Kind(models.TextChoices):
        UNMATCHED = "unmatched", "Not in the catalogue"
        UNREADABLE = "unreadable", "Nothing to match on"
        FETCH = "fetch", "Fetched by DOI"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField(help_text="The entry's place in the file, from 1.")
    line = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.TextField(blank=True)
    doi = models.CharField(max_length=255, blank=True)
    reason = models.TextField(blank=True)
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["job", "number", "id"]
        indexes = [models.Index(fields=["job", "kind", "number"], name="library_import_items")]

    def __str__(self):
        return f"Entry {self.number} of import {self.job_id}"


# A saved search's name and its /papers/ query string, as the forms and the API allow them.
FOLLOW_NAME_MAX_LENGTH = 200
FOLLOW_QUERY_MAX_LENGTH = 2_000


def new_feed_token():
    return secrets.token_urlsafe(24)


class Follow(models.Model):
    """A reader follows an author, a journal, a category, a keyword or a saved search (any
    ``/papers/`` query): new papers matching it come in their digest, with the reason, and
    in the follow's own Atom feed. Private: only the reader sees it; the feed is read
    without a session at a URL holding ``feed_token``, an unguessable secret.

    Exactly the field of its ``kind`` is set (a check constraint): ``author``, ``journal``,
    ``category`` or ``keyword``, or ``query`` (the normalised query string, see
    ``follows.normalise_query``) and ``name`` for a search. One follow per reader and thing.

    ``alerted_until`` is the watermark: papers added to the catalogue (``Paper.created_at``)
    up to it have been alerted; a digest moves it forward in the transaction that logs it.
    """

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author"
        JOURNAL = "journal", "Journal"
        CATEGORY = "category", "Category"
        KEYWORD = "keyword", "Keyword"
        SEARCH = "search", "Saved search"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    author = models.ForeignKey(
        "papers.Author", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    journal = models.ForeignKey(
        "papers.Journal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "papers.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    keyword = models.ForeignKey(
        "papers.Keyword", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    query = models.CharField(max_length=FOLLOW_QUERY_MAX_LENGTH, blank=True)
    name = models.CharField(max_length=FOLLOW_NAME_MAX_LENGTH, blank=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    alerted_until = models.DateTimeField(
        help_text="Papers added to the catalogue up to this time have been alerted."
    )

    TARGET_FIELDS = {
        Kind.AUTHOR: "author",
        Kind.JOURNAL: "journal",
        Kind.CATEGORY: "category",
        Kind.KEYWORD: "keyword",
    }

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                name="library_follow_target_of_its_kind",
                condition=(
                    models.Q(
                        kind="author",
                        author__isnull=False,
                        journal=None,
                        category=None,
                        keyword=None,
                        query="",
                    )
                    | models.Q(
                        kind="journal",
                        journal__isnull=False,
                        author=None,
                        category=None,
                        keyword=None,
                        query="",
                    )
                    | models.Q(
                        kind="category",
                        category__isnull=False,
                        author=None,
                        journal=None,
                        keyword=None,
                        query="",
                    )
                    | models.Q(
                        kind="keyword",
                        keyword__isnull=False,
                        author=None,
                        journal=None,
                        category=None,
                        query="",
                    )
                    | (
                        models.Q(
                            kind="search", author=None, journal=None, category=None, keyword=None
                        )
                        & ~models.Q(query="")
                    )
                ),
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", field],
                    condition=models.Q(**{f"{field}__isnull": False}),
                    name=f"library_follow_one_{field}",
                )
                for field in ("author", "journal", "category", "keyword")
            ),
            models.UniqueConstraint(
                fields=["user", "query"],
                condition=models.Q(kind="search"),
                name="library_follow_one_search",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} follows {self.label}"

    @property
    def target(self):
        """The followed row (author, journal, category, keyword), or None for a search."""
        field = self.TARGET_FIELDS.get(self.kind)
        return getattr(self, field) if field else None

    @property
    def label(self):
        """What is followed, as a reader names it: "Ada Lovelace", "cs.LG", "“gnn”"."""
        if self.kind == self.Kind.SEARCH:
            return f"“{self.name or self.query}”"
        return str(self.target)

    @property
    def reason(self):
        """Why a paper is alerted, as the digest and the feed say it."""
        if self.kind == self.Kind.SEARCH:
            return f"New in your saved search {self.label}"
        if self.kind == self.Kind.AUTHOR:
            return f"New paper by {self.target}"
        if self.kind == self.Kind.KEYWORD:
            return f"New with keyword {self.target}"
        return f"New in {self.target}"
