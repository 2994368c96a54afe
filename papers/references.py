"""Reference lists and "cited by": what a paper cites, and which catalogue papers cite it.

A record's reference list (Crossref ``reference``, OpenAlex ``referenced_works``; parsed
into ``records.ReferenceEntry`` values) is stored as ``Reference`` rows in its order by
both ingest paths (``papers.ingest`` one paper, ``papers.bulk`` a batch), through the
functions here:

- ``wanted_list`` decides whether an import replaces the stored list: a record that gives
  a list replaces it whole (a re-import never duplicates an entry), one that says nothing
  leaves it; a lock on "references" leaves it; OpenAlex's list (bare ids) never replaces
  one a registry gave with its text.
- ``resolve`` finds the cited catalogue papers of new entries, by DOI and by OpenAlex id
  (two queries for any number of entries).
- ``link_arrivals`` links the entries that wait for papers just added or just given an
  OpenAlex id (two statements for any number of papers), and bumps the citing papers'
  versions so that their "References" blocks link the newcomer at once.

Every change to who cites whom bumps the pages showing it: the citing paper's (its list)
and the cited papers' ("Cited by"); deleting a paper bumps ``pages_linked`` before it goes.
Counts are never stored: each block counts its rows when it is rendered (cached per
version, ``portal.paper_fragments``), so they stay right whatever is imported, re-imported
or deleted.
"""

from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower

from papers import curation
from papers.models import LIST_DEFERRED, LinkSource, Paper, Reference

# Entries and citing papers per page of the paper page's blocks.
REFERENCES_PER_PAGE = 20
CITED_BY_PER_PAGE = 10

# Reference columns an entry fills, in the order ``entry_key`` and ``row_key`` give them.
ENTRY_COLUMNS = (
    "doi",
    "openalex_id",
    "text",
    "author",
    "year",
    "title",
    "container",
    "volume",
    "first_page",
)


def entry_key(entry):
    """A ``records.ReferenceEntry`` as the values of its row (``ENTRY_COLUMNS``)."""
    return (
        entry.doi or "",
        entry.openalex_id or "",
        entry.text,
        entry.author,
        entry.year,
        entry.title,
        entry.container,
        entry.volume,
        entry.first_page,
    )


def row_key(values):
    """A stored row's ``ENTRY_COLUMNS`` values (a Reference, or a dict of them)."""
    if isinstance(values, dict):
        return tuple(values[name] for name in ENTRY_COLUMNS)
    return tuple(getattr(values, name) for name in ENTRY_COLUMNS)


def wanted_list(paper, work, *, source, stored):
    """The entries an import of ``work`` by ``source`` stores as ``paper``'s reference list
    (a list of ``ENTRY_COLUMNS`` tuples), or None to leave the stored list as it is.

    ``stored`` is the paper's stored list as such tuples. None when the record gives no
    list, when a curator locked "references", when the list is already what is stored, or
    when OpenAlex would replace a registry's list (which carries the entries' text).
    """
    if work.references is None or curation.is_locked(paper, "references", source=source):
        return None
    if source == LinkSource.OPENALEX and stored:
        earlier = (curation.source_of(paper, "references") or "").split(" ")[0]
        if earlier and earlier != LinkSource.OPENALEX:
            return None
    wanted = [entry_key(entry) for entry in work.references]
    return None if wanted == list(stored) else wanted


def resolve(keys):
    """{("doi", doi) or ("openalex", id): paper id} of the catalogue papers these entries
    (``ENTRY_COLUMNS`` tuples) cite. At most two queries whatever their number."""
    dois = {key[0] for key in keys if key[0]}
    openalex_ids = {key[1] for key in keys if key[1]}
    found = {}
    if dois:
        rows = Paper.objects.alias(doi_lower=Lower("doi")).filter(doi_lower__in=sorted(dois))
        for pk, doi in rows.values_list("pk", "doi"):
            found[("doi", doi.lower())] = pk
    if openalex_ids:
        rows = Paper.objects.filter(openalex_id__in=sorted(openalex_ids))
        for pk, openalex_id in rows.order_by("pk").values_list("pk", "openalex_id"):
            found.setdefault(("openalex", openalex_id), pk)
    return found


def cited_id(key, found):
    """The catalogue paper an entry cites, from ``resolve``'s answer: by DOI, else by
    OpenAlex id; None when the catalogue does not hold it."""
    return found.get(("doi", key[0])) or found.get(("openalex", key[1]))


def rows_for(paper_id, keys, found):
    """New Reference rows of one paper's list (not saved)."""
    return [
        Reference(
            citing_id=paper_id,
            position=position,
            cited_id=cited_id(key, found),
            **dict(zip(ENTRY_COLUMNS, key, strict=True)),
        )
        for position, key in enumerate(keys, 1)
    ]


def link_arrivals(papers):
    """Link the stored entries that cite ``papers`` (just created, or just given their
    OpenAlex id) and are not linked yet; returns how many were linked.

    Set-based, whatever the number of papers and entries: one query reads the citing
    papers of the waiting entries; if there are any, one UPDATE links the entries and their
    versions are bumped once the transaction commits (their "References" blocks now link
    the newcomers; ``papers.versions``). No query
    when the papers have neither DOI nor OpenAlex id. The papers' own versions are their
    writer's to bump.
    """
    dois = sorted({p.doi.lower() for p in papers if p.doi})
    openalex_ids = sorted({p.openalex_id for p in papers if p.openalex_id})
    if not dois and not openalex_ids:
        return 0
    match = Q()
    if dois:
        match |= Q(doi__in=dois)
    if openalex_ids:
        match |= Q(openalex_id__in=openalex_ids)
    waiting = Reference.objects.unresolved().filter(match)
    citing = set(waiting.values_list("citing_id", flat=True))
    if not citing:
        return 0  # the common case, a paper nobody cited yet: one query
    curation.bump_version_on_commit(citing)
    by_doi = Paper.objects.alias(doi_lower=Lower("doi")).filter(doi_lower=OuterRef("doi"))
    by_openalex = Paper.objects.filter(openalex_id=OuterRef("openalex_id")).exclude(openalex_id="")
    return waiting.update(
        cited_id=Coalesce(
            Subquery(by_doi.values("pk")[:1]), Subquery(by_openalex.order_by("pk").values("pk")[:1])
        )
    )


def bump_pages_linked(paper_ids):
    """Bump the papers whose blocks show any of ``paper_ids``: the papers citing them and
    the catalogue papers they cite (after the commit: papers.versions). Call it before
    deleting the papers."""
    return curation.bump_version_on_commit(Reference.objects.pages_linked(paper_ids))


# --- the paper page's blocks and the API ---


def citing_papers(paper_id):
    """The catalogue papers whose reference lists cite the paper, newest first, each once,
    never the paper itself (a record listing its own DOI, as some preprint versions do);
    with their journals (one query a page)."""
    citing = Reference.objects.filter(cited_id=paper_id).values("citing_id")
    papers = Paper.objects.filter(pk__in=citing).exclude(pk=paper_id)
    return papers.select_related("journal").defer(*LIST_DEFERRED)


def references_page(paper_id, number):
    """A Django Page of the paper's reference list (two queries: count, rows with the
    cited papers). A page number out of range gives the nearest page."""
    paginator = Paginator(Reference.objects.for_list(paper_id), REFERENCES_PER_PAGE)
    return paginator.get_page(number)


def cited_by_page(paper_id, number):
    """A Django Page of the papers citing the paper (two queries: count, rows)."""
    paginator = Paginator(citing_papers(paper_id), CITED_BY_PER_PAGE)
    return paginator.get_page(number)
