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
