"""Parse arXiv listing records into the same ``records.Work`` dataclass.

A listing record is one line of an arXiv listing crawl (as in
../shared/data/corpus/arxiv_cs_listings_74k.jsonl.gz): ``id``, ``title``, ``summary``,
``authors`` (names as written), ``categories`` (first = primary), ``listing_date``.
``parse_listing`` returns a ``records.Work`` that ``papers.ingest.upsert_work`` stores like
any Crossref record; ``import_listings`` does that for many. No HTTP here.

Every arXiv paper has a DataCite DOI, ``10.48550/arXiv.<id>``, whose DataCite record carries
the same title, abstract, authors and categories: the papers are stored with source
"datacite", so that a later DataCite refresh of the same DOI replaces these values and
category links instead of adding a second set.
"""

import re

from papers.jats import clean_abstract, clean_text
from papers.models import LinkSource
from papers.records import (
    Contributor,
    PartialDate,
    RecordError,
    Work,
    as_list,
    as_text,
    normalize_doi,
    unique_values,
)

SOURCE = LinkSource.DATACITE


class ArxivError(RecordError):
    """The value is not a usable arXiv listing record; the message says why."""


# New-style ids (2107.01234, 2107.01234v2) and old-style ones (cs/9901001, math.AG/0101001).
_NEW_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?")
_OLD_ID = re.compile(r"[a-z-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d+)?")
_LISTING_DATE = re.compile(r"(\d{4})-(\d{2})-\d{2}")
# Lower-case words that start a family name: "Ludwig van Beethoven", "Vincent de Paul".
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "dos", "la", "le"}
_PARTICLES |= {"ten", "ter", "zu", "af", "bin", "al", "el"}


def parse_listing(record):
    """One arXiv listing record -> ``records.Work``; ArxivError when it is not usable."""
    if not isinstance(record, dict):
        raise ArxivError(f"expected a JSON object for an arXiv listing, got {record!r:.40}")
    arxiv_id = (as_text(record.get("id")) or "").strip()
    if not (_NEW_ID.fullmatch(arxiv_id) or _OLD_ID.fullmatch(arxiv_id)):
        raise ArxivError(f"{arxiv_id!r} is not an arXiv id: one looks like 2107.01234")
    title = clean_text(record.get("title"))
    if not title:
        raise ArxivError(f"arXiv {arxiv_id} has no title")
    arxiv_id = re.sub(r"v\d+$", "", arxiv_id)  # the DOI names the paper, not a version
    return Work(
        doi=normalize_doi(f"10.48550/arXiv.{arxiv_id}"),
        title=title,
        subtitle="",
        work_type="posted-content",
        work_subtype="preprint",
        # arXiv hard-wraps abstracts at ~80 characters: one paragraph unless a blank line.
        abstract=clean_abstract(record.get("summary")),
        published=_published(arxiv_id, record.get("listing_date")),
        journal=None,
        volume=None,
        issue=None,
        pages=None,
        article_number=None,
        language="en",
        publisher="arXiv",
        license_url=None,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        reference_count=None,
        citation_count=None,
        subjects=unique_values(clean_text(c) for c in as_list(record.get("categories"))),
        authors=_authors(record.get("authors")),
        funders=(),
        updates=(),
        isbns=(),
    )


def import_listings(records, *, report, batch_size=500):
    """Parse listing records and store them through the bulk path (``ingest.import_works``),
    ``batch_size`` per transaction: a bad record is rejected alone, with its reason.

    ``report`` is a ``papers.ingest.ImportReport``; returns it.
    """
    from papers.ingest import import_works  # ingest imports the models; keep parsing light

    return import_works(
        (_parsed(record) for record in records),
        report=report,
        source=SOURCE,
        batch_size=batch_size,
    )


def _parsed(record):
    """(where, Work or the error that refuses it) for one listing record."""
    where = f"arXiv {record.get('id')}" if isinstance(record, dict) else "record"
    try:
        return where, parse_listing(record)
    except ValueError as error:  # ArxivError, and RecordError from normalize_doi
        return where, error


def _published(arxiv_id, listing_date):
    """Year and month of first submission, from the id (2107.01234 -> 2021-07); the listing
    date only when the id does not say."""
    match = _NEW_ID.fullmatch(arxiv_id) or _OLD_ID.fullmatch(arxiv_id)
    yy, mm = int(match[1]), int(match[2])
    if 1 <= mm <= 12:
        return PartialDate(year=(1900 + yy if yy >= 90 else 2000 + yy), month=mm)
    listed = _LISTING_DATE.fullmatch(as_text(listing_date) or "")
    return PartialDate(year=int(listed[1]), month=int(listed[2])) if listed else None


def _authors(names):
    """Personal names as arXiv writes them ("Given Family"), in order."""
    authors = []
    for name in as_list(names):
        words = clean_text(name).split()
        if not words:
            continue
        start = len(words) - 1
        # Only particles written in lower case: "Van" is also a Vietnamese middle name.
        while start > 1 and words[start - 1] in _PARTICLES:
            start -= 1
        given, family = " ".join(words[:start]), " ".join(words[start:])
        authors.append(
            Contributor(
                given=given or None,
                family=family,
                name=None,
                is_organization=False,
                orcid=None,
                orcid_authenticated=False,
                affiliations=(),
                sequence="first" if not authors else "additional",
                position=len(authors),
            )
        )
    return tuple(authors)
