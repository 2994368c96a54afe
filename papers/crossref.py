"""Parse Crossref ``/works/{doi}`` responses into ``records.Work`` values.

This module only turns decoded JSON into values: no HTTP and no ORM. ``parse_work`` takes one
work (a full ``{"message-type": "work", ...}`` envelope or a bare ``message``), and
``iter_works`` walks any shape of response (single work, ``work-list``, bare list) so that an
importer can parse and reject records one at a time. Text that Crossref delivers as JATS/HTML
(titles, abstracts) comes out as plain text (``papers.jats``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from papers.jats import clean_abstract, clean_text
from papers.links import safe_link
from papers.records import (
    VERSION_RELATIONS,
    Contributor,
    FunderAward,
    Journal,
    PartialDate,
    RecordError,
    ReferenceEntry,
    UpdateNotice,
    VersionRelation,
    Work,
    as_int,
    as_list,
    as_text,
    component_parent_doi,
    normalize_doi,
    normalize_orcid,
    unique_values,
    untitled_title,
    version_relations,
)


class CrossrefError(RecordError):
    """The value is not a usable Crossref work record; the message says why."""


# Print first, as it matches the volume and issue a citation gives; "created" (the date the
# DOI was registered) is a last resort for records whose publication date is [[null]].
DATE_FIELDS = ("published-print", "published-online", "published", "issued", "created")


def iter_works(data: object) -> Iterator[object]:
    """Yield each work message in a decoded Crossref response, unparsed.

    Takes a single-work envelope, a ``work-list`` envelope, a bare message or a bare list of
    messages. List items are yielded as they are, even if they are not dicts, so the caller can
    reject bad records one by one with ``parse_work``. Raises CrossrefError when the response
    as a whole is not about works.
    """
    if isinstance(data, list):
        yield from data
        return
    if not isinstance(data, dict):
        raise CrossrefError(f"expected a JSON object or list, got {type(data).__name__}")
    if not _is_envelope(data):
        yield data
        return
    message_type = _check_envelope(data, allowed=("work", "work-list"))
    message = data.get("message")
    if message_type == "work":
        yield message
        return
    items = message.get("items") if isinstance(message, dict) else None
    if not isinstance(items, list):
        raise CrossrefError("work-list response has no list of items")
    yield from items


def parse_work(data: object) -> Work:
    """Parse one Crossref work (envelope or bare message) into a Work.

    Pure and deterministic. Raises CrossrefError if it is not a work or has no valid DOI.
    A record without an English title is not refused (see ``_pick_title``). Missing optional
    fields become None, "" or an empty tuple.
    """
    if not isinstance(data, dict):
        raise CrossrefError(f"expected a JSON object for a work, got {type(data).__name__}")
    if _is_envelope(data):
        _check_envelope(data, allowed=("work",))
        data = data.get("message")
        if not isinstance(data, dict):
            raise CrossrefError("work response has no message object")
    if "DOI" not in data:
        raise CrossrefError("work record has no DOI")
    try:
        doi = normalize_doi(data["DOI"])
    except RecordError as error:
        raise CrossrefError(str(error)) from error
    publisher = as_text(data.get("publisher")) or ""
    journal = _parse_journal(data, publisher)
    work_type = as_text(data.get("type")) or ""
    return Work(
        doi=doi,
        title=_pick_title(data, doi=doi, work_type=work_type, journal=journal),
        subtitle=clean_text(_first(data.get("subtitle"))),
        work_type=work_type,
        work_subtype=as_text(data.get("subtype")),
        abstract=clean_abstract(data.get("abstract")),
        published=_pick_published(data),
        journal=journal,
        volume=as_text(data.get("volume")),
        issue=as_text(data.get("issue")),
        pages=as_text(data.get("page")),
        article_number=as_text(data.get("article-number")),
        language=as_text(data.get("language")),
        publisher=publisher,
        license_url=_pick_license(data.get("license")),
        url=_pick_url(data),
        reference_count=as_int(data.get("references-count", data.get("reference-count"))),
        citation_count=as_int(data.get("is-referenced-by-count")),
        subjects=tuple(s for s in map(clean_text, as_list(data.get("subject"))) if s),
        authors=_parse_authors(data.get("author")),
        funders=_parse_funders(data.get("funder")),
        updates=_parse_updates(data),
        isbns=_parse_isbns(data),
        references=_parse_references(data.get("reference")),
        versions=_parse_versions(data.get("relation"), own_doi=doi),
    )


def _is_envelope(data: dict) -> bool:
    return "message-type" in data or ("status" in data and "message" in data)


def _check_envelope(data: dict, *, allowed: tuple[str, ...]) -> str:
    if data.get("status", "ok") != "ok":
        raise CrossrefError(f"Crossref response status is {data.get('status')!r}, not 'ok'")
    message_type = data.get("message-type")
    if message_type not in allowed:
        raise CrossrefError(f"expected message-type {' or '.join(allowed)}, got {message_type!r}")
    return message_type


# --- title ---


def _pick_title(data: dict, *, doi: str, work_type: str, journal: Journal | None) -> str:
    """The English title; when it is empty, the title in the original language
    (``original-title``: Japanese, Chinese, Russian journals often fill only that); when the
    record has neither (components, journal issues), one made by ``untitled_title``."""
    for field in ("title", "original-title"):
        title = clean_text(_first_text(data.get(field)))
        if title:
            return title
    return untitled_title(
        doi=doi,
        work_type=work_type,
        parent_doi=_parent_doi(data, doi=doi, work_type=work_type),
        container=journal.title if journal else "",
    )


def _parent_doi(data: dict, *, doi: str, work_type: str) -> str | None:
    """The work this one is part of: its ``is-part-of`` relation, or for a component the
    DOI its own DOI extends."""
    relations = data.get("relation")
    for entry in as_list(relations.get("is-part-of") if isinstance(relations, dict) else None):
        if isinstance(entry, dict) and entry.get("id-type") == "doi":
            parent = _optional_doi(entry.get("id"))
            if parent and parent != doi:
                return parent
    return component_parent_doi(doi) if work_type == "component" else None


# --- small readers ---


def _first(value: object) -> str:
    if isinstance(value, str):
        return value
    return next((v for v in as_list(value) if isinstance(v, str)), "")


def _first_text(value: object) -> str:
    """The first entry that says something (Crossref writes an empty title as [""])."""
    if isinstance(value, str):
        return value
    return next((v for v in as_list(value) if isinstance(v, str) and clean_text(v)), "")


# --- dates ---


def _parse_date_parts(value: object) -> PartialDate | None:
    parts = as_list(value.get("date-parts")) if isinstance(value, dict) else []
    numbers = [
        as_int(int(p) if isinstance(p, str) and p.isdigit() else p)
        for p in as_list(parts[0] if parts else None)
    ]
    year, month, day = (numbers + [None, None, None])[:3]
    if year is None or not 1 <= year <= 9999:
        return None  # Crossref writes "no date" as [[null]]
    # Keep only the parts that make a real calendar date: [[2019, 13]] is just 2019.
    if month is None or not 1 <= month <= 12:
        return PartialDate(year)
    try:
        datetime.date(year, month, day or 1)
    except ValueError:
        day = None
    return PartialDate(year, month, day)


def _pick_published(data: dict) -> PartialDate | None:
    dates = (_parse_date_parts(data.get(field)) for field in DATE_FIELDS)
    return next((date for date in dates if date is not None), None)


# --- journal, licence, ISBN ---


def _parse_journal(data: dict, publisher: str) -> Journal | None:
    title = clean_text(_first(data.get("container-title")))
    if not title:
        return None
    issns: list[tuple[str, str]] = []
    for entry in as_list(data.get("issn-type")):
        if isinstance(entry, dict) and as_text(entry.get("value")):
            issns.append((as_text(entry.get("type")) or "unspecified", as_text(entry["value"])))
    # Older records carry only the plain ISSN list; add whatever issn-type did not cover.
    known = {value for _, value in issns}
    for value in map(as_text, as_list(data.get("ISSN"))):
        if value and value not in known:
            issns.append(("unspecified", value))
            known.add(value)
    return Journal(title=title, issns=tuple(issns), publisher=publisher)


def _pick_url(data: dict) -> str | None:
    resource = data.get("resource")
    primary = resource.get("primary") if isinstance(resource, dict) else None
    url = primary.get("URL") if isinstance(primary, dict) else None
    # The record is anyone's deposit: a link that is not plain http(s) is dropped.
    return safe_link(url) or safe_link(data.get("URL"))


def _pick_license(value: object) -> str | None:
    licenses = [
        lic for lic in as_list(value) if isinstance(lic, dict) and safe_link(lic.get("URL"))
    ]
    # "vor" is the licence of the published version, the one a reader of the page gets.
    best = next((lic for lic in licenses if lic.get("content-version") == "vor"), None)
    best = best or (licenses[0] if licenses else None)
    return safe_link(best["URL"]) if best else None


def _parse_isbns(data: dict) -> tuple[str, ...]:
    values = as_list(data.get("ISBN")) + [
        entry.get("value") for entry in as_list(data.get("isbn-type")) if isinstance(entry, dict)
    ]
    return unique_values(as_text(v) for v in values)


# --- people ---


def _parse_authors(value: object) -> tuple[Contributor, ...]:
    authors = []
    for entry in as_list(value):
        if not isinstance(entry, dict):
            continue
        given, family = as_text(entry.get("given")), as_text(entry.get("family"))
        name = None if family else as_text(entry.get("name"))
        if not (given or family or name):
            continue
        affiliations = (
            clean_text(a.get("name"))
            for a in as_list(entry.get("affiliation"))
            if isinstance(a, dict)
        )
        authors.append(
            Contributor(
                given=given,
                family=family,
                name=name,
                is_organization=name is not None,
                orcid=normalize_orcid(entry.get("ORCID")),
                orcid_authenticated=entry.get("authenticated-orcid") is True,
                affiliations=unique_values(affiliations),
                sequence=as_text(entry.get("sequence")),
                position=len(authors),
            )
        )
    return tuple(authors)


# --- funding and updates ---


def _parse_funders(value: object) -> tuple[FunderAward, ...]:
    merged: dict[tuple[str, str], FunderAward] = {}
    for entry in as_list(value):
        if not isinstance(entry, dict):
            continue
        name = clean_text(entry.get("name"))
        doi = _optional_doi(entry.get("DOI"))
        # An entry with neither name nor DOI cannot be shown or linked to a Funder row, so it
        # is dropped with its awards (real records have {} and {"award": [...]} entries).
        if not (name or doi):
            continue
        awards = as_list(entry.get("award")) + [
            number
            for info in as_list(entry.get("award-info"))
            if isinstance(info, dict)
            for number in as_list(info.get("award-number"))
        ]
        key = ("doi", doi) if doi else ("name", name.casefold())
        previous = merged.get(key)
        if previous:
            name = previous.name or name
            awards = list(previous.awards) + awards
        merged[key] = FunderAward(
            name=name, funder_doi=doi, awards=unique_values(map(as_text, awards))
        )
    return tuple(merged.values())


def _optional_doi(value: object) -> str | None:
    try:
        return normalize_doi(value) if value else None
    except RecordError:
        return None


# Longest value kept of a reference's short fields (Reference model columns).
REFERENCE_FIELD_LIMITS = {"author": 300, "year": 20, "volume": 50, "first_page": 50}


def _reference_text(value: object, limit: int | None = None) -> str:
    # No NUL (PostgreSQL refuses it in text); a reference is shown, not searched.
    text = (as_text(value) or "").replace("\x00", "")
    return text[:limit] if limit else text


def _parse_versions(value: object, *, own_doi: str) -> tuple[VersionRelation, ...] | None:
    """The versions a ``relation`` object names by DOI (``is-preprint-of``, ``has-preprint``,
    ``is-version-of``, ``has-version``, ``is-identical-to``); None when the record has no
    ``relation`` object (Crossref gives ``{}`` for a work without relations: none)."""
    if not isinstance(value, dict):
        return None
    pairs = [
        (name, entry.get("id"))
        for name in VERSION_RELATIONS
        for entry in as_list(value.get(name))
        if isinstance(entry, dict) and str(entry.get("id-type", "")).lower() == "doi"
    ]
    return version_relations(pairs, own_doi=own_doi)


def _parse_references(value: object) -> tuple[ReferenceEntry, ...] | None:
    """Crossref's ``reference`` list, in order; None when the record has none.

    An entry keeps its DOI when it has a valid one, and its text (``unstructured``) and
    fields (author, year, article and journal titles, volume, first page) either way. An
    entry that is not an object, or says nothing at all, is skipped.
    """
    if not isinstance(value, list):
        return None
    entries = []
    for item in value:
        if not isinstance(item, dict):
            continue
        limits = REFERENCE_FIELD_LIMITS
        entry = ReferenceEntry(
            doi=_optional_doi(item.get("DOI")),
            text=_reference_text(item.get("unstructured")),
            author=_reference_text(item.get("author"), limits["author"]),
            year=_reference_text(item.get("year"), limits["year"]),
            title=_reference_text(item.get("article-title")),
            container=_reference_text(
                item.get("journal-title") or item.get("volume-title") or item.get("series-title")
            ),
            volume=_reference_text(item.get("volume"), limits["volume"]),
            first_page=_reference_text(item.get("first-page"), limits["first_page"]),
        )
        if entry != ReferenceEntry():
            entries.append(entry)
    return tuple(entries)


def _parse_updates(data: dict) -> tuple[UpdateNotice, ...]:
    notices = []
    for direction in ("updated-by", "update-to"):
        for entry in as_list(data.get(direction)):
            doi = _optional_doi(entry.get("DOI")) if isinstance(entry, dict) else None
            if not doi:
                continue
            kind = (as_text(entry.get("type")) or "unknown").lower()
            updated = _parse_date_parts(entry.get("updated"))
            notices.append(
                UpdateNotice(
                    kind=re.sub(r"[\s-]+", "_", kind),
                    doi=doi,
                    date=updated.as_date() if updated else None,
                    direction=direction,
                    label=as_text(entry.get("label")),
                )
            )
    return tuple(notices)
