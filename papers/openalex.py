"""Parse OpenAlex work responses: the DOI and scored keywords, and the other enrichments.

Plain values only: no HTTP, no ORM (``papers.ingest.apply_keywords`` writes them).
``parse_enrichment`` reads the rest of what OpenAlex adds to a work: topics, an open-access
link, the citation count, the abstract rebuilt from its inverted index, the retraction flag.
"""

from dataclasses import dataclass

from papers.jats import clean_abstract
from papers.links import safe_link
from papers.records import RecordError, normalize_doi

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


def _short_id(value):
    # "https://openalex.org/W2121398592" -> "W2121398592"
    if not isinstance(value, str):
        return None
    return value.rstrip("/").rsplit("/", 1)[-1] or None
