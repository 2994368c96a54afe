"""Parse OpenAlex work responses: the DOI and scored keywords, and the other enrichments.

Plain values only: no HTTP, no ORM (``papers.ingest.apply_keywords`` writes them).
``parse_enrichment`` reads the rest of what OpenAlex adds to a work: topics, an open-access
link, the citation count, the abstract rebuilt from its inverted index, the retraction flag.
``parse_work`` reads a whole work (a line of the OpenAlex snapshot, or an API response) into
a ``records.Work``, for importing works we do not have yet.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass

from papers.jats import clean_abstract, clean_text
from papers.links import safe_link
from papers.records import (
    Contributor,
    FunderAward,
    Journal,
    PartialDate,
    RecordError,
    ReferenceEntry,
    UpdateNotice,
    Work,
    as_int,
    as_list,
    as_text,
    normalize_doi,
    normalize_orcid,
    split_personal_name,
    unique_values,
)

# OpenAlex scores each keyword 0..1; below this the terms are mostly noise
# (e.g. "Beach morphodynamics" on a plant biology paper scores 0.45, so keep it strict).
MIN_KEYWORD_SCORE = 0.5


class OpenAlexError(RecordError):
    """Not a usable OpenAlex work; the message says why."""


def parse_keywords(data):
    """Return (doi, keywords) of one OpenAlex work, keywords best first.

    Raises OpenAlexError when the work has no valid DOI (we key papers on DOIs).
    """
    if not isinstance(data, dict):
        raise OpenAlexError("expected an OpenAlex work object")
    try:
        doi = normalize_doi(data.get("doi") or "")
    except RecordError as error:
        raise OpenAlexError(f"OpenAlex work {data.get('id', '?')} has no usable DOI") from error
    scored = [
        (entry.get("score") or 0, (entry.get("display_name") or "").strip())
        for entry in data.get("keywords") or []
        if isinstance(entry, dict)
    ]
    keywords = [
        name for score, name in sorted(scored, reverse=True) if name and score >= MIN_KEYWORD_SCORE
    ]
    return doi, keywords


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What OpenAlex adds to a paper we already know from Crossref or DataCite."""

    doi: str
    keywords: tuple[str, ...]  # best first, scored at least MIN_KEYWORD_SCORE
    topics: tuple[tuple[str, str, str, str], ...]  # (domain, field, subfield, topic), primary first
    open_access_url: str | None
    citation_count: int | None
    abstract: str  # "" when OpenAlex has none
    is_retracted: bool
    openalex_id: str | None  # the short form, "W2121398592"
    # The authors as OpenAlex disambiguated them, with their ids ("A5023888391").
    authors: tuple = ()


def parse_enrichment(data):
    """Parse one OpenAlex work response into an Enrichment. Pure: no HTTP, no ORM.

    Raises OpenAlexError for anything but one work object with a valid DOI (a list
    response such as ``/works?sample=5`` is refused, not read as its first work).
    """
    if isinstance(data, list) or (isinstance(data, dict) and "results" in data):
        raise OpenAlexError("expected one OpenAlex work, got a list response")
    doi, keywords = parse_keywords(data)
    cited_by = data.get("cited_by_count")
    return Enrichment(
        doi=doi,
        keywords=tuple(keywords),
        topics=_parse_topics(data),
        open_access_url=_pick_open_access_url(data),
        citation_count=cited_by if isinstance(cited_by, int) and cited_by >= 0 else None,
        abstract=rebuild_abstract(data.get("abstract_inverted_index")),
        is_retracted=data.get("is_retracted") is True,
        openalex_id=_short_id(data.get("id")),
        authors=_authorships(data.get("authorships")),
    )


def rebuild_abstract(inverted_index):
    """The abstract text of an OpenAlex ``abstract_inverted_index`` (word -> positions).

    OpenAlex may not hand out abstracts as text, only as this index; putting each word back
    at its positions gives the text again. Returns "" for a missing or empty index.
    """
    if not isinstance(inverted_index, dict):
        return ""
    placed = {}
    for word, positions in inverted_index.items():
        for position in positions if isinstance(positions, list) else []:
            if isinstance(position, int) and not isinstance(position, bool):
                placed[position] = word
    words = [placed[position] for position in sorted(placed)]
    # The heading of the abstract often comes along from the PDF: "Abstract This article ...".
    if len(words) > 1 and words[0] == "Abstract" and words[1][:1].isupper():
        words = words[1:]
    return clean_abstract(" ".join(words))


def _parse_topics(data):
    entries = [t for t in data.get("topics") or [] if isinstance(t, dict)]
    primary = data.get("primary_topic")
    if isinstance(primary, dict):
        entries.insert(0, primary)
    topics = []
    for entry in entries:
        names = tuple(
            _display_name(entry.get(level)) for level in ("domain", "field", "subfield")
        ) + (_display_name(entry),)
        if names[-1] and names not in topics:
            topics.append(names)
    return tuple(topics)


def _display_name(value):
    name = value.get("display_name") if isinstance(value, dict) else None
    return name.strip() if isinstance(name, str) else ""


def _pick_open_access_url(data):
    best = data.get("best_oa_location")
    best = best if isinstance(best, dict) else {}
    access = data.get("open_access")
    access = access if isinstance(access, dict) else {}
    urls = (best.get("landing_page_url"), best.get("pdf_url"), access.get("oa_url"))
    return next(filter(None, map(safe_link, urls)), None)


_AUTHOR_ID = re.compile(r"^A\d{1,15}$")


def _author_id(value):
    """An OpenAlex author id in short form ("A5023888391"), or None."""
    short = _short_id(value)
    return short if short and _AUTHOR_ID.match(short) else None


def _short_id(value):
    # "https://openalex.org/W2121398592" -> "W2121398592"
    if not isinstance(value, str):
        return None
    return value.rstrip("/").rsplit("/", 1)[-1] or None


# --- whole works ---

# OpenAlex's own work types -> Crossref's (type, subtype). A Crossref type that OpenAlex
# recorded (``type_crossref``, or the primary location's ``raw_type``) is taken as it is.
_TYPES = {
    "article": ("journal-article", None),
    "review": ("journal-article", None),
    "letter": ("journal-article", None),
    "editorial": ("journal-article", None),
    "erratum": ("journal-article", None),
    "retraction": ("journal-article", None),
    "preprint": ("posted-content", "preprint"),
    "conference-paper": ("proceedings-article", None),
    "book-chapter": ("book-chapter", None),
    "book": ("book", None),
    "dataset": ("dataset", None),
    "dissertation": ("dissertation", None),
    "report": ("report", None),
    "standard": ("standard", None),
    "peer-review": ("peer-review", None),
    "reference-entry": ("reference-entry", None),
    "supplementary-materials": ("component", None),
}
_CROSSREF_TYPES = {crossref_type for crossref_type, _ in _TYPES.values()} | {
    "journal",
    "journal-issue",
    "monograph",
    "edited-book",
    "reference-book",
    "proceedings",
    "other",
}
# Sources that are the container a work appeared in (not a repository that holds a copy).
_CONTAINER_SOURCES = {"journal", "conference", "book series", "ebook platform"}


def parse_work(data):
    """One OpenAlex work (a snapshot line or an API response) -> ``records.Work``. Pure.

    Raises OpenAlexError for a list response, a work without a DOI (the catalogue keys
    papers on DOIs, and OpenAlex's DOI-less works are mostly paratext, library records and
    duplicates of works that have one) or without a title. Categories are OpenAlex's topics
    (domain, field, subfield, topic), as the enrichment stores them; a work OpenAlex marks
    retracted gets a retraction notice naming its own DOI (OpenAlex gives no notice DOI).
    """
    if isinstance(data, list) or (isinstance(data, dict) and "results" in data):
        raise OpenAlexError("expected one OpenAlex work, got a list response")
    if not isinstance(data, dict):
        raise OpenAlexError(f"expected an OpenAlex work object, got {data!r:.40}")
    short_id = _short_id(data.get("id")) or "?"
    if not data.get("doi"):
        raise OpenAlexError(
            f"OpenAlex work {short_id} has no DOI: the catalogue keys papers on DOIs"
        )
    try:
        doi = normalize_doi(data["doi"])
    except RecordError as error:
        raise OpenAlexError(f"OpenAlex work {short_id}: {error}") from error
    title = clean_text(data.get("title") or data.get("display_name"))
    if not title:
        raise OpenAlexError(f"OpenAlex work {short_id} ({doi}) has no title")
    location = data.get("primary_location")
    location = location if isinstance(location, dict) else {}
    source = location.get("source")
    source = source if isinstance(source, dict) else {}
    biblio = data.get("biblio")
    biblio = biblio if isinstance(biblio, dict) else {}
    work_type, work_subtype = _work_type(data, location)
    cited_by = as_int(data.get("cited_by_count"))
    references = as_int(data.get("referenced_works_count"))
    if references is None and isinstance(data.get("referenced_works"), list):
        references = len(data["referenced_works"])
    return Work(
        doi=doi,
        title=title,
        subtitle="",
        work_type=work_type,
        work_subtype=work_subtype,
        abstract=rebuild_abstract(data.get("abstract_inverted_index")),
        published=_published(data),
        journal=_journal(source),
        volume=as_text(biblio.get("volume")),
        issue=as_text(biblio.get("issue")),
        pages=_pages(as_text(biblio.get("first_page")), as_text(biblio.get("last_page"))),
        article_number=None,
        language=as_text(data.get("language")),
        publisher=clean_text(source.get("host_organization_name")),
        # OpenAlex names licences ("cc-by"), it does not link them: only a link is kept.
        license_url=safe_link(location.get("license")),
        url=safe_link(location.get("landing_page_url")),
        reference_count=references if references is None or references >= 0 else None,
        citation_count=cited_by if cited_by is None or cited_by >= 0 else None,
        subjects=unique_values(name for topic in _parse_topics(data) for name in topic),
        authors=_authorships(data.get("authorships")),
        funders=_funders(data),
        updates=_retraction(data, doi),
        isbns=(),
        references=_referenced_works(data.get("referenced_works")),
        openalex_id=_short_id(data.get("id")),
    )


def _referenced_works(value):
    """``referenced_works`` (OpenAlex work URLs) as reference entries by OpenAlex id, in
    order, once each; None when the work has no such list."""
    if not isinstance(value, list):
        return None
    ids = unique_values(_short_id(item) for item in value)
    return tuple(ReferenceEntry(openalex_id=short) for short in ids if _OPENALEX_ID.match(short))


_OPENALEX_ID = re.compile(r"^W\d{1,15}$")


def _work_type(data, location):
    for crossref_type in (data.get("type_crossref"), location.get("raw_type")):
        if crossref_type in _CROSSREF_TYPES:
            return crossref_type, ("preprint" if crossref_type == "posted-content" else None)
    return _TYPES.get(data.get("type"), ("other", None))


def _published(data):
    text = as_text(data.get("publication_date")) or ""
    try:
        date = datetime.date.fromisoformat(text)
    except ValueError:
        year = as_int(data.get("publication_year"))
        return PartialDate(year=year) if year else None
    return PartialDate(year=date.year, month=date.month, day=date.day)


def _journal(source):
    if source.get("type") not in _CONTAINER_SOURCES:
        return None
    title = clean_text(source.get("display_name"))
    if not title:
        return None
    issns = unique_values(as_text(i) for i in [*as_list(source.get("issn")), source.get("issn_l")])
    # OpenAlex does not say which ISSN is print and which electronic.
    return Journal(
        title=title,
        issns=tuple(("", issn) for issn in issns),
        publisher=clean_text(source.get("host_organization_name")),
    )


def _pages(first, last):
    if first and last and last != first:
        return f"{first}-{last}"
    return first


def _authorships(entries):
    authors = []
    for entry in as_list(entries):
        if not isinstance(entry, dict):
            continue
        author = entry.get("author") if isinstance(entry.get("author"), dict) else {}
        name = clean_text(author.get("display_name") or entry.get("raw_author_name"))
        given, family = split_personal_name(name)
        if not family:
            continue
        institutions = [
            clean_text(i.get("display_name"))
            for i in as_list(entry.get("institutions"))
            if isinstance(i, dict)
        ]
        raw = [clean_text(a) for a in as_list(entry.get("raw_affiliation_strings"))]
        authors.append(
            Contributor(
                given=given or None,
                family=family,
                name=None,
                is_organization=False,
                orcid=normalize_orcid(author.get("orcid")),
                # OpenAlex matched the iD itself; it was not asserted through ORCID.
                orcid_authenticated=False,
                affiliations=unique_values(raw or institutions),
                sequence="first" if not authors else "additional",
                position=len(authors),
                openalex_id=_author_id(author.get("id")),
            )
        )
    return tuple(authors)


def _funders(data):
    """Funders with their award numbers: ``awards`` and ``funders`` (the current snapshot),
    or ``grants`` (older snapshots); one entry per funder, in order."""
    awards = defaultdict(list)
    for award in as_list(data.get("awards")):
        if isinstance(award, dict) and clean_text(award.get("funder_display_name")):
            number = clean_text(award.get("funder_award_id"))
            awards[clean_text(award["funder_display_name"])].append(number)
    for grant in as_list(data.get("grants")):
        if isinstance(grant, dict) and clean_text(grant.get("funder_display_name")):
            number = clean_text(grant.get("award_id"))
            awards[clean_text(grant["funder_display_name"])].append(number)
    for funder in as_list(data.get("funders")):
        if isinstance(funder, dict) and clean_text(funder.get("display_name")):
            awards.setdefault(clean_text(funder["display_name"]), [])
    return tuple(
        FunderAward(name=name, funder_doi=None, awards=unique_values(numbers))
        for name, numbers in awards.items()
    )


def _retraction(data, doi):
    if data.get("is_retracted") is not True:
        return ()
    return (
        UpdateNotice(
            kind="retraction",
            doi=doi,
            date=None,
            direction="updated-by",
            label="Retracted (OpenAlex)",
        ),
    )
