"""Parse the subject terms of an OpenAlex work response: its DOI and scored keywords.

Plain values only: no HTTP, no ORM (``papers.ingest.apply_keywords`` writes them).
"""

from papers.crossref import CrossrefError, normalize_doi

# OpenAlex scores each keyword 0..1; below this the terms are mostly noise
# (e.g. "Beach morphodynamics" on a plant biology paper scores 0.45, so keep it strict).
MIN_KEYWORD_SCORE = 0.5


class OpenAlexError(ValueError):
    """Not a usable OpenAlex work; the message says why."""


def parse_keywords(data):
    """Return (doi, keywords) of one OpenAlex work, keywords best first.

    Raises OpenAlexError when the work has no valid DOI (we key papers on DOIs).
    """
    if not isinstance(data, dict):
        raise OpenAlexError("expected an OpenAlex work object")
    try:
        doi = normalize_doi(data.get("doi") or "")
    except CrossrefError as error:
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
