"""Parse DataCite REST API ``/dois/{doi}`` responses into the same ``records.Work`` dataclass.

DataCite registers the DOIs of datasets, software, arXiv preprints, theses and some journals.
``parse_work`` takes one decoded response (the JSON:API document ``{"data": {"type": "dois",
"attributes": {...}}}``, the ``data`` object alone, or a bare ``attributes`` dict) and returns a
``records.Work`` that ``papers.ingest.upsert_work`` stores like any Crossref record. Types are
mapped to Crossref's type names so that pages and filters know only one vocabulary.
No HTTP and no ORM here.
"""

from __future__ import annotations

import re

from papers.jats import clean_abstract, clean_text
from papers.links import safe_link
from papers.records import (
    HAS_PREPRINT,
    HAS_VERSION,
    IS_IDENTICAL_TO,
    IS_PREPRINT_OF,
    IS_VERSION_OF,
    Contributor,
    FunderAward,
    Journal,
    PartialDate,
    RecordError,
    Work,
    as_int,
    as_list,
    as_text,
    normalize_doi,
    normalize_orcid,
    unique_values,
    untitled_title,
    version_relations,
)


class DataCiteError(RecordError):
    """The value is not a usable DataCite DOI record; the message says why."""


# resourceTypeGeneral -> (Crossref type, subtype). Crossref has no type for software and
# several other DataCite kinds: they become "other" with the DataCite kind as the subtype.
GENERAL_TYPES = {
    "Dataset": ("dataset", None),
    "Preprint": ("posted-content", "preprint"),
    "JournalArticle": ("journal-article", None),
    "Journal": ("journal", None),
    "ConferencePaper": ("proceedings-article", None),
    "ConferenceProceeding": ("proceedings", None),
    "Dissertation": ("dissertation", None),
    "BookChapter": ("book-chapter", None),
    "Book": ("book", None),
    "Report": ("report", None),
    "Standard": ("standard", None),
    "PeerReview": ("peer-review", None),
}

# "Text" says nothing about the kind of text; the citeproc / RIS types next to it do.
# Thesis first: theses are often typed both "thesis" and something generic.
TEXT_HINTS = (
    ("citeproc", "thesis", "dissertation"),
    ("ris", "THES", "dissertation"),
    ("citeproc", "article-journal", "journal-article"),
    ("ris", "JOUR", "journal-article"),
    ("citeproc", "paper-conference", "proceedings-article"),
    ("ris", "CPAPER", "proceedings-article"),
    ("citeproc", "chapter", "book-chapter"),
    ("ris", "CHAP", "book-chapter"),
    ("citeproc", "report", "report"),
    ("ris", "RPRT", "report"),
)

# DataCite's standard values for unknown information, e.g. ":unav" or "(:unkn)".
_UNKNOWN = re.compile(r"^[(]?:(unac|unal|unap|unas|unav|unkn|none|null|tba|etal)[)]?$", re.I)
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$", re.I)
_FUNDER_ID = re.compile(r"^\d{9,}$")  # a bare Crossref Funder ID, e.g. 501100000780
# Category names hold 200 characters; a longer "subject" is a sentence, not a category.
MAX_SUBJECT_LENGTH = 200


def parse_work(data: object) -> Work:
    """Parse one DataCite DOI record into a records.Work.

    Pure and deterministic. Raises DataCiteError if the value is not a DataCite "dois" record
    or has no valid DOI. A record without any title is not refused: it gets one made from its
    type and what it is part of (``records.untitled_title``). Missing optional fields become
    None, "" or an empty tuple.
    """
    attributes, resource_id = _attributes(data)
    raw_doi = attributes.get("doi") or resource_id
    if not raw_doi:
        raise DataCiteError("DataCite record has no DOI")
    try:
        doi = normalize_doi(raw_doi)
    except RecordError as error:
        raise DataCiteError(f"DataCite record has no valid DOI: {error}") from error
    title, subtitle = _pick_titles(attributes.get("titles"))
    publisher = _publisher(attributes.get("publisher"))
    work_type, work_subtype = _map_type(attributes.get("types"))
    container = None if work_type == "dissertation" else _pick_container(attributes)
    journal = _journal(container, publisher)
    if not title:
        # No title at all: a page all the same, named by its type and what it is part of.
        title = untitled_title(
            doi=doi,
            work_type=(work_subtype or "").lower() if work_type == "other" else work_type,
            parent_doi=_parent_doi(attributes, doi=doi),
            container=journal.title if journal else "",
        )
    return Work(
        doi=doi,
        title=title,
        subtitle=subtitle,
        work_type=work_type,
        work_subtype=work_subtype,
        abstract=_pick_abstract(attributes.get("descriptions")),
        published=_pick_published(attributes),
        journal=journal,
        volume=as_text(container.get("volume")) if container else None,
        issue=as_text(container.get("issue")) if container else None,
        pages=_pages(container) if container else None,
        article_number=_article_number(container) if container else None,
        language=as_text(attributes.get("language")),
        publisher=publisher,
        license_url=_pick_license(attributes.get("rightsList")),
        url=_http_url(attributes.get("url")),
        reference_count=as_int(attributes.get("referenceCount")),
        citation_count=as_int(attributes.get("citationCount")),
        subjects=_parse_subjects(attributes.get("subjects")),
        authors=_parse_creators(attributes.get("creators")),
        funders=_parse_funders(attributes.get("fundingReferences")),
        # DataCite has no relation for a correction or retraction notice, and a new version
        # of a dataset does not update a paper's findings: nothing to record here.
        updates=(),
        isbns=_parse_isbns(attributes),
        versions=_parse_versions(attributes.get("relatedIdentifiers"), own_doi=doi),
    )


def _attributes(data: object) -> tuple[dict, str | None]:
    """The attributes of a JSON:API document, a resource object, or bare attributes."""
    if not isinstance(data, dict):
        raise DataCiteError(f"expected a JSON object for a DataCite record, got {_kind(data)}")
    if "errors" in data:
        errors = as_list(data["errors"])
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        reason = as_text(first.get("title")) or "no reason given"
        raise DataCiteError(f"DataCite returned an error: {reason}")
    if "data" in data:
        resource = data["data"]
        if isinstance(resource, list):
            raise DataCiteError("DataCite response is a list of records, not one DOI record")
    elif "attributes" in data:
        resource = data
    elif "doi" in data or "titles" in data:
        return data, None
    else:
        raise DataCiteError("not a DataCite DOI record: no data, attributes, doi or titles")
    if not isinstance(resource, dict) or resource.get("type") != "dois":
        found = resource.get("type") if isinstance(resource, dict) else _kind(resource)
        raise DataCiteError(f"expected a DataCite record of type 'dois', got {found!r}")
    attributes = resource.get("attributes")
    if not isinstance(attributes, dict):
        raise DataCiteError("DataCite record has no attributes object")
    return attributes, as_text(resource.get("id"))


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


# --- small readers ---


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _http_url(value: object) -> str | None:
    return safe_link(as_text(value))


# --- title, type, text ---


def _pick_titles(value: object) -> tuple[str, str]:
    entries = [e for e in as_list(value) if isinstance(e, dict) and clean_text(e.get("title"))]
    # The main title has no titleType; translated and alternative titles have one.
    main = next((e for e in entries if not e.get("titleType")), entries[0] if entries else None)
    subtitle = next((e for e in entries if e.get("titleType") == "Subtitle"), None)
    return (
        clean_text(main["title"]) if main else "",
        clean_text(subtitle["title"]) if subtitle and subtitle is not main else "",
    )


def _map_type(value: object) -> tuple[str, str | None]:
    types = _dict(value)
    general = as_text(types.get("resourceTypeGeneral"))
    if general in GENERAL_TYPES:
        return GENERAL_TYPES[general]
    if general == "Text" or not general:
        # Crossref types a blog post as posted-content with subtype "blog".
        if as_text(types.get("resourceType")) == "BlogPosting":
            return "posted-content", "blog"
        for scheme, hint, work_type in TEXT_HINTS:
            if as_text(types.get(scheme)) == hint:
                return work_type, None
        return "other", None
    if general == "Other":
        return "other", None
    # Software, Image, Audiovisual, ComputationalNotebook ...: "computational-notebook".
    return "other", re.sub(r"(?<=[a-z])(?=[A-Z])", "-", general).lower()[:50]


def _pick_abstract(value: object) -> str:
    for entry in as_list(value):
        if isinstance(entry, dict) and entry.get("descriptionType") == "Abstract":
            text = entry.get("description")
            # Older records give a description as a list of strings.
            if isinstance(text, list):
                text = "\n\n".join(t for t in text if isinstance(t, str))
            abstract = clean_abstract(text)
            if abstract:
                return abstract  # the first; later ones are usually translations
    return ""


def _publisher(value: object) -> str:
    # A string in the classic API; {"name": ...} when asked for publisher=true (schema 4.5).
    if isinstance(value, dict):
        value = value.get("name")
    return clean_text(value)


def _parse_subjects(value: object) -> tuple[str, ...]:
    subjects = []
    for entry in as_list(value):
        text = clean_text(entry.get("subject") if isinstance(entry, dict) else entry)
        text = re.sub(r"^FOS:\s*", "", text)  # "FOS: Computer and information sciences"
        # Free-text keywords often come as one "a; b; c" subject.
        subjects += [part.strip() for part in text.split(";")]
    seen = {}
    for subject in subjects:
        if subject and len(subject) <= MAX_SUBJECT_LENGTH:
            seen.setdefault(subject.casefold(), subject)
    return tuple(seen.values())


# --- dates ---


def _parse_date(value: object) -> PartialDate | None:
    """A DataCite date ("2019", "2019-02", "2019-02-09", "2011-02-01T17:22:41Z", or a range
    "2009-10-01/2014-01-23", of which the start counts) at the precision it has."""
    text = as_text(value)
    match = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T/ ])", text or "")
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    if not 1 <= year <= 9999:
        return None
    if month is None or not 1 <= month <= 12:
        return PartialDate(year)
    try:
        PartialDate(year, month, day or 1).as_date()
    except ValueError:
        day = None
    return PartialDate(year, month, day)


def _pick_published(attributes: dict) -> PartialDate | None:
    issued = (
        _parse_date(entry.get("date"))
        for entry in as_list(attributes.get("dates"))
        if isinstance(entry, dict) and entry.get("dateType") == "Issued"
    )
    date = next((d for d in issued if d is not None), None)
    if date is not None:
        return date
    year = attributes.get("publicationYear")
    return _parse_date(str(year)) if isinstance(year, (int, str)) else None


def _parent_doi(attributes: dict, *, doi: str) -> str | None:
    """The DOI of the work this one is part of (``relatedIdentifiers`` IsPartOf), or None."""
    for entry in as_list(attributes.get("relatedIdentifiers")):
        if not isinstance(entry, dict) or entry.get("relationType") != "IsPartOf":
            continue
        if entry.get("relatedIdentifierType") != "DOI":
            continue
        try:
            parent = normalize_doi(as_text(entry.get("relatedIdentifier")) or "")
        except RecordError:
            continue
        if parent != doi:
            return parent
    return None


# --- container: journal, volume, issue, pages ---


def _pick_container(attributes: dict) -> dict | None:
    """The journal or series the work appeared in, as a dict of DataCite container fields.

    ``container`` is DataCite's own summary; ``relatedItems`` (schema 4.4) say the same
    with more detail and serve when the summary is empty.
    """
    container = _dict(attributes.get("container"))
    if _is_name(container.get("title")):
        issns = [container.get("identifier")] if container.get("identifierType") == "ISSN" else []
        return {**container, "issns": issns}
    for item in as_list(attributes.get("relatedItems")):
        if not isinstance(item, dict) or item.get("relationType") != "IsPublishedIn":
            continue
        title, _ = _pick_titles(item.get("titles"))
        if not _is_name(title):
            continue
        identifier = _dict(item.get("relatedItemIdentifier"))
        is_issn = identifier.get("relatedItemIdentifierType") in ("ISSN", "EISSN")
        issns = [identifier.get("relatedItemIdentifier")] if is_issn else []
        return {**item, "title": title, "issns": issns}
    return None


def _is_name(value: object) -> bool:
    # A container "title" without a letter is an issue label such as "№1(24) (2019)".
    return any(ch.isalpha() for ch in clean_text(value))


def _journal(container: dict | None, publisher: str) -> Journal | None:
    if not container:
        return None
    issns = []
    for value in container["issns"]:
        match = _ISSN.match(as_text(value) or "")
        if match:
            issns.append(("unspecified", f"{match.group(1)}-{match.group(2).upper()}"))
    return Journal(title=clean_text(container["title"]), issns=tuple(issns), publisher=publisher)


def _pages(container: dict) -> str | None:
    first, last = as_text(container.get("firstPage")), as_text(container.get("lastPage"))
    if first and last and last != first:
        return f"{first}-{last}"
    return first or last


def _article_number(container: dict) -> str | None:
    # "number" may be an issue, chapter or report number; only an explicit article counts.
    return as_text(container.get("number")) if container.get("numberType") == "Article" else None


def _pick_license(value: object) -> str | None:
    # rightsList also holds access statements such as "info:eu-repo/semantics/openAccess".
    uris = (
        _http_url(entry.get("rightsUri")) for entry in as_list(value) if isinstance(entry, dict)
    )
    return next((uri for uri in uris if uri), None)


def _parse_isbns(attributes: dict) -> tuple[str, ...]:
    values = [
        entry.get("identifier")
        for entry in as_list(attributes.get("identifiers"))
        if isinstance(entry, dict) and entry.get("identifierType") == "ISBN"
    ]
    # The ISBN of the book or proceedings the work is part of, as Crossref gives for chapters;
    # never the ISBN of a work it cites or supplements.
    values += [
        entry.get("relatedIdentifier")
        for entry in as_list(attributes.get("relatedIdentifiers"))
        if isinstance(entry, dict)
        and entry.get("relatedIdentifierType") == "ISBN"
        and entry.get("relationType") in ("IsPartOf", "IsPublishedIn", "IsIdenticalTo")
    ]
    return unique_values(as_text(v) for v in values)


# --- people ---


def _parse_creators(value: object) -> tuple[Contributor, ...]:
    authors = []
    for entry in as_list(value):
        if not isinstance(entry, dict):
            continue
        name = _known(entry.get("name"))
        given, family = _known(entry.get("givenName")), _known(entry.get("familyName"))
        is_organization = entry.get("nameType") == "Organizational"
        if is_organization:
            given = family = None
        elif not (given or family) and name:
            # "Family, Given" is DataCite's way of writing a personal name.
            family, _, rest = name.partition(",")
            family, given = family.strip() or None, rest.strip() or None
        if not (given or family or (is_organization and name)):
            continue
        affiliation = entry.get("affiliation")
        # A list of strings, or of {"name": ...} with affiliation=true; one string in old records.
        listed = [affiliation] if isinstance(affiliation, (str, dict)) else as_list(affiliation)
        affiliations = (clean_text(a.get("name") if isinstance(a, dict) else a) for a in listed)
        authors.append(
            Contributor(
                given=given,
                family=family,
                name=name if is_organization else None,
                is_organization=is_organization,
                orcid=_pick_orcid(entry.get("nameIdentifiers")),
                orcid_authenticated=False,
                affiliations=unique_values(affiliations),
                sequence=None,
                position=len(authors),
            )
        )
    return tuple(authors)


def _known(value: object) -> str | None:
    text = clean_text(value)
    return None if not text or _UNKNOWN.match(text) else text


def _pick_orcid(value: object) -> str | None:
    for entry in as_list(value):
        if isinstance(entry, dict) and str(entry.get("nameIdentifierScheme")).upper() == "ORCID":
            orcid = normalize_orcid(entry.get("nameIdentifier"))
            if orcid:
                return orcid
    return None


# --- funding ---


def _parse_funders(value: object) -> tuple[FunderAward, ...]:
    merged: dict[tuple[str, str], FunderAward] = {}
    for entry in as_list(value):
        if not isinstance(entry, dict):
            continue
        name = clean_text(entry.get("funderName"))
        doi = _funder_doi(entry)
        if not (name or doi):
            continue  # nothing to show or link, as in the Crossref parser
        awards = [as_text(entry.get("awardNumber"))]
        key = ("doi", doi) if doi else ("name", name.casefold())
        previous = merged.get(key)
        if previous:
            name = previous.name or name
            awards = list(previous.awards) + awards
        merged[key] = FunderAward(name=name, funder_doi=doi, awards=unique_values(awards))
    return tuple(merged.values())


def _funder_doi(entry: dict) -> str | None:
    """The Crossref Funder Registry DOI (10.13039/...) of a funding reference, or None."""
    if entry.get("funderIdentifierType") != "Crossref Funder ID":
        return None
    identifier = as_text(entry.get("funderIdentifier")) or ""
    if _FUNDER_ID.match(identifier):
        return f"10.13039/{identifier}"
    try:
        doi = normalize_doi(identifier)
    except RecordError:
        return None
    return doi if doi.startswith("10.13039/") else None


# DataCite ``relationType``s that make two DOIs versions of one work, as Crossref names them.
VERSION_RELATION_TYPES = {
    "IsPreprintOf": IS_PREPRINT_OF,
    "HasPreprint": HAS_PREPRINT,
    "IsVersionOf": IS_VERSION_OF,
    "HasVersion": HAS_VERSION,
    "IsNewVersionOf": IS_VERSION_OF,
    "IsPreviousVersionOf": IS_VERSION_OF,
    "IsIdenticalTo": IS_IDENTICAL_TO,
}


def _parse_versions(value, *, own_doi):
    """The versions ``relatedIdentifiers`` names by DOI (IsVersionOf, HasVersion,
    IsPreprintOf, HasPreprint, IsNewVersionOf, IsPreviousVersionOf, IsIdenticalTo);
    None when the record has no ``relatedIdentifiers``."""
    if value is None:
        return None
    pairs = [
        (VERSION_RELATION_TYPES[entry.get("relationType")], entry.get("relatedIdentifier"))
        for entry in as_list(value)
        if isinstance(entry, dict)
        and entry.get("relationType") in VERSION_RELATION_TYPES
        and entry.get("relatedIdentifierType") == "DOI"
    ]
    return version_relations(pairs, own_doi=own_doi)
