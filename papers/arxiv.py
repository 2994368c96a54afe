"""Parse arXiv metadata records into the same ``records.Work`` dataclass.

Two line formats, told apart per line by ``parse_record``:

- a listing record, one line of an arXiv listing crawl (as in
  ``../shared/data/corpus/arxiv_cs_listings_74k.jsonl.gz``): ``id``, ``title``, ``summary``,
  ``authors`` (a list of names as written), ``categories`` (a list, first = primary),
  ``listing_date``; read by ``parse_listing``;
- a line of arXiv's public metadata snapshot (Kaggle's "arxiv-metadata-oai-snapshot.json"):
  ``id``, ``submitter``, ``authors`` (one string), ``authors_parsed`` ([last, first, suffix]),
  ``title``, ``comments``, ``journal-ref``, ``doi``, ``report-no``, ``categories`` (one string,
  space separated, first = primary), ``license``, ``abstract``, ``versions`` ([{version,
  created}]), ``update_date``; read by ``parse_snapshot``.

Each returns a ``records.Work`` that ``papers.ingest`` stores like any Crossref record;
``import_listings`` does that for many. No HTTP here.

Every arXiv paper has a DataCite DOI, ``10.48550/arXiv.<id>``, whose DataCite record carries
the same title, abstract, authors and categories: the papers are stored with source
"datacite", so that a later DataCite refresh of the same DOI replaces these values and
category links instead of adding a second set. A snapshot record's ``doi`` is the published
(journal) version's DOI, a different work: the paper keeps its arXiv DOI, and the published
DOI becomes the paper's ``is-preprint-of`` version relation (``papers.version_groups`` links
the two when both are in the catalogue). A ``journal-ref`` without a DOI ("Phys.Rev.D76:
013009,2007") is kept as the work's ``journal_ref``: ``papers.journal_refs`` links the preprint
to the catalogue paper of that volume, first page, year and title, now or when it arrives.
"""

import email.utils
import re

from papers.jats import clean_abstract, clean_text
from papers.links import safe_link
from papers.models import LinkSource
from papers.records import (
    IS_PREPRINT_OF,
    Contributor,
    PartialDate,
    RecordError,
    Work,
    as_list,
    as_text,
    normalize_doi,
    split_personal_name,
    unique_values,
    version_relations,
)

SOURCE = LinkSource.DATACITE


class ArxivError(RecordError):
    """The value is not a usable arXiv listing record; the message says why."""


# New-style ids (2107.01234, 2107.01234v2) and old-style ones (cs/9901001, math.AG/0101001).
_NEW_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?")
_OLD_ID = re.compile(r"[a-z-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d+)?")
_LISTING_DATE = re.compile(r"(\d{4})-(\d{2})-\d{2}")


def parse_record(record):
    """One line of either format -> ``records.Work``; ArxivError when it is not usable.

    The snapshot writes ``categories`` as one string and always has ``abstract``; a listing
    writes a list and has ``summary``: the format is told per record, so one file may mix them.
    """
    if isinstance(record, dict) and (
        isinstance(record.get("categories"), str) or "abstract" in record
    ):
        return parse_snapshot(record)
    return parse_listing(record)


def parse_listing(record):
    """One arXiv listing record -> ``records.Work``; ArxivError when it is not usable."""
    arxiv_id, title = _id_and_title(record, "listing")
    return _work(
        arxiv_id,
        title=title,
        abstract=record.get("summary"),
        published=_published(arxiv_id, record.get("listing_date")),
        categories=as_list(record.get("categories")),
        authors=_authors(record.get("authors")),
        license_url=None,
    )


def parse_snapshot(record):
    """One line of arXiv's metadata snapshot -> ``records.Work``; ArxivError when not usable.

    Authors come from ``authors_parsed`` ([last, first, suffix]) when present, else from the
    ``authors`` string. The date is the first version's month (from the id, else ``versions``).
    """
    arxiv_id, title = _id_and_title(record, "snapshot record")
    parsed = as_list(record.get("authors_parsed"))
    if parsed:
        authors = _authors_parsed(parsed)
    else:
        authors = _authors(_split_author_string(as_text(record.get("authors")) or ""))
    categories = (as_text(record.get("categories")) or "").split()
    return _work(
        arxiv_id,
        title=title,
        abstract=record.get("abstract"),
        published=_published(arxiv_id, None) or _first_version_date(record.get("versions")),
        categories=categories,
        authors=authors,
        license_url=safe_link(record.get("license")),
        versions=_published_version(arxiv_id, published_doi(record)),
        # The published version named only as text: linked by papers.journal_refs.
        journal_ref=None if published_doi(record) else clean_text(record.get("journal-ref")),
    )


def published_doi(record):
    """The DOI of a snapshot record's published version (its ``doi`` field), or None.

    Not the paper's own DOI: an arXiv paper is stored under 10.48550/arXiv.<id>.
    """
    try:
        return normalize_doi(record.get("doi") or "") if isinstance(record, dict) else None
    except RecordError:
        return None


def _id_and_title(record, kind):
    if not isinstance(record, dict):
        raise ArxivError(f"expected a JSON object for an arXiv {kind}, got {record!r:.40}")
    arxiv_id = (as_text(record.get("id")) or "").strip()
    if not (_NEW_ID.fullmatch(arxiv_id) or _OLD_ID.fullmatch(arxiv_id)):
        raise ArxivError(f"{arxiv_id!r} is not an arXiv id: one looks like 2107.01234")
    title = clean_text(record.get("title"))
    if not title:
        raise ArxivError(f"arXiv {arxiv_id} has no title")
    return re.sub(r"v\d+$", "", arxiv_id), title  # the DOI names the paper, not a version


def _published_version(arxiv_id, doi):
    """The snapshot's published DOI as the paper's one version relation, or None."""
    if not doi:
        return None
    own_doi = normalize_doi(f"10.48550/arXiv.{arxiv_id}")
    return version_relations([(IS_PREPRINT_OF, doi)], own_doi=own_doi)


def _work(
    arxiv_id,
    *,
    title,
    abstract,
    published,
    categories,
    authors,
    license_url,
    versions=None,
    journal_ref=None,
):
    return Work(
        doi=normalize_doi(f"10.48550/arXiv.{arxiv_id}"),
        title=title,
        subtitle="",
        work_type="posted-content",
        work_subtype="preprint",
        # arXiv hard-wraps abstracts at ~80 characters: one paragraph unless a blank line.
        abstract=clean_abstract(abstract),
        published=published,
        journal=None,
        volume=None,
        issue=None,
        pages=None,
        article_number=None,
        language="en",
        publisher="arXiv",
        license_url=license_url,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        reference_count=None,
        citation_count=None,
        subjects=unique_values(clean_text(c) for c in categories),
        authors=authors,
        funders=(),
        updates=(),
        isbns=(),
        versions=versions,
        journal_ref=journal_ref or None,
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


def _first_version_date(versions):
    """Year and month of v1's ``created`` ("Mon, 2 Apr 2007 19:18:42 GMT"), or None."""
    first = next((v for v in as_list(versions) if isinstance(v, dict)), {})
    try:
        created = email.utils.parsedate_to_datetime(as_text(first.get("created")) or "")
    except (TypeError, ValueError):
        return None
    return PartialDate(year=created.year, month=created.month)


def _split_author_string(authors):
    """The snapshot's ``authors`` string ("A. One, B. Two and C. Three") as a list of names."""
    return [name for name in re.split(r",\s*|\s+and\s+", authors) if name.strip()]


def _authors_parsed(entries):
    """Authors from ``authors_parsed``: [last, first, suffix] lists, in order."""
    authors = []
    for entry in entries:
        parts = [clean_text(part) for part in as_list(entry)] + ["", "", ""]
        family, given, suffix = parts[:3]
        family = " ".join(part for part in (family, suffix) if part)
        if not family and not given:
            continue
        authors.append(_person(given or None, family or given, len(authors)))
    return tuple(authors)


def _person(given, family, position):
    return Contributor(
        given=given,
        family=family,
        name=None,
        is_organization=False,
        orcid=None,
        orcid_authenticated=False,
        affiliations=(),
        sequence="first" if position == 0 else "additional",
        position=position,
    )


def _authors(names):
    """Personal names as arXiv writes them ("Given Family"), in order."""
    authors = []
    for name in as_list(names):
        given, family = split_personal_name(clean_text(name))
        if not family:
            continue
        authors.append(_person(given or None, family, len(authors)))
    return tuple(authors)
