"""What the registry parsers share: the ``Work`` record, ``RecordError``, DOIs and ORCID iDs.

``papers.crossref``, ``papers.datacite``, ``papers.arxiv`` and ``papers.openalex`` each turn
their own format into these values; ``papers.ingest`` stores a ``Work`` without knowing where
it came from. ``normalize_doi`` is the one place DOIs are compared and ``MAX_DOI_LENGTH`` the
one limit on them; ``orcid_check_digit`` is the one ORCID checksum (``accounts.orcid`` uses it
for what people type). The ``as_*`` readers coerce registry JSON, where a field is usually a
list or a string, but not always. Plain values only: no HTTP, no ORM, no other app.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass


class RecordError(ValueError):
    """The value is not a usable record or identifier; the message says why.

    Each parser's own error subclasses it, so that an importer taking records from any
    registry catches this one class.
    """


# --- the record ---


@dataclass(frozen=True, slots=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def isoformat(self) -> str:
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p is not None]
        return "-".join(parts)

    def as_date(self) -> datetime.date:
        """The first day the date could mean; for sorting, not for display."""
        return datetime.date(self.year, self.month or 1, self.day or 1)


@dataclass(frozen=True, slots=True)
class Journal:
    title: str
    issns: tuple[tuple[str, str], ...]  # (kind, ISSN): kind is "print", "electronic", ...
    publisher: str


@dataclass(frozen=True, slots=True)
class Contributor:
    given: str | None
    family: str | None
    name: str | None  # organisation name; None for people
    is_organization: bool
    orcid: str | None
    orcid_authenticated: bool
    affiliations: tuple[str, ...]
    sequence: str | None
    position: int
    openalex_id: str | None = None  # OpenAlex's author id, "A5023888391"

    @property
    def display_name(self) -> str:
        if self.is_organization:
            return self.name or ""
        return " ".join(part for part in (self.given, self.family) if part)


@dataclass(frozen=True, slots=True)
class FunderAward:
    name: str
    funder_doi: str | None
    awards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UpdateNotice:
    kind: str
    doi: str
    date: datetime.date | None
    direction: str  # "updated-by" or "update-to"
    label: str | None


@dataclass(frozen=True, slots=True)
class ReferenceEntry:
    """One entry of a work's reference list, as the registry gives it: the cited work's DOI
    and/or OpenAlex id when known, else (and also) what the entry says of it in text."""

    doi: str | None = None
    openalex_id: str | None = None  # "W2121398592"
    text: str = ""  # Crossref's "unstructured", the citation as printed
    author: str = ""
    year: str = ""
    title: str = ""  # "article-title"
    container: str = ""  # "journal-title" (or the volume/series title)
    volume: str = ""
    first_page: str = ""


# How a record relates another DOI to itself as a version of one work (Crossref's relation
# names; DataCite's and arXiv's are mapped onto them): "this is a preprint of that", ...
IS_PREPRINT_OF = "is-preprint-of"
HAS_PREPRINT = "has-preprint"
IS_VERSION_OF = "is-version-of"
HAS_VERSION = "has-version"
IS_IDENTICAL_TO = "is-identical-to"
VERSION_RELATIONS = (IS_PREPRINT_OF, HAS_PREPRINT, IS_VERSION_OF, HAS_VERSION, IS_IDENTICAL_TO)


@dataclass(frozen=True, slots=True)
class VersionRelation:
    """Another DOI the record names as a version of the same work, and how."""

    relation: str  # one of VERSION_RELATIONS, read "<this work> <relation> <doi>"
    doi: str


def version_relations(pairs, *, own_doi: str) -> tuple[VersionRelation, ...]:
    """``VersionRelation``s from (relation, raw DOI) pairs: DOIs normalised, invalid ones and
    the record's own DOI dropped, each DOI once (its first relation), sorted by DOI."""
    found = {}
    for relation, raw in pairs:
        try:
            doi = normalize_doi(as_text(raw) or "")
        except RecordError:
            continue
        if doi.lower() != own_doi.lower():
            found.setdefault(doi.lower(), VersionRelation(relation, doi.lower()))
    return tuple(found[key] for key in sorted(found))


@dataclass(frozen=True, slots=True)
class Work:
    """One work, from any registry, in Crossref's vocabulary (types, update kinds).

    Absent text is "", absent identifiers and numbers are None.
    """

    doi: str
    title: str
    subtitle: str
    work_type: str
    work_subtype: str | None
    abstract: str
    published: PartialDate | None
    journal: Journal | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_number: str | None
    language: str | None
    publisher: str
    license_url: str | None
    url: str | None
    reference_count: int | None
    citation_count: int | None
    subjects: tuple[str, ...]
    authors: tuple[Contributor, ...]
    funders: tuple[FunderAward, ...]
    updates: tuple[UpdateNotice, ...]
    isbns: tuple[str, ...]
    # The reference list, in order; None when the record says nothing about it (not every
    # registry gives one, nor every publisher deposits one), () when it says "none".
    references: tuple[ReferenceEntry, ...] | None = None
    openalex_id: str | None = None  # an OpenAlex work's own id, "W2121398592"
    # Other versions of the same work (preprint, published version, identical copies); None
    # when the record says nothing about them.
    versions: tuple[VersionRelation, ...] | None = None
    # Where a preprint says it was published, as text without a DOI (arXiv's journal-ref,
    # "Phys.Rev.D76:013009,2007"): papers.journal_refs links it to that version when the
    # catalogue holds a paper of that volume, page, year and title.
    journal_ref: str | None = None

    @property
    def is_retracted(self) -> bool:
        """True when a notice retracts, withdraws or removes this work."""
        return any(u.direction == "updated-by" and u.kind in RETRACTION_KINDS for u in self.updates)


RETRACTION_KINDS = frozenset({"retraction", "withdrawal", "removal"})


# --- works without a title ---

# A component's DOI is its parent's with a short suffix of its own: PLOS tables, figures and
# supporting files ("10.1371/journal.pone.0008767.t004"), Optica media ("...010242.m002").
_COMPONENT_SUFFIX = re.compile(r"^(10\.\d{4,9}/.+)\.[a-z]{1,2}\d{1,4}$")


def component_parent_doi(doi: str) -> str | None:
    """The DOI of the work a component (figure, table, supplement) belongs to, read from the
    component's own DOI when it is the parent's plus a suffix such as ".t004"; else None."""
    match = _COMPONENT_SUFFIX.match(doi)
    return match.group(1) if match else None


def untitled_title(*, doi: str, work_type: str, parent_doi=None, container="") -> str:
    """The title a work is stored under when its record has none at all (a Crossref
    component, a journal issue, some datasets), so that its DOI still gets a page: its type
    and the work it is part of when the record names one, else its journal, else its DOI.

    "Untitled component of doi:10.1371/journal.pone.0008767",
    "Untitled journal issue in Experimental and Clinical Transplantation",
    "Untitled dataset (doi:10.5061/dryad.8515)".
    """
    kind = (work_type or "work").replace("-", " ")
    if parent_doi:
        return f"Untitled {kind} of doi:{parent_doi}"
    if container:
        return f"Untitled {kind} in {container}"
    return f"Untitled {kind} (doi:{doi})"


# --- personal names ---

# Lower-case words that start a family name: "Ludwig van Beethoven", "Vincent de Paul".
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "dos", "la", "le"}
_PARTICLES |= {"ten", "ter", "zu", "af", "bin", "al", "el"}


def split_personal_name(name: str) -> tuple[str, str]:
    """(given, family) of a name written "Given Family", as arXiv and OpenAlex write them.

    The last word is the family name, with the lower-case particles before it ("van der
    Berg"); a one-word name is all family. Whitespace is collapsed; "" for what is missing.
    """
    words = name.split() if isinstance(name, str) else []
    if not words:
        return "", ""
    start = len(words) - 1
    # Only particles written in lower case: "Van" is also a Vietnamese middle name.
    while start > 1 and words[start - 1] in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


# --- DOIs ---

MAX_DOI_LENGTH = 255  # Paper.doi and Notice.doi are this long: a change needs a migration

_DOI_PREFIX = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")


def normalize_doi(value: str) -> str:
    """Return ``value`` as a lower-case bare DOI (``10.1234/abc``).

    Accepts ``doi:`` and ``https://doi.org/`` / ``http://dx.doi.org/`` forms, any case and
    surrounding spaces. Raises RecordError for anything else.
    """
    if not isinstance(value, str):
        raise RecordError(f"expected a DOI string, got {type(value).__name__}")
    doi = _DOI_PREFIX.sub("", value.strip()).lower()
    if not _DOI.fullmatch(doi):
        raise RecordError(f"{value!r} is not a DOI: a DOI looks like 10.1234/abc")
    # No DOI has control characters (PostgreSQL refuses NUL outright), and we store at most
    # MAX_DOI_LENGTH characters: refuse here, so every way in gives the same clear message.
    if any(unicodedata.category(char) == "Cc" for char in doi):
        raise RecordError("A DOI has no control characters: a DOI looks like 10.1234/abc")
    # A lone surrogate (JSON can spell one: "\ud800") has no UTF-8 form: no URL, no row.
    if any(unicodedata.category(char) == "Cs" for char in doi):
        raise RecordError(f"{value!r} is not a DOI: a DOI looks like 10.1234/abc")
    if len(doi) > MAX_DOI_LENGTH:
        raise RecordError(
            f"This DOI is longer than {MAX_DOI_LENGTH} characters; a DOI looks like 10.1234/abc"
        )
    # A DOI becomes a path under /works/ at each registry (and under /doi/ here). HTTP
    # clients resolve "." and ".." segments, so "10.1234/../../members" would ask another
    # path of the registry (with our API key): no real DOI has such a segment.
    if any(segment in (".", "..") for segment in doi.split("/")):
        raise RecordError(f"{value!r} is not a DOI: a DOI looks like 10.1234/abc")
    return doi


# --- ORCID iDs ---

_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")


def orcid_check_digit(base_digits: str) -> str:
    """The ISO 7064 mod 11-2 check character of an iD's first 15 digits: "0"-"9" or "X".

    https://support.orcid.org/hc/en-us/articles/360006897674 describes the checksum.
    """
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_orcid(value: object) -> str | None:
    """Return the bare ``0000-0002-1825-0097`` form of an ORCID iD or URL, or None.

    For iDs in registry records: anything ending in a hyphenated iD is read. None also when
    the check digit is wrong: a mistyped iD would link the wrong person.
    """
    match = _ORCID.search(value.strip().upper()) if isinstance(value, str) else None
    if not match:
        return None
    orcid = match.group(1)
    digits = orcid.replace("-", "")
    return orcid if orcid_check_digit(digits[:15]) == digits[15] else None


# --- readers of registry JSON ---


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def as_text(value: object) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def unique_values(values) -> tuple[str, ...]:
    """The non-empty values, first occurrence kept, in order."""
    return tuple(dict.fromkeys(v for v in values if v))
