"""A collection, or a reader's whole library, as a file for a reference manager: BibTeX,
RIS, CSL-JSON, or formatted references in a citation style (``papers.citation``).

With each paper go its notes, in the fields reference managers keep notes in (BibTeX
``annote``, RIS ``N1``, CSL-JSON ``note``): the collection's note on the entry (part of
the collection: whoever may read the collection reads it) and the private note
(``library.Note``) of the reader who asks for the file, never anyone else's. A public
collection exported by someone else so carries none of its owner's private notes.

Who may export what is the caller's check (``collections.can_read``); these functions
only read. Each runs five queries whatever the number of papers: the entries, the papers,
their authors, their keywords, the reader's notes.
"""

from dataclasses import dataclass

from django.utils.text import slugify

from library import collections
from library.models import Entry, Note
from papers import citation, citation_styles
from papers.models import Paper

# What a download's file extension asks for -> ``citation.EXPORT_FORMATS`` key.
FORMAT_OF_EXTENSION = {"bib": "bibtex", "ris": "ris", "json": "csl-json", "txt": "text"}
FORMATS = list(citation.EXPORT_FORMATS)
STYLES = citation_styles.STYLES
DEFAULT_STYLE = citation_styles.DEFAULT_STYLE


class UnknownFormat(ValueError):
    """An export format or citation style we do not write; the message lists those we do."""


def check(fmt, style):
    if fmt not in citation.EXPORT_FORMATS:
        raise UnknownFormat(f"Unknown format “{fmt}”; one of: {', '.join(FORMATS)}.")
    if style not in STYLES:
        raise UnknownFormat(f"Unknown style “{style}”; one of: {', '.join(STYLES)}.")


@dataclass
class _Papers:
    papers: list  # in the export's order, each once
    notes: dict  # paper id -> [text, ...]


def _gather(entries, user):
    """The papers of ``entries`` (a queryset of Entry in order), each once, with the entry
    notes and ``user``'s private notes. Four queries (plus one for the entries)."""
    rows = list(entries.values_list("paper_id", "note"))
    order, notes = [], {}
    for paper_id, note in rows:
        if paper_id not in notes:
            order.append(paper_id)
            notes[paper_id] = []
        if note and note not in notes[paper_id]:
            notes[paper_id].append(note)
    # A subquery, not a list of ids: a library of ten thousand papers is one statement.
    papers = Paper.objects.for_export().filter(pk__in=entries.values("paper_id"))
    by_id = {paper.pk: paper for paper in papers}
    if user.is_authenticated:
        for paper_id, text in Note.objects.filter(user=user).values_list("paper_id", "text"):
            if paper_id in notes:
                notes[paper_id].append(text)
    return _Papers([by_id[pk] for pk in order if pk in by_id], notes)


def _file_name(base, fmt, style):
    base = slugify(base) or "collection"
    return f"{base}-{style}" if fmt == "text" else base


def export_collection(collection, fmt, *, user, style=DEFAULT_STYLE):
    """``collection``'s papers in its order as a ``citation.Export`` in ``fmt``, with the
    entries' notes and ``user``'s own private notes. Named for the collection."""
    check(fmt, style)
    entries = Entry.objects.filter(collection=collection).order_by("position", "id")
    found = _gather(entries, user)
    name = _file_name(collection.name, fmt, style)
    return citation.export_papers(found.papers, fmt, style=style, name=name, notes=found.notes)


def export_library(user, fmt, *, style=DEFAULT_STYLE):
    """Every paper in ``user``'s collections (their own and those shared with them), each
    once, in the order of their collections (the reading list first, then by name) and
    positions, with the entries' notes and ``user``'s private notes; named "library"."""
    check(fmt, style)
    entries = Entry.objects.filter(
        collection__in=collections.visible_to(user).values("pk")
    ).order_by("-collection__is_default", "collection__name", "collection_id", "position", "id")
    found = _gather(entries, user)
    name = _file_name("library", fmt, style)
    return citation.export_papers(found.papers, fmt, style=style, name=name, notes=found.notes)
