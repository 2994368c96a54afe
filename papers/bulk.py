"""Many records at once: the bulk form of ``papers.ingest.upsert_work``, and what a record
means as rows for both (``scalar_values``, ``issn_slots``, the outcomes).

``import_works`` stores ``records.Work`` values a batch at a time, with the guarantees of
the single path: upsert by DOI (a second import of the same records changes nothing and
reports them unchanged), fields and relations a curator locked never touched, provenance
stamped per field (``curation.stamp_provenance``), a bad record rejected alone with its
reason while the rest of its batch lands, the retraction signal once committed, and one
task per batch to place its papers in the related-papers lists.

What makes it fast is the number of statements, not their kind: a batch of any size costs
the same dozen or so queries (tests/papers/test_bulk_ingest.py pins them). Its papers are
read (and locked) by DOI in one query; journals (by ISSN, else title), authors (by ORCID),
categories and funders are resolved with a few set-based queries each; the changes are
computed in Python with ``papers.curation``'s rules; papers, authorships, links, fundings
and notices are written with one statement each (COPY on PostgreSQL, ``bulk_create``
elsewhere; ``bulk_update``; one DELETE); search documents are built from what is in
memory.

Concurrent imports of overlapping batches: rows with a natural key are created with
ON CONFLICT DO NOTHING and read back (authors by ORCID, journals by ISSN or title,
categories by name, funders by DOI or, without one, by name), so two processes share one
row; papers are locked by DOI, and a batch that loses a race to insert the same new DOI
is rolled back and run again, finding the other's paper. Unique constraints (migrations
0014, and 0016 for funders) make a duplicate impossible rather than unlikely.
"""

import functools
import gc
import itertools
import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import (
    DataError,
    IntegrityError,
    OperationalError,
    connection,
    models,
    transaction,
)
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from papers import authors, curation, journal_refs, merge, references, version_groups
from papers.models import (
    NEXT_VERSION,
    Author,
    Authorship,
    Category,
    Funder,
    Funding,
    Journal,
    LinkSource,
    Notice,
    Paper,
    PaperCategory,
    PaperKeyword,
    Reference,
)
from papers.records import RETRACTION_KINDS
from papers.rows import insert_tuples
from papers.signals import paper_retracted

logger = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

# Fields OpenAlex fills where the record has none. A record without a value leaves
# OpenAlex's in place, rather than erasing it at every refresh for the enrichment to put back.
KEPT_FROM_ENRICHMENT = {"abstract", "citation_count"}

BATCH_SIZE = 500
# A batch that lost a race (another process inserted one of its new DOIs first, or the
# database chose it as a deadlock victim) runs again, up to this many times in all.
ATTEMPTS = 3
DEADLOCK = "40P01"


def import_works(items, *, report, source, batch_size=BATCH_SIZE):
    """Store (where, Work | Exception) pairs ``batch_size`` at a time; returns ``report``.

    An Exception item, a record the catalogue cannot hold (``refusal``) and a record the
    database refuses are each added to ``report.rejected`` as (where, reason); every other
    record is created, updated or unchanged, counted in ``report``. Each batch is one
    transaction (a savepoint inside the caller's); if the database refuses it, its records
    are stored again one per savepoint, so that only the bad one is left out. A DOI that
    comes twice in a batch is stored once per occurrence, in order, as the single path would.
    """
    items = iter(items)
    while True:
        with _cyclic_gc_paused():
            if not _import_batch(items, report=report, source=source, batch_size=batch_size):
                return report


def _import_batch(items, *, report, source, batch_size):
    """Read, check and store the next batch of ``items``; False when there was none."""
    batch = list(itertools.islice(items, max(1, batch_size)))
    if batch:
        valid = []
        for where, item in batch:
            reason = str(item) if isinstance(item, Exception) else refusal(item)
            if reason:
                report.rejected.append((where, reason))
            else:
                valid.append((where, item))
        for part in _parts_with_unique_dois(valid):
            for where, outcome in store_batch(part, source=source):
                if outcome in (CREATED, UPDATED, UNCHANGED):
                    report.add(outcome)
                else:
                    report.rejected.append((where, outcome))
    return bool(batch)


@contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for one batch, then resume it.

    A batch makes some hundred thousand short-lived objects (parsed records, rows, SQL
    values), which reference counting frees; each allocation burst also sets off the cyclic
    collector, whose passes over every live object of the process took ~40 % of an arXiv
    batch (bench/ingest.py, measured 2026-12-05). Paused for a second or so at a time, it
    runs again between batches.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def store_batch(pairs, *, source):
    """Store (where, Work) pairs with distinct DOIs; returns [(where, outcome or reason)].

    One transaction for all; if the database refuses it (a value no check here foresaw),
    each record again in a savepoint of its own, the refused ones reported with the
    database's reason.
    """
    try:
        return _store_with_retries(pairs, source=source)
    except (DataError, IntegrityError):
        pass
    results = []
    for where, work in pairs:
        try:
            results += _store_with_retries([(where, work)], source=source)
        except (DataError, IntegrityError) as error:
            results.append((where, str(error).strip()))
    return results


def _store_with_retries(pairs, *, source):
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _store(pairs, source=source)
        except (IntegrityError, OperationalError) as error:
            lost_race = isinstance(error, IntegrityError) or _is_deadlock(error)
            if not lost_race or attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _is_deadlock(error):
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK


def _parts_with_unique_dois(pairs):
    """Split pairs so that no part holds a DOI twice, keeping each DOI's order."""
    parts, seen = [], defaultdict(int)
    for where, work in pairs:
        index = seen[work.doi.lower()]
        seen[work.doi.lower()] += 1
        if index == len(parts):
            parts.append([])
        parts[index].append((where, work))
    return parts


# --- a record as rows (shared with papers.ingest.upsert_work) ---


def scalar_values(work):
    published = work.published
    return {
        "title": work.title,
        "subtitle": work.subtitle,
        "work_type": work.work_type or "other",
        "work_subtype": work.work_subtype or "",
        "abstract": work.abstract,
        "published_year": published.year if published else None,
        "published_month": published.month if published else None,
        "published_day": published.day if published else None,
        "volume": work.volume or "",
        "issue": work.issue or "",
        "pages": work.pages or "",
        "article_number": work.article_number or "",
        "language": work.language or "",
        "publisher": work.publisher,
        "license_url": work.license_url or "",
        "url": work.url or "",
        "isbns": list(work.isbns),
        "reference_count": work.reference_count,
        "citation_count": work.citation_count,
    }


def issn_slots(data):
    """{"print": ISSN or "", "electronic": ISSN or ""} of a ``records.Journal``: each kind
    in its slot, an ISSN of unknown kind in whichever slot is still empty."""
    by_kind = {"print": "", "electronic": ""}
    others = []
    for kind, issn in data.issns:
        if kind in by_kind and not by_kind[kind]:
            by_kind[kind] = issn
        else:
            others.append(issn)
    for kind in by_kind:
        if not by_kind[kind] and others:
            by_kind[kind] = others.pop(0)
    return by_kind


# --- validation: refuse here what the database would refuse ---


def refusal(work):
    """Why the catalogue cannot store ``work`` (a value too long, negative, with a NUL...),
    or None. The single path learns these from the database; a batch asks first, so that
    one bad record does not cost its batch a second, record-by-record pass."""
    checks = [(Paper, name, value) for name, value in scalar_values(work).items()]
    checks.append((Paper, "doi", work.doi))
    if work.journal:
        issns = [issn for _, issn in work.journal.issns]
        checks += [
            (Journal, "title", work.journal.title),
            (Journal, "publisher", work.journal.publisher),
        ]
        checks += [(Journal, "issn_print", issn) for issn in issns]
    positions = set()
    for contributor in work.authors:
        if contributor.position in positions:
            return f"two authors at position {contributor.position}"
        positions.add(contributor.position)
        checks += [
            (Author, "given_name", contributor.given or ""),
            (Author, "family_name", contributor.family or ""),
            (Author, "name", contributor.display_name),
            (Author, "orcid", contributor.orcid),
        ]
    checks += [(Category, "name", name) for name in work.subjects]
    for award in work.funders:
        checks += [(Funder, "name", award.name), (Funder, "funder_doi", award.funder_doi)]
    for notice in work.updates:
        checks += [
            (Notice, "kind", notice.kind),
            (Notice, "doi", notice.doi),
            (Notice, "direction", notice.direction),
            (Notice, "label", notice.label or ""),
        ]
    for model, name, value in checks:
        reason = _value_refusal(_bounds(model, name), value)
        if reason:
            return f"{model.__name__.lower()} {name}: {reason}"
    return None


@functools.cache
def _bounds(model, name):
    """(max length or None, top of a positive integer or None) of a model field: looked up
    once, not for each of the hundreds of thousands of values a corpus has."""
    model_field = model._meta.get_field(name)
    top = None
    if isinstance(model_field, models.PositiveSmallIntegerField):
        top = 32767
    elif isinstance(model_field, models.PositiveIntegerField):
        top = 2**31 - 1
    return getattr(model_field, "max_length", None), top


def _value_refusal(bounds, value):
    if value is None:
        return None
    limit, top = bounds
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character"
        if limit and len(value) > limit:
            return f"{len(value)} characters, longer than the {limit} it may have"
    elif isinstance(value, int) and top is not None:
        if not 0 <= value <= top:
            return f"{value} is out of range (0 to {top})"
    return None


# --- one batch ---


@dataclass
class _Plan:
    """What one record does to its paper, filled in step by step by ``_store``."""

    where: str
    work: object
    paper: Paper
    created: bool
    changed: set = field(default_factory=set)
    authorships: list | None = None  # [(position, Author, affiliations)] when synced
    fundings: list | None = None  # [(Funder, awards)] when synced
    notices: set | None = None  # {(kind, doi, date, direction, label)} when synced
    categories: list | None = None  # category names after the import, when synced
    references: list | None = None  # the new reference list (entry keys), when replaced
    was_retracted: bool = False


def _store(pairs, *, source):
    """One batch in the caller's transaction; returns [(where, outcome)]."""
    # First, before any row: two imports of the same new author never both create it.
    authors.lock_names([work for _, work in pairs])
    existing = _lock_papers([work.doi for _, work in pairs])
    plans = []
    for where, work in pairs:
        paper = existing.get(work.doi.lower())
        plan = _Plan(where, work, paper or Paper(doi=work.doi), created=paper is None)
        plan.was_retracted = plan.paper.is_retracted
        plans.append(plan)

    def unlocked(name):
        return [p for p in plans if not curation.is_locked(p.paper, name, source=source)]

    journals = resolve_journals(p.work.journal for p in unlocked("journal") if p.work.journal)
    for plan in plans:
        _set_fields(plan, journals, source=source)
    current = _Relations([p.paper.pk for p in plans if not p.created])
    folds = _plan_authorships(unlocked("authors"), current)
    authorship_rows = _diff_authorships(plans, current)
    _plan_fundings(unlocked("funding"))
    funding_rows = _diff_fundings(plans, current)
    stale_links, new_links = _plan_categories(unlocked("categories"), current, source=source)
    _plan_notices(unlocked("notices"), current)
    stored_cited = _plan_references(plans, source=source)

    for plan in plans:
        notices = plan.notices if plan.notices is not None else current.notices[plan.paper.pk]
        # Another source's notices (Retraction Watch) count as the record's own do.
        notices = {*notices, *current.other_notices[plan.paper.pk]}
        is_retracted = any(n[3] == "updated-by" and n[0] in RETRACTION_KINDS for n in notices)
        if is_retracted != plan.paper.is_retracted:
            plan.paper.is_retracted = is_retracted
            plan.changed.add("is_retracted")
    changed = [p for p in plans if p.created or p.changed]
    now = timezone.now()
    for plan in changed:
        names = curation.stamp_provenance(plan.paper, plan.changed, source=source)
        if plan.created or names & curation.SEARCHED_FIELDS:
            plan.paper.search_document = _search_document(plan, current)
            plan.changed.add("search_document")
        plan.paper.updated_at = now

    save_papers([p.paper for p in changed if p.created], [p for p in changed if not p.created])
    _write_authorships(*authorship_rows)
    fold_authors(folds)
    _write_fundings(*funding_rows)
    _write_links(stale_links, new_links)
    _write_notices(plans, current)
    lost_citers = _write_references(plans, stored_cited)
    # Entries stored earlier that cite the batch's new papers (or newly known OpenAlex ids).
    references.link_arrivals([p.paper for p in changed if p.created or "openalex_id" in p.changed])
    # The versions the records name, and the links waiting for the batch's new papers.
    version_groups.store_links([(p.paper, p.work) for p in plans], source=source)
    version_groups.link_arrivals([p.paper for p in changed if p.created])
    # Preprints naming their published version only as text (arXiv's journal-ref).
    journal_refs.store([(p.paper, p.work) for p in plans], source=source)
    journal_refs.link_arrivals(
        [p.paper for p in changed if p.created or p.changed & journal_refs.MATCHED_FIELDS]
    )

    listed = [
        plan.paper.pk
        for plan in changed
        if not plan.created
        and {curation.lock_name(n) for n in plan.changed} & curation.LISTED_FIELDS
    ]
    if listed:
        # Other papers' "Recommended" lists show these papers' titles, journals and years.
        curation.bump_version_on_commit(curation.pages_listing(listed))
    placed = set(lost_citers)
    for plan in changed:
        if plan.paper.is_retracted and not plan.was_retracted and not plan.created:
            # Readers who rated it are told (reviews), once the import is committed.
            transaction.on_commit(
                lambda paper_id=plan.paper.pk: paper_retracted.send(sender=Paper, paper_id=paper_id)
            )
        if plan.created or {curation.lock_name(n) for n in plan.changed} & (
            curation.RECOMMENDER_FIELDS
        ):
            placed.add(plan.paper.pk)
    curation.place_batch_in_recommendations_on_commit(placed)
    return [(p.where, CREATED if p.created else UPDATED if p.changed else UNCHANGED) for p in plans]


def _lock_papers(dois):
    """{lower DOI: Paper} of the batch's stored papers, locked for the transaction (1 query).

    Locked in id order, as every batch locks them, so that two batches never wait on each
    other in a circle.
    """
    papers = (
        Paper.objects.select_for_update(of=("self",))
        .select_related("journal")
        .alias(doi_lower=Lower("doi"))
        .filter(doi_lower__in=[doi.lower() for doi in dois])
        .order_by("pk")
    )
    return {paper.doi.lower(): paper for paper in papers}


def _set_fields(plan, journals, *, source):
    """The scalar fields, the journal and the metadata status, as ``upsert_work`` sets them."""
    paper, work = plan.paper, plan.work
    values = {
        name: value
        for name, value in scalar_values(work).items()
        if not (
            name in KEPT_FROM_ENRICHMENT
            and value in ("", None)
            and curation.source_of(paper, name) == LinkSource.OPENALEX
        )
    }
    plan.changed = curation.set_fields(paper, values, source=source)
    if plan.created:
        plan.changed |= values.keys()  # on creation every field counts as imported
    if work.openalex_id and paper.openalex_id != work.openalex_id:
        paper.openalex_id = work.openalex_id  # not curated: the id OpenAlex gives it
        plan.changed.add("openalex_id")
    if not curation.is_locked(paper, "journal", source=source):
        journal = journals[work.journal] if work.journal else None
        if plan.created or paper.journal_id != (journal.pk if journal else None):
            paper.journal = journal
            plan.changed.add("journal")
    if paper.metadata_status != Paper.MetadataStatus.FETCHED or paper.metadata_error:
        paper.metadata_status, paper.metadata_error = Paper.MetadataStatus.FETCHED, ""
        paper.metadata_source, paper.metadata_fetched_at = source, timezone.now()
        paper.metadata_retry_at = None
        plan.changed |= {"metadata_status", "metadata_error", "metadata_source"}
        plan.changed |= {"metadata_fetched_at", "metadata_retry_at"}


# Paper columns an import writes besides the record's own fields.
_ALWAYS_SAVED = ("content_version", "provenance", "search_document", "updated_at")


def save_papers(new, plans):
    """Every write of Paper rows by a bulk import goes through here: insert ``new`` papers
    (``insert_rows``: one COPY on PostgreSQL, one INSERT elsewhere; ids set on the
    instances), and save the changed columns of the papers of
    ``plans`` (one UPDATE for the batch, of the union of their changed columns: each row is
    locked and fully loaded, so a column it did not change is written back unchanged). A
    changed paper's ``content_version`` goes up by one in the same UPDATE, so its cached
    page fragments are rendered again (``portal.paper_fragments``)."""
    if new:
        insert_rows(Paper, sorted(new, key=lambda paper: paper.doi))
    if plans:
        concrete = {f.name for f in Paper._meta.concrete_fields}
        columns = set(_ALWAYS_SAVED)
        for plan in plans:
            columns |= plan.changed & concrete
            plan.paper.content_version = NEXT_VERSION
        Paper.objects.bulk_update([p.paper for p in plans], sorted(columns))


def insert_rows(model, objs):
    """Insert new rows of ``model`` (no conflict expected; a unique violation raises
    IntegrityError and the batch runs again). Sets their ids.

    PostgreSQL: ids are drawn from the table's sequence in one query, then the rows go in
    by COPY, which costs a fraction of an INSERT's parameter handling (bench/ingest.py).
    Other databases: ``bulk_create``.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    for obj in objs:
        # What bulk_create does per row: foreign keys to rows saved since.
        obj._prepare_related_fields_for_save(operation_name="insert_rows")
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    # auto_now(_add) fields are set as save() would; JSON goes as its text; the other
    # values (text, numbers, dates, ids) are what COPY takes as they are.
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    json_columns = {f.attname for f in fields if isinstance(f, models.JSONField)}
    table = connection.ops.quote_name(model._meta.db_table)
    for obj, pk in zip(objs, _next_ids(model, len(objs)), strict=True):
        obj.pk = pk
    with connection.cursor() as cursor:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        attnames = [f.attname for f in fields]
        # Django's own error classes (IntegrityError, DataError) for what COPY refuses.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for obj in objs:
                for f in stamped:
                    f.pre_save(obj, add=True)
                values = obj.__dict__
                copy.write_row(
                    [
                        json.dumps(values[name]) if name in json_columns else values[name]
                        for name in attnames
                    ]
                )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _next_ids(model, count):
    """``count`` new ids from the PostgreSQL sequence of ``model``'s table (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def insert_links(model, attnames, rows):
    """Insert rows of a model no one reads back (authorships, category links) from tuples
    of ``attnames`` values: no model instance is made on PostgreSQL (COPY), which is most
    of what a batch of arXiv papers, with their many authors, would cost in Python."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(model(**dict(zip(attnames, row, strict=True))) for row in rows)
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    json_at = [i for i, name in enumerate(attnames) if isinstance(fields[name], models.JSONField)]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(fields[name].column) for name in attnames)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = json.dumps(row[i])
            copy.write_row(row)


class _Relations:
    """The stored relations of the batch's existing papers, read in five queries."""

    def __init__(self, paper_ids):
        self.authorships = defaultdict(list)  # paper id -> [Authorship] by position
        self.fundings = defaultdict(list)  # paper id -> [Funding] by position
        self.category_links = defaultdict(list)  # paper id -> [(PaperCategory, name)]
        self.notices = defaultdict(set)  # paper id -> {(kind, doi, date, direction, label)}
        self.other_notices = defaultdict(set)  # the same, of other sources (Retraction Watch)
        self.keywords = defaultdict(list)  # paper id -> [name]
        if not paper_ids:
            return
        for row in (
            Authorship.objects.filter(paper_id__in=paper_ids)
            .select_related("author")
            .order_by("paper_id", "position")
        ):
            self.authorships[row.paper_id].append(row)
        for row in Funding.objects.filter(paper_id__in=paper_ids).order_by("paper_id", "position"):
            self.fundings[row.paper_id].append(row)
        links = PaperCategory.objects.filter(paper_id__in=paper_ids).select_related("category")
        for link in links.order_by("pk"):
            self.category_links[link.paper_id].append((link, link.category.name))
        notices = Notice.objects.filter(paper_id__in=paper_ids)
        for paper_id, source, *notice in notices.values_list(
            "paper_id", "source", "kind", "doi", "date", "direction", "label"
        ):
            (self.other_notices if source else self.notices)[paper_id].add(tuple(notice))
        keywords = PaperKeyword.objects.filter(paper_id__in=paper_ids)
        for paper_id, name in keywords.values_list("paper_id", "keyword__name"):
            self.keywords[paper_id].append(name)


# --- journals ---


def resolve_journals(datas):
    """{records.Journal: Journal row} for these journals, created where missing.

    As ``ingest.find_or_create_journal`` for each, in order: by ISSN (a print ISSN first,
    then an electronic one), without ISSNs by title, case-insensitively; an existing
    journal's empty ISSN and publisher slots are filled, nothing else of it changes.
    Two to four queries whatever their number.
    """
    datas = list(dict.fromkeys(datas))
    if not datas:
        return {}
    issns = {issn for data in datas for _, issn in data.issns}
    titles = {data.title.lower() for data in datas if not data.issns}

    def read():
        rows = Journal.objects.alias(title_lower=Lower("title")).filter(
            Q(issn_print__in=issns) | Q(issn_electronic__in=issns) | Q(title_lower__in=titles)
        )
        return _JournalIndex(rows.order_by("title", "pk"))

    index = read()
    new = []
    for data in datas:
        if index.match(data) is None:
            slots = issn_slots(data)
            journal = Journal(
                title=data.title,
                issn_print=slots["print"],
                issn_electronic=slots["electronic"],
                publisher=data.publisher,
            )
            index.add(journal)  # a later record of the same journal in the batch finds it
            new.append(journal)
    if new:
        # Another process may be creating the same journals: theirs win, ours are dropped,
        # and reading again finds whichever row stands.
        Journal.objects.bulk_create(
            sorted(new, key=lambda j: (j.issn_print, j.issn_electronic, j.title.lower())),
            ignore_conflicts=True,
        )
        index = read()
    found, gaps = {}, {}
    for data in datas:
        journal = index.match(data)
        if journal is None:
            # Ours was dropped for a clash with a journal these ISSNs do not find (another
            # ISSN in one of its slots): the batch is run again, or record by record.
            raise IntegrityError(f"journal {data.title!r} clashes with another's ISSN")
        slots = issn_slots(data)
        for name, value in (
            ("issn_print", slots["print"]),
            ("issn_electronic", slots["electronic"]),
            ("publisher", data.publisher),
        ):
            if value and not getattr(journal, name):
                setattr(journal, name, value)
                gaps[journal.pk] = journal
        found[data] = journal
    if gaps:
        Journal.objects.bulk_update(
            list(gaps.values()), ["issn_print", "issn_electronic", "publisher"]
        )
    return found


class _JournalIndex:
    """Journals by print ISSN, electronic ISSN and lower-case title, first by title."""

    def __init__(self, rows):
        self.by = {"print": {}, "electronic": {}, "title": {}}
        for journal in rows:
            self.add(journal)

    def add(self, journal):
        for kind, key in (
            ("print", journal.issn_print),
            ("electronic", journal.issn_electronic),
            ("title", journal.title.lower()),
        ):
            if key:
                self.by[kind].setdefault(key, journal)

    def match(self, data):
        issns = [issn for _, issn in data.issns]
        if not issns:
            return self.by["title"].get(data.title.lower())
        for kind in ("print", "electronic"):
            candidates = [self.by[kind][i] for i in issns if i in self.by[kind]]
            if candidates:
                return min(candidates, key=lambda j: (j.title, j.pk or 0))
        return None


# --- authors and authorships ---


def _author_names(contributor):
    return {
        "given_name": contributor.given or "",
        "family_name": contributor.family or "",
        "name": contributor.display_name,
        "is_organization": contributor.is_organization,
    }


def earlier_authors(contributors, stored):
    """{position: Author} of the paper's stored authors that ``contributors`` without an
    ORCID stand for; ``stored`` is the paper's {position: Author} before the import.

    The k-th contributor of a name (in record order) takes the k-th stored author of that
    name (by position); contributors beyond the stored ones of their name are new authors.
    So two different authors of the same name on one paper (arXiv 2603.15726 has two
    "L. Wang") stay two and keep their order when others move, and an author a curator
    merged into an ORCID-bearing one stays merged. Names compare as ``authors.name_key``
    writes them: an author matched on another paper, where it was written "José", is the
    earlier author of this paper's "Jose".
    """
    by_name = defaultdict(list)
    for position in sorted(stored, reverse=True):
        by_name[authors.name_key(stored[position].name)].append(stored[position])
    found = {}
    for contributor in sorted(contributors, key=lambda c: c.position):
        namesakes = by_name.get(authors.contributor_key(contributor))
        if not contributor.orcid and namesakes:
            found[contributor.position] = namesakes.pop()
    return found


def _plan_authorships(plans, current):
    """Each plan's authorships, as ``ingest._author_for`` picks the authors: by ORCID (one
    row per ORCID, its names those of the record last read), else the paper's earlier author
    of that name (``earlier_authors``), else the author the conservative match finds
    (``papers.authors.Matcher``, against the catalogue and the batch), else a new author.
    An OpenAlex work's contributors carry OpenAlex author ids: the author with that id comes
    first (after the ORCID), and an author picked otherwise is given the id it lacked.
    Queries: ORCID authors read, created, read again, and renamed (at most four); authors by
    OpenAlex id (none or one); the match's candidates, their papers' authorships and what
    those cite (none, one or three); new authors without ORCID created (one); OpenAlex ids
    given (none or one). Returns the stored authors the records linked, to fold once the
    authorships are written (``fold_authors``)."""
    wanted = {}
    for plan in plans:
        for contributor in plan.work.authors:
            if contributor.orcid:
                wanted[contributor.orcid] = _author_names(contributor)
    by_orcid = {}
    if wanted:
        by_orcid = {a.orcid: a for a in Author.objects.filter(orcid__in=list(wanted))}
        missing = sorted(set(wanted) - by_orcid.keys())
        if missing:
            Author.objects.bulk_create(
                [Author(orcid=orcid, **wanted[orcid]) for orcid in missing], ignore_conflicts=True
            )
            by_orcid = {a.orcid: a for a in Author.objects.filter(orcid__in=list(wanted))}
        renamed = []
        for orcid, names in wanted.items():
            author = by_orcid[orcid]
            if any(getattr(author, k) != v for k, v in names.items()):
                for k, v in names.items():
                    setattr(author, k, v)
                renamed.append(author)
        if renamed:
            Author.objects.bulk_update(
                renamed, ["given_name", "family_name", "name", "is_organization"]
            )
            # Every page that shows a renamed author shows the new name.
            curation.bump_version_on_commit(
                Authorship.objects.filter(author__in=renamed).values_list("paper_id", flat=True)
            )
    by_openalex = _authors_by_openalex_id(plans)
    new_authors, given_ids = [], []
    earlier_of = {
        plan.paper.pk: earlier_authors(
            plan.work.authors, {a.position: a.author for a in current.authorships[plan.paper.pk]}
        )
        for plan in plans
    }
    # The contributors left for the conservative match: no ORCID, no earlier author.
    matcher = authors.Matcher(
        [
            (
                plan.work,
                [c for c in plan.work.authors if c.position not in earlier_of[plan.paper.pk]],
            )
            for plan in plans
        ]
    )
    for plan in plans:
        earlier = earlier_of[plan.paper.pk]
        plan.authorships = []
        for contributor in plan.work.authors:
            if contributor.orcid:
                author = by_orcid[contributor.orcid]
            else:
                author = (
                    by_openalex.get(contributor.openalex_id)
                    or earlier.get(contributor.position)
                    or matcher.match(contributor, plan.work)
                )
                if author is None:
                    author = _NewAuthor(
                        **_author_names(contributor), openalex_id=contributor.openalex_id
                    )
                    new_authors.append(author)
                    matcher.remember(author, contributor, plan.work)
            openalex_id = contributor.openalex_id
            if openalex_id and openalex_id not in by_openalex and not author.openalex_id:
                # The person's OpenAlex id, given to the author it names: one row per id.
                author.openalex_id = openalex_id
                if isinstance(author, Author):
                    given_ids.append(author)
            if openalex_id:
                by_openalex.setdefault(openalex_id, author)
            plan.authorships.append((contributor.position, author, list(contributor.affiliations)))
    # Authors a later record linked to others were folded into one (papers.authors).
    for plan in plans:
        plan.authorships = [(pos, matcher.resolve(a), aff) for pos, a, aff in plan.authorships]
    _insert_new_authors([author for author in new_authors if matcher.resolve(author) is author])
    if given_ids:
        Author.objects.bulk_update(given_ids, ["openalex_id"])
    return matcher.stored_folds()


def fold_authors(folds):
    """Merge the stored authors that the batch's records linked into the author kept
    (``papers.authors.Matcher.stored_folds``), once the batch's authorships are written:
    their other papers, claims and follows move with them, all groups at once
    (``merge.merge_author_groups``, a dozen queries). Returns how many were folded."""
    if not folds:
        return 0
    results = merge.merge_author_groups(folds)
    logger.info(
        "Folded %s authors into %s (%s authorships moved)",
        sum(r.merged for r in results),
        len(results),
        sum(r.moved for r in results),
    )
    return sum(r.merged for r in results)


def _authors_by_openalex_id(plans):
    """{OpenAlex author id: Author} of the ids the batch's contributors carry (one query,
    none when no record gives one: only OpenAlex works do)."""
    ids = {c.openalex_id for plan in plans for c in plan.work.authors if c.openalex_id}
    if not ids:
        return {}
    return {a.openalex_id: a for a in Author.objects.filter(openalex_id__in=sorted(ids))}


@dataclass(slots=True)
class _NewAuthor:
    """An author without ORCID that a batch creates, as the values it is written with: no
    model instance (a batch of arXiv papers creates thousands, and ``Model.__init__`` was
    the largest Python cost of one, bench/ingest.py 2026-12-05). ``pk`` is set once
    written."""

    given_name: str
    family_name: str
    name: str
    is_organization: bool
    openalex_id: str | None = None
    pk: int | None = None


def _insert_new_authors(new):
    """Write ``_NewAuthor`` rows and set their ids (one COPY on PostgreSQL, after one query
    for the ids; one INSERT elsewhere)."""
    if not new:
        return
    columns = ("given_name", "family_name", "name", "is_organization", "openalex_id")
    if connection.vendor != "postgresql":
        rows = Author.objects.bulk_create(
            [Author(**{name: getattr(a, name) for name in columns}) for a in new]
        )
        for author, row in zip(new, rows, strict=True):
            author.pk = row.pk
        return
    for author, pk in zip(new, _next_ids(Author, len(new)), strict=True):
        author.pk = pk
    insert_links(
        Author,
        ("id", *columns, "name_key"),  # COPY: the key Author.save() would set
        [
            (
                a.pk,
                a.given_name,
                a.family_name,
                a.name,
                a.is_organization,
                a.openalex_id,
                authors.name_key(a.name),
            )
            for a in new
        ],
    )


def _diff_authorships(plans, current):
    """(new, changed, removed ids) of authorships; marks the plans whose authors changed."""
    create, update, delete = [], [], []
    for plan in plans:
        if plan.authorships is None:
            continue
        existing = {a.position: a for a in current.authorships[plan.paper.pk]}
        changed = False
        for position, author, affiliations in plan.authorships:
            row = existing.pop(position, None)
            if row is None:
                create.append((plan.paper, author, position, affiliations))
                changed = True
            elif row.author_id != author.pk or row.affiliations != affiliations:
                row.author_id, row.affiliations = author.pk, affiliations
                update.append(row)
                changed = True
        delete += [row.pk for row in existing.values()]
        if changed or existing or plan.created:
            plan.changed.add("authors")
    return create, update, delete


def _write_authorships(create, update, delete):
    """Remove, change and add authorships: one statement each, in the order that keeps
    (paper, position) unique at every step."""
    if delete:
        Authorship.objects.filter(pk__in=delete).delete()
    if update:
        Authorship.objects.bulk_update(update, ["author", "affiliations"])
    if create:
        insert_links(
            Authorship,
            ("paper_id", "author_id", "position", "affiliations"),
            [(paper.pk, author.pk, position, aff) for paper, author, position, aff in create],
        )


# --- funders and fundings ---


def _plan_fundings(plans):
    """Each plan's fundings, funders found as ``ingest._funder_for`` finds them: by funder
    DOI (created if new), else by name case-insensitively (the oldest), else a new one."""
    awards = [award for plan in plans for award in plan.work.funders]
    if not awards:
        for plan in plans:
            plan.fundings = []
        return
    by_doi = {a.funder_doi: a.name or a.funder_doi for a in awards if a.funder_doi}
    names = {a.name.lower(): a.name for a in awards if not a.funder_doi}
    funders_by_doi, funders_by_name = {}, {}
    if by_doi:
        funders_by_doi = {f.funder_doi: f for f in Funder.objects.filter(funder_doi__in=by_doi)}
        missing = sorted(set(by_doi) - funders_by_doi.keys())
        if missing:
            Funder.objects.bulk_create(
                [Funder(funder_doi=doi, name=by_doi[doi]) for doi in missing],
                ignore_conflicts=True,
            )
            funders_by_doi = {f.funder_doi: f for f in Funder.objects.filter(funder_doi__in=by_doi)}
    if names:
        funders_by_name = funders_named(names.values())
        new = [Funder(name=name) for key, name in names.items() if key not in funders_by_name]
        if new:
            # Another process may be creating the same funders (one per name without a
            # registry DOI, migration 0017): theirs win, and reading again finds them.
            new.sort(key=lambda funder: funder.name.lower())
            Funder.objects.bulk_create(new, ignore_conflicts=True)
            funders_by_name = funders_named(names.values())
        lost = sorted(set(names) - funders_by_name.keys())
        if lost:
            raise IntegrityError(f"funders {lost!r} were neither created nor found")
    for plan in plans:
        plan.fundings = [
            (
                funders_by_doi[a.funder_doi] if a.funder_doi else funders_by_name[a.name.lower()],
                list(a.awards),
            )
            for a in plan.work.funders
        ]


def funders_named(names):
    """{lower name: the oldest Funder of that name in any case, with or without a registry
    DOI} for ``names`` (one query)."""
    names = set(names)
    keys = {name.lower() for name in names}
    # The exact names too: SQLite's LOWER() folds ASCII letters only.
    rows = Funder.objects.alias(name_lower=Lower("name")).filter(
        Q(name_lower__in=list(keys)) | Q(name__in=list(names))
    )
    found = {}
    for funder in rows.order_by("pk"):
        found.setdefault(funder.name.lower(), funder)
    return found


def _diff_fundings(plans, current):
    """(ids of papers whose fundings are replaced, new fundings); marks the plans changed."""
    replaced, create = [], []
    for plan in plans:
        if plan.fundings is None:
            continue
        wanted = [(funder.pk, awards) for funder, awards in plan.fundings]
        stored = [(f.funder_id, f.awards) for f in current.fundings[plan.paper.pk]]
        if wanted != stored:
            if not plan.created:
                replaced.append(plan.paper.pk)
            create += [
                Funding(paper=plan.paper, funder=funder, awards=awards, position=position)
                for position, (funder, awards) in enumerate(plan.fundings)
            ]
        if wanted != stored or plan.created:
            plan.changed.add("funding")
    return replaced, create


def _write_fundings(replaced, create):
    """Replace the fundings of papers whose funding changed (one DELETE, one INSERT)."""
    if replaced:
        Funding.objects.filter(paper_id__in=replaced).delete()
    if create:
        insert_rows(Funding, create)


# --- categories ---


def resolve_names(model, names):
    """{lower name: row} of Keyword or Category rows for ``names``, created where missing
    with a unique slug (as ``curation.get_or_create_named``). Two to three queries; a new
    name whose slug is taken goes the single way."""
    names = {name.lower(): name for name in names}
    if not names:
        return {}

    def read():
        rows = model.objects.alias(name_lower=Lower("name")).filter(name_lower__in=list(names))
        return {row.name.lower(): row for row in rows.order_by("pk")}

    found = read()
    missing = {key: name for key, name in names.items() if key not in found}
    if missing:
        slugs = {
            key: slugify(name, allow_unicode=True)[:190] or "untitled"
            for key, name in missing.items()
        }
        taken = set(
            model.objects.filter(slug__in=set(slugs.values())).values_list("slug", flat=True)
        )
        new, one_by_one = [], []
        for key, name in missing.items():
            if slugs[key] in taken:
                one_by_one.append(name)
            else:
                taken.add(slugs[key])
                new.append(model(name=name, slug=slugs[key]))
        if new:
            model.objects.bulk_create(new, ignore_conflicts=True)
            found = read()
        for name in one_by_one + [n for k, n in missing.items() if k not in found]:
            row = curation.get_or_create_named(model, name)
            found[name.lower()] = row
    return found


def _plan_categories(plans, current, *, source):
    """Category links as ``curation.set_links`` makes them: ``source``'s own links become
    the record's subjects, other sources' links stay. Returns (stale link ids, new links)."""
    rows = resolve_names(Category, {name for plan in plans for name in plan.work.subjects})
    stale, new = [], []
    for plan in plans:
        wanted = list({rows[n.lower()].pk: rows[n.lower()] for n in plan.work.subjects}.values())
        wanted_ids = {row.pk for row in wanted}
        links = {link.category_id: link for link, _ in current.category_links[plan.paper.pk]}
        gone = [
            link.pk for pk, link in links.items() if link.source == source and pk not in wanted_ids
        ]
        added = sorted((row for row in wanted if row.pk not in links), key=lambda row: row.pk)
        stale += gone
        new += [(plan.paper, row.pk, source) for row in added]
        if gone or added or plan.created:
            plan.changed.add("categories")
        plan.categories = [
            name for link, name in current.category_links[plan.paper.pk] if link.pk not in gone
        ] + [row.name for row in added]
    return stale, new


def _write_links(stale, new):
    if stale:
        PaperCategory.objects.filter(pk__in=stale).delete()
    if new:
        insert_links(
            PaperCategory,
            ("paper_id", "category_id", "source"),
            [(paper.pk, category_id, source) for paper, category_id, source in new],
        )


# --- notices ---


def _plan_notices(plans, current):
    for plan in plans:
        plan.notices = {
            (u.kind, u.doi, u.date, u.direction, u.label or "") for u in plan.work.updates
        }
        if plan.notices != current.notices[plan.paper.pk] or plan.created:
            plan.changed.add("notices")


def _write_notices(plans, current):
    """Replace the record's own notices of papers whose notices changed (one DELETE, one
    INSERT; one more DELETE when another source's notice is now the record's too)."""
    replaced, create, superseded = [], [], {}
    for plan in plans:
        if plan.notices is None or "notices" not in plan.changed:
            continue
        if not plan.created:
            replaced.append(plan.paper.pk)
            if current.other_notices[plan.paper.pk]:
                superseded[plan.paper.pk] = plan.notices
        create += [
            Notice(paper=plan.paper, kind=k, doi=d, date=dt, direction=dr, label=lb)
            for k, d, dt, dr, lb in sorted(plan.notices, key=lambda n: (n[1], n[0], n[3]))
        ]
    if replaced:
        Notice.objects.filter(paper_id__in=replaced, source="").delete()
    delete_notices_superseded(superseded)
    if create:
        insert_rows(Notice, create)


# --- reference lists ---


def _plan_references(plans, *, source):
    """Each plan's new reference list when its record replaces the stored one
    (``references.wanted_list``); returns {paper id: ids of the papers its stored list
    cites} for the papers whose list is replaced. One query, for the stored lists of the
    batch's existing papers whose records give one."""
    giving = [p for p in plans if p.work.references is not None]
    stored = defaultdict(list)
    cited = defaultdict(set)
    existing = [p.paper.pk for p in giving if not p.created]
    if existing:
        rows = Reference.objects.filter(citing_id__in=existing).order_by("citing_id", "position")
        for row in rows.values("citing_id", "cited_id", *references.ENTRY_COLUMNS):
            stored[row["citing_id"]].append(references.row_key(row))
            if row["cited_id"]:
                cited[row["citing_id"]].add(row["cited_id"])
    replaced = {}
    for plan in giving:
        wanted = references.wanted_list(
            plan.paper, plan.work, source=source, stored=stored[plan.paper.pk]
        )
        if wanted is not None:
            plan.references = wanted
            plan.changed.add("references")
            if not plan.created:
                replaced[plan.paper.pk] = cited[plan.paper.pk]
    return replaced


def _write_references(plans, stored_cited):
    """Replace the reference lists of the plans that have a new one: one DELETE, the cited
    papers found (two queries), one INSERT; the papers that gain or lose a citing paper
    (their "Cited by" blocks) are bumped once the transaction commits. Returns the papers
    that lost a citing paper (``curation.lost_citers``), to be placed again."""
    new = [p for p in plans if p.references is not None]
    if not new:
        return set()
    if stored_cited:
        Reference.objects.filter(citing_id__in=list(stored_cited)).delete()
    found = references.resolve([key for plan in new for key in plan.references])
    rows, bumped, lost = [], set(), set()
    for plan in new:
        plan_rows = references.rows_for(plan.paper.pk, plan.references, found)
        rows += plan_rows
        cited_now = {row.cited_id for row in plan_rows if row.cited_id}
        cited_before = stored_cited.get(plan.paper.pk, set())
        bumped |= cited_now ^ cited_before
        lost |= curation.lost_citers(cited_before, cited_now)
    insert_references(rows)
    curation.bump_version_on_commit(bumped)
    return lost


def insert_references(rows):
    """Insert new Reference rows in one statement whatever their number (``papers.rows``:
    ``bulk_create`` would split a batch's thousands of references into INSERTs of 999
    values on SQLite)."""
    if not rows:
        return
    attnames = ("citing_id", "position", "cited_id", *references.ENTRY_COLUMNS)
    values = [(r.citing_id, r.position, r.cited_id, *references.row_key(r)) for r in rows]
    fields = {f.attname: f for f in Reference._meta.concrete_fields}
    insert_tuples(Reference, [fields[name].column for name in attnames], values)


def delete_notices_superseded(wanted):
    """Delete the other sources' notices that the record's new notices repeat (the same
    kind, DOI and direction: the unique key): the record's stands for both. ``wanted`` is
    {paper id: {(kind, doi, date, direction, label)}}; one DELETE, none when empty."""
    match = Q()
    for paper_id, notices in wanted.items():
        for kind, doi, _, direction, _ in notices:
            match |= Q(paper_id=paper_id, kind=kind, doi=doi, direction=direction)
    if match:
        Notice.objects.exclude(source="").filter(match).delete()


# --- the search text ---


def _search_document(plan, current):
    paper = plan.paper
    if plan.authorships is not None:
        author_names = [a.name for _, a, _ in sorted(plan.authorships, key=lambda a: a[0])]
    else:
        author_names = [a.author.name for a in current.authorships[paper.pk]]
    categories = plan.categories
    if categories is None:
        categories = [name for _, name in current.category_links[paper.pk]]
    return curation.search_text(
        doi=paper.doi,
        subtitle=paper.subtitle,
        journal=paper.journal.title if paper.journal else "",
        authors=author_names,
        keywords=current.keywords[paper.pk],
        categories=categories,
    )
