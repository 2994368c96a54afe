"""Crossref data -> catalogue rows: an idempotent upsert keyed on the DOI.

``upsert_work`` writes one parsed ``records.Work`` in one transaction: importing the same
record twice changes nothing, an updated record updates only what changed, and fields a
curator locked are never touched. ``import_works`` stores many with the same guarantees
through the bulk path (``papers.bulk``, a batch in a few dozen queries); ``import_records``
and ``read_records`` feed it from files, rejecting bad records one by one with their reason.
``apply_enrichment`` adds an OpenAlex enrichment to a stored paper. Provenance, locks, links
and re-placing the paper in recommendations go through ``papers.curation``, as every other
edit of a paper does.
"""

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from papers import authors, bulk, crossref, curation, journal_refs, references, version_groups
from papers.bulk import (  # what a record means as rows, shared by both paths
    CREATED,
    KEPT_FROM_ENRICHMENT,
    UNCHANGED,
    UPDATED,
    issn_slots,
    scalar_values,
)
from papers.models import (
    Author,
    Authorship,
    Funder,
    Funding,
    Journal,
    LinkSource,
    Notice,
    Paper,
    PaperCategory,
    PaperKeyword,
)
from papers.records import RETRACTION_KINDS
from papers.signals import paper_retracted, send_on_commit


def upsert_work(work, *, source="crossref"):
    """Create or update the paper for ``work``; returns (paper, "created"|"updated"|"unchanged").

    Idempotent and safe to run concurrently for the same DOI: the paper row is locked
    (select_for_update) for the whole transaction, and a lost creation race is retried.
    """
    try:
        with transaction.atomic():
            return _upsert_locked(work, source=source)
    except IntegrityError:
        # Another process created the same DOI between our read and our insert.
        with transaction.atomic():
            return _upsert_locked(work, source=source)


def _upsert_locked(work, *, source):
    # First, before any row: two imports of the same new author never both create it.
    authors.lock_names([work])
    paper = Paper.objects.select_for_update().with_doi(work.doi).first()
    created = paper is None
    if created:
        paper = Paper(doi=work.doi)

    values = {
        name: value
        for name, value in scalar_values(work).items()
        if not (
            name in KEPT_FROM_ENRICHMENT
            and value in ("", None)
            and curation.source_of(paper, name) == LinkSource.OPENALEX
        )
    }
    changed = curation.set_fields(paper, values, source=source)
    if created:
        changed |= values.keys()  # on creation every field counts as imported, even an empty one
    if work.openalex_id and paper.openalex_id != work.openalex_id:
        paper.openalex_id = work.openalex_id  # not curated: the id OpenAlex gives it
        changed.add("openalex_id")
    if not curation.is_locked(paper, "journal", source=source):
        journal = find_or_create_journal(work.journal) if work.journal else None
        if created or paper.journal_id != (journal.pk if journal else None):
            paper.journal = journal
            changed.add("journal")
    if paper.metadata_status != Paper.MetadataStatus.FETCHED or paper.metadata_error:
        # First import, or a pending/failed paper now filled: record what filled it. (A
        # refresh of a fetched paper updates metadata_fetched_at in papers.metadata.)
        paper.metadata_status, paper.metadata_error = Paper.MetadataStatus.FETCHED, ""
        paper.metadata_source, paper.metadata_fetched_at = source, timezone.now()
        paper.metadata_retry_at = None
        changed.add("metadata_status")
    if created or changed:
        paper.save()

    relations = {
        "authors": lambda: _sync_authors(paper, work),
        "funding": lambda: _sync_funding(paper, work),
        "categories": lambda: curation.set_links(
            paper, PaperCategory, work.subjects, source=source
        ),
        "notices": lambda: _sync_notices(paper, work),
    }
    for name, sync in relations.items():
        # On creation every relation counts as imported, even an empty one.
        if not curation.is_locked(paper, name, source=source) and (sync() or created):
            changed.add(name)

    if _sync_references(paper, work, source=source):
        changed.add("references")
    if created or "openalex_id" in changed:
        # Entries stored earlier that cite this paper now link it.
        references.link_arrivals([paper])
    # The versions the record names, and the links waiting for a new paper.
    version_groups.store_links([(paper, work)], source=source)
    if created:
        version_groups.link_arrivals([paper])
    # A preprint naming its published version only as text (arXiv's journal-ref).
    journal_refs.store([(paper, work)], source=source)
    if created or changed & journal_refs.MATCHED_FIELDS:
        journal_refs.link_arrivals([paper])

    if settle_retraction(paper, created=created):
        changed.add("is_retracted")

    if not (created or changed):
        return paper, UNCHANGED
    curation.record_edit(paper, changed, source=source)
    return paper, CREATED if created else UPDATED


def settle_retraction(paper, *, created=False):
    """Set ``paper.is_retracted`` from its stored notices (any source: the record's,
    Retraction Watch's); returns True if it changed (saves nothing: the caller's
    ``record_edit`` does, and so bumps the page, the pages listing it, and re-places it in
    the related lists, which leave retracted papers out). A paper newly retracted sends
    ``paper_retracted`` once the transaction commits: readers who rated it are told
    (reviews). A reinstatement notice (Retraction Watch) lifts the retractions it does not
    predate: a paper retracted, then reinstated, is not retracted; retracted again after
    the reinstatement, it is. One query."""
    notices = paper.notices.filter(
        direction="updated-by", kind__in=RETRACTION_KINDS | {REINSTATEMENT}
    ).values_list("kind", "date")
    is_retracted = is_still_retracted(list(notices))
    if is_retracted == paper.is_retracted:
        return False
    if is_retracted and not created:
        send_on_commit(paper_retracted, Paper, paper_id=paper.pk)
    paper.is_retracted = is_retracted
    return True


REINSTATEMENT = "reinstatement"


def is_still_retracted(notices):
    """Whether (kind, date) notices leave a paper retracted: some retraction is not lifted
    by a reinstatement of the same date or later (a notice without a date counts as
    being in force after the others: a reinstatement lifts them, a retraction stands)."""
    reinstated = [date for kind, date in notices if kind == REINSTATEMENT]
    for kind, date in notices:
        if kind == REINSTATEMENT:
            continue
        lifted = any(r is None or (date is not None and r >= date) for r in reinstated)
        if not lifted:
            return True
    return False


def add_notices(doi, notices, *, source):
    """Add ``source``'s notices (``records.UpdateNotice`` with a reason and a link, e.g.
    from Retraction Watch, ``papers.retractions``) to the paper with this DOI, beside its
    record's own, in one transaction with the paper row locked; then retract it as a
    Crossref retraction notice does (``settle_retraction``).

    ``notices`` are (UpdateNotice, reason, url) triples. A notice the paper already has
    (same kind, notice DOI and direction, from any source) gets the reason, link and date
    it lacks; a new one is added. Returns UPDATED, UNCHANGED, or None when no paper has the
    DOI; a curator's lock on "notices" leaves the paper UNCHANGED. Idempotent.
    """
    with transaction.atomic():
        paper = Paper.objects.select_for_update().with_doi(doi).first()
        if paper is None:
            return None
        if curation.is_locked(paper, "notices", source=source):
            return UNCHANGED
        stored = {(n.kind, n.doi, n.direction): n for n in paper.notices.all()}
        changed = set()
        for notice, reason, url in notices:
            row = stored.get((notice.kind, notice.doi, notice.direction))
            if row is None:
                row = Notice.objects.create(
                    paper=paper,
                    kind=notice.kind,
                    doi=notice.doi,
                    date=notice.date,
                    direction=notice.direction,
                    label=notice.label or "",
                    source=source,
                    reason=reason,
                    url=url,
                )
                stored[(row.kind, row.doi, row.direction)] = row
                changed.add("notices")
                continue
            fills = {
                name: value
                for name, value in (("reason", reason), ("url", url), ("date", notice.date))
                if value
                and getattr(row, name) != value
                and (row.source == source or not getattr(row, name))
            }
            if fills:
                Notice.objects.filter(pk=row.pk).update(**fills)
                changed.add("notices")
        if settle_retraction(paper):
            changed.add("is_retracted")
        if not changed:
            return UNCHANGED
        curation.record_edit(paper, changed, source=source)
        return UPDATED


def find_or_create_journal(data):
    """The Journal with one of ``data``'s ISSNs (or, without ISSNs, its exact title)."""
    by_kind = issn_slots(data)
    issns = [issn for _, issn in data.issns]
    journal = None
    if issns:
        journal = (
            Journal.objects.filter(issn_print__in=issns).first()
            or Journal.objects.filter(issn_electronic__in=issns).first()
        )
    else:
        journal = Journal.objects.filter(title__iexact=data.title).first()
    if journal is None:
        return Journal.objects.create(
            title=data.title,
            issn_print=by_kind["print"],
            issn_electronic=by_kind["electronic"],
            publisher=data.publisher,
        )
    # Fill gaps only: a curator's corrections to an existing journal stay.
    updates = {
        name: value
        for name, value in (
            ("issn_print", by_kind["print"]),
            ("issn_electronic", by_kind["electronic"]),
            ("publisher", data.publisher),
        )
        if value and not getattr(journal, name)
    }
    if updates:
        Journal.objects.filter(pk=journal.pk).update(**updates)
    return journal


def _author_for(contributor, earlier, matcher, work):
    """The Author row for a contributor: by ORCID, else by OpenAlex author id, else the
    paper's earlier author it stands for (``earlier``: {position: Author} from
    ``bulk.earlier_authors``), else the author the conservative match finds
    (``papers.authors``), else a new one."""
    names = {
        "given_name": contributor.given or "",
        "family_name": contributor.family or "",
        "name": contributor.display_name,
        "is_organization": contributor.is_organization,
    }
    if contributor.orcid:
        author, created = Author.objects.get_or_create(orcid=contributor.orcid, defaults=names)
        if not created and any(getattr(author, k) != v for k, v in names.items()):
            Author.objects.filter(pk=author.pk).update(**names)
            # Every page that shows the author shows the new name.
            curation.bump_version_on_commit(
                Authorship.objects.filter(author=author).values_list("paper_id", flat=True)
            )
        authors.give_openalex_id(author, contributor.openalex_id)
        return author
    if contributor.openalex_id:
        # The person OpenAlex named: one row per OpenAlex author id.
        known = Author.objects.filter(openalex_id=contributor.openalex_id).first()
        if known is not None:
            return known
    # An earlier author of this name on this paper, even one a curator merged into an
    # ORCID-bearing author: a re-import must not undo the merge.
    author = earlier.get(contributor.position) or matcher.match(contributor, work)
    if author is None:
        author = Author.objects.create(**names, openalex_id=contributor.openalex_id)
        matcher.remember(author, contributor, work)
    else:
        authors.give_openalex_id(author, contributor.openalex_id)
    return author


def _sync_authors(paper, work):
    """Authorships in the record's order; returns True if anything changed."""
    existing = {a.position: a for a in paper.authorships.select_related("author")}
    earlier = bulk.earlier_authors(
        work.authors, {position: a.author for position, a in existing.items()}
    )
    matcher = authors.Matcher([(work, [c for c in work.authors if c.position not in earlier])])
    changed = False
    for contributor in work.authors:
        author = _author_for(contributor, earlier, matcher, work)
        affiliations = list(contributor.affiliations)
        current = existing.pop(contributor.position, None)
        if current is None:
            Authorship.objects.create(
                paper=paper, author=author, position=contributor.position, affiliations=affiliations
            )
            changed = True
        elif current.author_id != author.pk or current.affiliations != affiliations:
            current.author, current.affiliations = author, affiliations
            current.save(update_fields=["author", "affiliations"])
            changed = True
    if existing:
        Authorship.objects.filter(pk__in=[a.pk for a in existing.values()]).delete()
        changed = True
    # Authors the record linked to each other are one person (papers.authors).
    bulk.fold_authors(matcher.stored_folds())
    return changed


def _funder_for(award):
    if award.funder_doi:
        funder, _ = Funder.objects.get_or_create(
            funder_doi=award.funder_doi, defaults={"name": award.name or award.funder_doi}
        )
        return funder
    funder = bulk.funders_named([award.name]).get(award.name.lower())
    if funder is None:
        # Another process may be creating it: whichever row stands is read back.
        Funder.objects.bulk_create([Funder(name=award.name)], ignore_conflicts=True)
        funder = bulk.funders_named([award.name]).get(award.name.lower())
    if funder is None:
        raise IntegrityError(f"funder {award.name!r} was neither created nor found")
    return funder


def _sync_funding(paper, work):
    wanted = [(_funder_for(award).pk, list(award.awards)) for award in work.funders]
    current = [(f.funder_id, f.awards) for f in paper.fundings.order_by("position")]
    if wanted == current:
        return False
    paper.fundings.all().delete()
    Funding.objects.bulk_create(
        Funding(paper=paper, funder_id=funder_id, awards=awards, position=position)
        for position, (funder_id, awards) in enumerate(wanted)
    )
    return True


def _sync_notices(paper, work):
    """The record's own notices (``source=""``); another source's notices stay, unless the
    record now carries the same one (kind, DOI, direction), which then stands for both."""
    wanted = {(u.kind, u.doi, u.date, u.direction, u.label or "") for u in work.updates}
    own = paper.notices.filter(source="")
    current = set(own.values_list("kind", "doi", "date", "direction", "label"))
    if wanted == current:
        return False
    own.delete()
    if wanted:
        bulk.delete_notices_superseded({paper.pk: wanted})
    Notice.objects.bulk_create(
        Notice(paper=paper, kind=k, doi=d, date=dt, direction=dr, label=lb)
        for k, d, dt, dr, lb in sorted(wanted, key=lambda n: (n[1], n[0], n[3]))
    )
    return True


def _sync_references(paper, work, *, source):
    """Replace the paper's reference list with the record's when it gives one
    (``references.wanted_list``); returns True if it changed. Bumps the papers that gain or
    lose this paper as a citing paper, and places those that lose it again."""
    stored_rows = list(
        paper.references.order_by("position").values("cited_id", *references.ENTRY_COLUMNS)
    )
    stored = [references.row_key(row) for row in stored_rows]
    wanted = references.wanted_list(paper, work, source=source, stored=stored)
    if wanted is None:
        return False
    cited_before = {row["cited_id"] for row in stored_rows if row["cited_id"]}
    paper.references.all().delete()
    rows = references.rows_for(paper.pk, wanted, references.resolve(wanted))
    bulk.insert_references(rows)
    cited_now = {row.cited_id for row in rows if row.cited_id}
    curation.bump_version_on_commit(cited_before ^ cited_now)
    curation.place_batch_in_recommendations_on_commit(curation.lost_citers(cited_before, cited_now))
    return True


# --- files of records ---


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list = field(default_factory=list)  # (where, reason)

    def add(self, outcome):
        setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self):
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rejected"
        )


def read_records(path):
    """Yield (where, record_or_error) for each work in a JSON or JSONL file (optionally .gz).

    A file is JSON when it parses as a whole (one work, an envelope, an ``items`` list);
    otherwise each non-blank line is one record. Errors are yielded, not raised, so that
    one bad record never stops the rest.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        yield str(path), crossref.CrossrefError(f"cannot read file: {error}")
        return
    try:
        documents = [(str(path), json.loads(text))]
    except json.JSONDecodeError as whole_error:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            yield str(path), crossref.CrossrefError(f"not JSON: {whole_error}")
            return
        documents = []
        for number, line in lines:
            try:
                documents.append((f"{path}:{number}", json.loads(line)))
            except json.JSONDecodeError as error:
                documents.append((f"{path}:{number}", crossref.CrossrefError(f"not JSON: {error}")))
    for where, document in documents:
        if isinstance(document, Exception):
            yield where, document
            continue
        if isinstance(document, dict) and "item" in document and "DOI" not in document:
            # Our recorded list items come wrapped with where they were recorded from.
            document = document["item"]
        try:
            records = list(crossref.iter_works(document))
        except crossref.CrossrefError as error:
            yield where, error
            continue
        many = len(records) > 1
        for index, record in enumerate(records, 1):
            yield (f"{where} item {index}" if many else where), record


def import_records(records, *, report=None, source="crossref", batch_size=500):
    """Parse (where, Crossref record) pairs and store them through ``import_works``.

    A record that does not parse is rejected with its reason; the others are stored
    ``batch_size`` per transaction by the bulk path, a record the database refuses rejected
    alone. Returns the ``ImportReport``.
    """
    report = report or ImportReport()
    return import_works(
        ((where, _parsed(record)) for where, record in records),
        report=report,
        source=source,
        batch_size=batch_size,
    )


def _parsed(record):
    if isinstance(record, Exception):
        return record
    try:
        return crossref.parse_work(record)
    except (crossref.CrossrefError, ValueError) as error:
        return error


def import_works(items, *, report, source, batch_size=500):
    """Store (where, ``records.Work`` | Exception) pairs, ``batch_size`` per transaction.

    The bulk path (``papers.bulk``): the guarantees of ``upsert_work`` (upsert by DOI,
    locks, provenance per field, the retraction signal) for a batch in a few dozen
    queries. An Exception, or a record the catalogue refuses, is added to
    ``report.rejected`` as (where, reason) and the rest of its batch lands. Returns
    ``report`` (an ``ImportReport``), counted created / updated / unchanged.
    """
    return bulk.import_works(items, report=report, source=source, batch_size=batch_size)


def apply_keywords(doi, names, *, source):
    """Set ``source``'s keywords of the paper with this DOI; returns the outcome, or None if
    there is no such paper.

    Keywords of other sources (curators, authors) stay; a curator's lock on "keywords" is
    honoured.
    """
    with transaction.atomic():
        paper = Paper.objects.select_for_update().with_doi(doi).first()
        if paper is None:
            return None
        if not curation.set_links(paper, PaperKeyword, names, source=source):
            return UNCHANGED
        curation.record_edit(paper, {"keywords"}, source=source)
        return UPDATED


def apply_enrichment(enrichment, *, source=LinkSource.OPENALEX):
    """Store an ``openalex.Enrichment`` on the paper with its DOI, in one transaction.

    Returns UPDATED or UNCHANGED, or None when no paper has the DOI. Idempotent; the paper
    row is locked. The record (Crossref, DataCite) wins: the abstract and the citation count
    are filled only where the paper has none (or has OpenAlex's own earlier value), and no
    other source's value is overwritten. Topics (domain, field, subfield, topic) become
    categories and keywords keywords, replacing only OpenAlex's own links. Locked fields are
    left alone; every field written is stamped in the provenance. Marks the paper enriched.
    """
    with transaction.atomic():
        paper = Paper.objects.select_for_update().with_doi(enrichment.doi).first()
        if paper is None:
            return None
        values = {
            "abstract": enrichment.abstract,
            "citation_count": enrichment.citation_count,
            "open_access_url": enrichment.open_access_url or "",
        }
        changed = curation.set_fields(
            paper,
            {
                name: value
                for name, value in values.items()
                if getattr(paper, name) in ("", None) or curation.source_of(paper, name) == source
            },
            source=source,
        )
        topic_names = list(dict.fromkeys(n for topic in enrichment.topics for n in topic if n))
        links = {
            "keywords": (PaperKeyword, enrichment.keywords),
            "categories": (PaperCategory, topic_names),
        }
        for name, (link_model, names) in links.items():
            if curation.set_links(paper, link_model, names, source=source):
                changed.add(name)
        if enrichment.openalex_id and paper.openalex_id != enrichment.openalex_id:
            paper.openalex_id = enrichment.openalex_id
            changed.add("openalex_id")
        if not curation.is_locked(paper, "authors", source=source):
            # OpenAlex's author ids: the paper's authors are the people OpenAlex names (an
            # authorship moved to the author OpenAlex's id already names changes the paper).
            if authors.link_openalex_authors(paper, enrichment.authors):
                changed.add("authors")
        paper.enrichment_status = Paper.EnrichmentStatus.ENRICHED
        paper.enriched_at, paper.enrichment_error = timezone.now(), ""
        # The enrichment's own outcome is saved with the fields, stamped in no provenance.
        curation.record_edit(
            paper, {*changed, "enrichment_status", "enriched_at", "enrichment_error"}, source=source
        )
        if "openalex_id" in changed:
            # OpenAlex reference lists name the paper by this id: entries waiting link it.
            references.link_arrivals([paper])
        return UPDATED if changed else UNCHANGED
