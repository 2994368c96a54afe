"""Private notes on papers: written, replaced and removed by their author only.

``save_note`` is the one write path (the paper page's form and the API call it); a note is
never shown to anyone but its author, so no paper page fragment holds it and no write here
bumps ``Paper.content_version``.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from library.models import NOTE_MAX_LENGTH, Note


def check_text(text):
    """The note's text, stripped; ValidationError when it is longer than NOTE_MAX_LENGTH."""
    text = (text or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(
            f"A note is at most {NOTE_MAX_LENGTH:,} characters long; this one has {len(text):,}."
        )
    return text


def save_note(*, user, paper, text):
    """Write ``user``'s note on ``paper``: created, replaced, or deleted when ``text`` is
    blank. Returns the note, or None once deleted. Idempotent; two saves at once leave one
    note (the unique constraint decides, the loser updates). Two queries at most."""
    text = check_text(text)
    if not text:
        Note.objects.filter(user=user, paper=paper).delete()
        return None
    try:
        with transaction.atomic():
            note, _ = Note.objects.update_or_create(user=user, paper=paper, defaults={"text": text})
    except IntegrityError:  # created by a concurrent save between our read and insert
        note = Note.objects.get(user=user, paper=paper)
        note.text = text
        note.save(update_fields=["text", "updated_at"])
    return note


def note_for(user, paper_id):
    """``user``'s note on the paper, or None (one query; none for an anonymous reader)."""
    if not user.is_authenticated:
        return None
    return Note.objects.filter(user=user, paper_id=paper_id).first()


def export_notes(user):
    """``user``'s notes as plain JSON values, for the account export (one query)."""
    return [
        {
            "paper": {"id": note.paper_id, "title": note.paper.title, "doi": note.paper.doi},
            "text": note.text,
            "created_at": note.created_at.isoformat(),
            "updated_at": note.updated_at.isoformat(),
        }
        for note in Note.objects.filter(user=user).select_related("paper").order_by("id")
    ]


# "My library" lists this many notes at most, newest first; the search box finds older ones.
LIBRARY_NOTES_SHOWN = 100


def notes_for_library(user, query=""):
    """``user``'s notes, newest first, with their papers; with ``query``, only those whose
    text or paper title contains it (any case). One query, at most LIBRARY_NOTES_SHOWN rows."""
    notes = (
        Note.objects.filter(user=user)
        .select_related("paper")
        .only("pk", "text", "updated_at", "paper_id", "paper__title", "paper__doi")
    )
    query = (query or "").strip()
    if query:
        notes = notes.filter(Q(text__icontains=query) | Q(paper__title__icontains=query))
    return list(notes[:LIBRARY_NOTES_SHOWN])
