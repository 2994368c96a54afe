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
