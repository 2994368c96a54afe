"""DOI metadata in the background: add a paper by DOI, then fetch and store its record.

``add_by_doi`` is the one way in (site form, admin, API, ``fetch_dois``): it answers at once
with a pending paper and enqueues ``fetch_metadata`` (defined below) after commit. That task
calls ``fetch_and_store``, which claims the paper, asks Crossref, then DataCite, stores the
record through ``papers.ingest.upsert_work`` (locks honoured, one transaction), and records
the outcome on the paper: fetched, not found, or failed with a plain reason and the time of
the next try.

No wait is kept in the broker. A transient fault writes the time of the next try on the
paper, and the beat sweep (``enqueue_due``, every minute) enqueues the papers whose time has
come. "Pending" and "fetching" are leases in the same column: a paper still pending or
fetching after METADATA_QUEUE_LEASE / METADATA_FETCH_LEASE seconds lost its task (a worker
killed mid-fetch, a message dropped by the embedded broker) and is enqueued again. So a
dead worker costs minutes on every broker, and Redis' visibility timeout can stay short.
Several papers at once (the sweep, an admin refresh, an import of DOIs) go by
``fetch_metadata_batch``: METADATA_FETCH_BATCH papers claimed together, one Crossref request
for their records, stored through the bulk path (``ingest.import_works``), and each paper
Crossref did not answer for fetched alone as above (DataCite, not found, retries).
After a record is stored, ``enrich_from_openalex`` adds what OpenAlex knows (keywords,
topics as categories, an open-access link...) in a transaction of its own: its outcome is
recorded apart (``Paper.enrichment_status``) and never fails or undoes the record.
"""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from papers import crossref, datacite, limits, openalex, records, references, registries, rows
from papers.ingest import ImportReport, apply_enrichment, import_works, upsert_work
from papers.models import NEXT_VERSION, Paper

logger = logging.getLogger(__name__)

Status = Paper.MetadataStatus
Enrichment = Paper.EnrichmentStatus
DAY, WEEK = 86400, 7 * 86400


class AddLimitReached(Exception):
    """The user added PAPERS_ADDED_PER_HOUR papers in the last hour; ``retry_after`` seconds."""

    def __init__(self, message, *, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


def add_by_doi(text, *, by=None):
    """Return (paper, created) for a DOI in any accepted form; enqueue a fetch if new.

    Raises records.RecordError with a message saying what a DOI looks like when ``text``
    is not one. An existing DOI (any case or form) returns the existing paper. A new paper
    added ``by`` a user counts towards their PAPERS_ADDED_PER_HOUR (AddLimitReached past it,
    decided under a lock on the user's row); without ``by`` (``fetch_dois``, run by an
    operator) nothing is counted.
    """
    doi = records.normalize_doi(text)
    with transaction.atomic():
        existing = Paper.objects.filter(doi=doi).first()
        if existing is not None:
            return existing, False
        if by is not None:
            _check_add_limit(by)
        try:
            with transaction.atomic():
                paper = Paper.objects.create(
                    doi=doi,
                    title=doi,
                    metadata_status=Status.PENDING,
                    metadata_retry_at=_in(settings.METADATA_QUEUE_LEASE),
                    added_by=by,
                )
        except IntegrityError:
            # Someone added the same DOI between our look-up and our insert.
            return Paper.objects.get(doi=doi), False
        # Reference lists stored earlier that cite this DOI link the new paper.
        references.link_arrivals([paper])
        enqueue_fetch(paper.pk)
    return paper, True


# DOIs read or written per statement by add_dois (well under every database's limit on
# bound values).
DOI_CHUNK = 2000


def existing_dois(dois):
    """{doi: paper id} of the normalised ``dois`` already in the catalogue; one query per
    DOI_CHUNK DOIs, through the unique index on lower(doi)."""
    dois = sorted(set(dois))
    found = {}
    for start in range(0, len(dois), DOI_CHUNK):
        chunk = dois[start : start + DOI_CHUNK]
        rows = Paper.objects.alias(doi_lower=Lower("doi")).filter(doi_lower__in=chunk)
        found.update((doi.lower(), pk) for doi, pk in rows.values_list("doi", "pk"))
    return found


def add_dois(dois):
    """The bulk form of ``add_by_doi``, for a list of DOIs (a reference manager's import):
    returns {doi: paper id} for every one of the normalised ``dois``, and the ids created.

    Set-based: known DOIs are read a chunk at a time, new ones inserted as pending papers in
    one statement that skips a DOI someone added meanwhile (ON CONFLICT DO NOTHING), then read
    back; entries waiting for them are linked (``references.link_arrivals``). Run inside the
    caller's transaction: a rollback leaves no paper behind, and nothing is enqueued.

    Fetches respect the registries' shared limits as every fetch does; so that an import of
    thousands of new DOIs never stands in front of other readers' single adds, at most
    METADATA_REFRESH_BATCH fetches are enqueued (after commit) and the others wait on their
    paper as due now: the beat sweep (``refresh_due_metadata``) enqueues them a batch a
    minute. Not counted in anyone's PAPERS_ADDED_PER_HOUR (``added_by`` stays empty): the
    import has its own limits.
    """
    dois = list(dict.fromkeys(dois))
    found = existing_dois(dois)
    new = [doi for doi in dois if doi not in found]
    if not new:
        return found, []
    now = timezone.now()
    batch = settings.METADATA_REFRESH_BATCH
    papers = [
        Paper(
            doi=doi,
            title=doi,
            metadata_status=Status.PENDING,
            # Enqueued now: a lease on the message, as add_by_doi; the rest are due at once.
            metadata_retry_at=_in(settings.METADATA_QUEUE_LEASE) if n < batch else now,
        )
        for n, doi in enumerate(new)
    ]
    rows.insert_ignoring_conflicts(Paper, papers)
    created = existing_dois(new)
    found.update(created)
    # A DOI another request added between our read and our insert is theirs to fetch.
    ids = [created[doi] for doi in new if doi in created]
    references.link_arrivals([Paper(pk=pk, doi=doi) for doi, pk in created.items()])
    enqueue_fetches(ids[:batch])
    return found, ids


def _check_add_limit(user):
    # The user's row lock makes one user's concurrent adds count one after another.
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    limit = settings.PAPERS_ADDED_PER_HOUR
    wait = limits.seconds_until_allowed(Paper.objects.filter(added_by=user), limit)
    if wait is not None:
        message = limits.retry_message(limit, "papers added", wait)
        raise AddLimitReached(message, retry_after=wait)


def request_refresh(paper_ids):
    """Mark papers pending and enqueue a fetch for each (admin "Refresh metadata")."""
    ids = list(paper_ids)
    with transaction.atomic():
        Paper.objects.filter(pk__in=ids).update(
            metadata_status=Status.PENDING,
            metadata_retry_at=_in(settings.METADATA_QUEUE_LEASE),
            content_version=NEXT_VERSION,  # the page says where the metadata stands
        )
        enqueue_fetches(ids)
    return len(ids)


def enqueue_due(*, limit, now=None):
    """The beat sweep: mark at most ``limit`` due papers pending and enqueue a fetch for each.

    A paper is marked only if it is still due when the update runs, so that a worker that
    claimed it meanwhile keeps it. Returns how many were enqueued. Queries: one to three
    indexed selects (``papers_due_for_refresh``), then one UPDATE.
    """
    now = now or timezone.now()
    due = papers_due_for_refresh(limit=limit, now=now)
    with transaction.atomic():
        Paper.objects.filter(_due(now), pk__in=due).update(
            metadata_status=Status.PENDING,
            metadata_retry_at=now + datetime.timedelta(seconds=settings.METADATA_QUEUE_LEASE),
            content_version=NEXT_VERSION,
        )
        enqueue_fetches(due)
    return len(due)


def enqueue_fetch(paper_id):
    # After commit: a worker must find the row we just wrote. With the broker down the paper
    # stays pending (the answer still goes out), and the periodic refresh enqueues it once
    # its retry time has passed (delay_on_commit is robust: see portal.celery.PortalTask).
    fetch_metadata.delay_on_commit(paper_id)


def enqueue_fetches(paper_ids):
    """Enqueue the fetches of several papers, after commit: METADATA_FETCH_BATCH at a time
    in one ``fetch_metadata_batch`` (one Crossref request for them all), a paper left alone
    by ``fetch_metadata``. Returns how many tasks."""
    ids = list(paper_ids)
    size = max(1, settings.METADATA_FETCH_BATCH)
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    for chunk in chunks:
        if len(chunk) == 1:
            enqueue_fetch(chunk[0])
        else:
            fetch_metadata_batch.delay_on_commit(chunk)
    return len(chunks)


@shared_task
def fetch_metadata_batch(paper_ids):
    """Fetch and store several papers' metadata with one Crossref request. Safe to run
    twice or concurrently (each paper is claimed first); never retried through the broker
    (a paper it cannot do is handed to ``fetch_metadata``)."""
    return fetch_and_store_batch(paper_ids)


@shared_task
def fetch_metadata(paper_id):
    """Fetch and store one paper's metadata. Safe to run twice or concurrently.

    Never retried through the broker: after a transient fault the paper holds the time of
    its next try, and ``refresh_due_metadata`` enqueues it then.
    """
    return fetch_and_store(paper_id)


@shared_task
def refresh_due_metadata():
    """Beat (every minute): enqueue a fetch for each paper due, in one bounded batch."""
    return enqueue_due(limit=settings.METADATA_REFRESH_BATCH)


def fetch_record(doi):
    """(Work, source) from Crossref, or from DataCite when Crossref does not know the DOI.

    Raises registries.NotFound when neither does; other registry errors pass through, and
    a record that does not parse is a registries.PermanentError.
    """
    try:
        return _parse(crossref.parse_work, registries.fetch_json("crossref", doi)), "crossref"
    except registries.NotFound:
        pass
    try:
        return _parse(datacite.parse_work, registries.fetch_json("datacite", doi)), "datacite"
    except registries.NotFound as error:
        raise registries.NotFound("Neither Crossref nor DataCite knows this DOI.") from error


def _parse(parse, data):
    try:
        return parse(data)
    except records.RecordError as error:
        raise registries.PermanentError(f"the registry's record is unusable: {error}") from error


def claim(paper_id, *, now=None):
    """Take the paper for one fetch: (doi, tries so far) if this caller got it, else None.

    One optimistic UPDATE: only a paper that is pending, or whose retry time or fetching
    lease has passed, moves to "fetching" with a lease of METADATA_FETCH_LEASE seconds. A
    second task for the same paper (a redelivered message, a sweep's duplicate) finds it
    fetching or already fetched and gets None. Two queries.
    """
    now = now or timezone.now()
    claimable = Q(metadata_status=Status.PENDING) | (
        Q(metadata_retry_at__lte=now) & ~Q(metadata_status=Status.FETCHED)
    )
    claimed = (
        Paper.objects.filter(claimable, pk=paper_id)
        .exclude(doi=None)
        .update(
            metadata_status=Status.FETCHING,
            metadata_retry_at=now + datetime.timedelta(seconds=settings.METADATA_FETCH_LEASE),
            content_version=NEXT_VERSION,
        )
    )
    if not claimed:
        return None
    return Paper.objects.filter(pk=paper_id).values_list("doi", "metadata_attempts").first()


def fetch_and_store(paper_id):
    """Fetch one paper's metadata and store it; returns the new status, or None if skipped.

    Safe to run twice and concurrently: the paper is claimed first (``claim``), so a task
    that finds it fetching or fetched does nothing; the upsert locks the paper row. A
    transient fault (timeout, 429, 5xx) counts a try on the paper and sets the time of the
    next one (backoff, or the registry's Retry-After); after METADATA_MAX_ATTEMPTS tries in
    a row the paper is failed and tried again a day later. Never raises for a registry.
    """
    claimed = claim(paper_id)
    if claimed is None:
        return None
    doi, tries = claimed
    try:
        work, source = fetch_record(doi)
    except registries.NotFound as error:
        # A DOI can be registered later: look again in a week.
        return _record_outcome(paper_id, Status.NOT_FOUND, error=str(error), retry_in=WEEK)
    except registries.TransientError as error:
        attempt = tries + 1
        if attempt >= settings.METADATA_MAX_ATTEMPTS:
            reason = f"{error}; gave up after {attempt} tries"
            return _record_outcome(paper_id, Status.FAILED, error=reason, retry_in=DAY)
        delay = registries.backoff_delay(attempt, retry_after=error.retry_after)
        return _record_outcome(
            paper_id, Status.FAILED, error=str(error), retry_in=delay, attempts=attempt
        )
    except (registries.PermanentError, TimeoutError) as error:
        return _record_outcome(paper_id, Status.FAILED, error=str(error), retry_in=DAY)

    with transaction.atomic():
        upsert_work(work, source=source)
        status = _record_outcome(paper_id, Status.FETCHED, source=source)
    # After the commit above: whatever happens to the enrichment, the record stays.
    enrich_from_openalex(paper_id)
    return status


def claim_many(paper_ids, *, now=None):
    """``claim`` for several papers at once: {paper id: (doi, tries so far)} of those this
    caller got (two queries). The papers claimed are those that carry this call's lease."""
    now = now or timezone.now()
    lease = now + datetime.timedelta(seconds=settings.METADATA_FETCH_LEASE)
    claimable = Q(metadata_status=Status.PENDING) | (
        Q(metadata_retry_at__lte=now) & ~Q(metadata_status=Status.FETCHED)
    )
    Paper.objects.filter(claimable, pk__in=list(paper_ids)).exclude(doi=None).update(
        metadata_status=Status.FETCHING, metadata_retry_at=lease, content_version=NEXT_VERSION
    )
    mine = Paper.objects.filter(
        pk__in=list(paper_ids), metadata_status=Status.FETCHING, metadata_retry_at=lease
    )
    return {
        pk: (doi, tries) for pk, doi, tries in mine.values_list("pk", "doi", "metadata_attempts")
    }


def fetch_and_store_batch(paper_ids):
    """Fetch several papers' records with one Crossref request and store them through the
    bulk path; returns {"fetched": n, "alone": n, "failed": n}.

    The papers are claimed first (``claim_many``): a paper another task holds is skipped.
    Crossref's records are stored in one transaction with their outcome; a record the
    catalogue refuses fails alone, with its reason, tried again a day later. Every paper
    Crossref does not answer for (a DataCite DOI, a DOI no registry knows), whose record
    does not parse, or all of them when the request itself fails, is handed to
    ``fetch_metadata`` (pending again, enqueued after commit), which asks Crossref and
    DataCite for it alone and keeps its tries and backoff: nothing is lost, nothing is
    counted as a failure twice. Each stored paper is then enriched from OpenAlex."""
    claimed = claim_many(paper_ids)
    if not claimed:
        return {"fetched": 0, "alone": 0, "failed": 0}
    asked = {doi.lower(): pk for pk, (doi, _) in claimed.items() if "," not in doi}
    try:
        items = registries.fetch_crossref_works(sorted(asked)) if asked else []
    except (registries.RegistryError, TimeoutError) as error:
        logger.info("Crossref list request for %s papers failed: %s", len(asked), error)
        items = []
    works = {}
    for item in items:
        try:
            work = crossref.parse_work(item)
        except records.RecordError:
            continue  # fetched alone, which says why
        if work.doi.lower() in asked:
            works[asked[work.doi.lower()]] = work
    stored, refused = set(), {}
    if works:
        report = ImportReport()
        with transaction.atomic():
            import_works(
                sorted(works.items()), report=report, source="crossref", batch_size=len(works)
            )
            refused = dict(report.rejected)
            stored = set(works) - set(refused)
            _record_fetched(stored, source="crossref")
    for paper_id, reason in refused.items():
        _record_outcome(
            paper_id,
            Status.FAILED,
            error=f"the record could not be stored: {reason}",
            retry_in=DAY,
        )
    alone = sorted(set(claimed) - stored - set(refused))
    _fetch_alone(alone)
    for paper_id in sorted(stored):
        enrich_from_openalex(paper_id)
    return {"fetched": len(stored), "alone": len(alone), "failed": len(refused)}


def _record_fetched(paper_ids, *, source):
    """``_record_outcome`` FETCHED for several papers, in one UPDATE."""
    Paper.objects.filter(pk__in=list(paper_ids)).update(
        metadata_status=Status.FETCHED,
        metadata_error="",
        metadata_attempts=0,
        metadata_fetched_at=timezone.now(),
        metadata_source=source,
        metadata_retry_at=None,
        content_version=NEXT_VERSION,
    )


def _fetch_alone(paper_ids):
    """Hand claimed papers to ``fetch_metadata``: pending again (with the queue's lease),
    each enqueued once the transaction commits."""
    if not paper_ids:
        return
    with transaction.atomic():
        Paper.objects.filter(pk__in=paper_ids, metadata_status=Status.FETCHING).update(
            metadata_status=Status.PENDING,
            metadata_retry_at=_in(settings.METADATA_QUEUE_LEASE),
            content_version=NEXT_VERSION,
        )
        for paper_id in paper_ids:
            enqueue_fetch(paper_id)


def enrich_from_openalex(paper_id):
    """Fetch the paper's OpenAlex work and store it (``ingest.apply_enrichment``).

    Returns the enrichment status. Never raises for what OpenAlex does (404, 429, 5xx,
    timeouts, bodies that are not a work): the outcome is written on the paper in plain
    words. Without OPENALEX_API_KEY it asks nothing and says it skipped. Not retried here:
    a failed enrichment makes the paper due for a refresh a day later.
    """
    paper = Paper.objects.filter(pk=paper_id).only("doi").first()
    if paper is None or not paper.doi:
        return None
    if not settings.OPENALEX_API_KEY:
        return _record_enrichment(paper_id, Enrichment.SKIPPED, "no OpenAlex API key")
    try:
        enrichment = openalex.parse_enrichment(registries.fetch_json("openalex", paper.doi))
        if enrichment.doi != paper.doi.lower():
            raise openalex.OpenAlexError(f"OpenAlex answered with another DOI ({enrichment.doi})")
        if apply_enrichment(enrichment) is None:
            return None  # the paper was deleted meanwhile
    except registries.NotFound:
        return _record_enrichment(paper_id, Enrichment.NOT_FOUND, "OpenAlex does not know this DOI")
    except (registries.RegistryError, TimeoutError) as error:
        return _record_enrichment(paper_id, Enrichment.FAILED, str(error))
    except openalex.OpenAlexError as error:
        return _record_enrichment(
            paper_id, Enrichment.FAILED, f"OpenAlex's record is unusable: {error}"
        )
    except (DataError, IntegrityError):
        logger.exception("OpenAlex enrichment of paper %s not stored", paper_id)
        return _record_enrichment(
            paper_id, Enrichment.FAILED, "OpenAlex's record holds a value the catalogue refuses"
        )
    return Enrichment.ENRICHED


def _record_enrichment(paper_id, status, error):
    Paper.objects.filter(pk=paper_id).update(
        enrichment_status=status,
        enrichment_error=error,
        enriched_at=timezone.now(),
        content_version=NEXT_VERSION,  # the page's facts say how the enrichment went
    )
    return status


def _in(seconds):
    return timezone.now() + datetime.timedelta(seconds=seconds)


def _record_outcome(paper_id, status, *, error="", source=None, retry_in=None, attempts=0):
    now = timezone.now()
    fields = {"metadata_status": status, "metadata_error": error, "metadata_attempts": attempts}
    if status == Status.FETCHED:
        fields.update(metadata_fetched_at=now, metadata_source=source, metadata_retry_at=None)
    else:
        fields["metadata_retry_at"] = now + datetime.timedelta(seconds=retry_in)
    # The page shows the status, its reason and when the metadata was fetched.
    Paper.objects.filter(pk=paper_id).update(**fields, content_version=NEXT_VERSION)
    return status


def papers_due_for_refresh(*, limit, now=None):
    """Ids of papers whose metadata should be fetched again, at most ``limit``.

    First failed / not found / pending / fetching papers whose retry time has come (a
    pending or fetching paper's time passes only when its task was lost), earliest first;
    then papers fetched longer ago than METADATA_MAX_AGE_DAYS, oldest first; then fetched
    papers whose OpenAlex enrichment failed more than a day ago. Each kind is its own query
    on its own index, so that the sweep stays cheap every minute on a large catalogue: one
    to three queries, each reading at most ``limit`` rows.
    """
    now = now or timezone.now()
    ids = []
    for due, order in _due_kinds(now):
        if len(ids) >= limit:
            break
        rows = Paper.objects.filter(due).exclude(doi=None).order_by(*order)
        ids += [pk for pk in rows.values_list("pk", flat=True)[:limit] if pk not in ids]
    return ids[:limit]


def _due_kinds(now):
    """(condition, order) of each kind of "due"; the order is the one its index reads."""
    stale_before = now - datetime.timedelta(days=settings.METADATA_MAX_AGE_DAYS)
    retry = Q(metadata_retry_at__lte=now) & ~Q(metadata_status=Status.FETCHED)
    stale = Q(metadata_status=Status.FETCHED, metadata_fetched_at__lt=stale_before)
    # An OpenAlex failure (a 429, a 5xx...) is tried again a day later, with the record.
    enrichment = Q(
        metadata_status=Status.FETCHED,
        enrichment_status=Enrichment.FAILED,
        enriched_at__lt=now - datetime.timedelta(seconds=DAY),
    )
    return [
        (retry, ("metadata_retry_at", "pk")),
        (stale, ("metadata_fetched_at", "pk")),
        (enrichment, ("enriched_at", "pk")),
    ]


def _due(now):
    """Any kind of due, as one condition (to re-check a selected row in an UPDATE)."""
    (retry, _), (stale, _), (enrichment, _) = _due_kinds(now)
    return retry | stale | enrichment
