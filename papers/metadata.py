"""DOI metadata in the background: add a paper by DOI, then fetch and store its record.

``add_by_doi`` is the one way in (site form, admin, API, ``fetch_dois``): it answers at once
with a pending paper and enqueues ``papers.tasks.fetch_metadata`` after commit. That task
calls ``fetch_and_store``, which asks Crossref, then DataCite, stores the record through
``papers.ingest.upsert_work`` (locks honoured, one transaction), and records the outcome on
the paper: fetched, not found, or failed with a plain reason and the time of the next try.
After a record is stored, ``enrich_from_openalex`` adds what OpenAlex knows (keywords,
topics as categories, an open-access link...) in a transaction of its own: its outcome is
recorded apart (``Paper.enrichment_status``) and never fails or undoes the record.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from papers import crossref, datacite, limits, openalex, registries
from papers.ingest import apply_enrichment, upsert_work
from papers.models import Paper

logger = logging.getLogger(__name__)

Status = Paper.MetadataStatus
Enrichment = Paper.EnrichmentStatus
DAY, WEEK = 86400, 7 * 86400
LOST_TASK_AFTER = 3600  # seconds; far longer than a fetch with all its retries


class RetryLater(Exception):
    """The fetch hit a transient fault; the task should run again after ``delay`` seconds."""

    def __init__(self, delay):
        super().__init__(f"retry in {delay:.0f}s")
        self.delay = delay


class AddLimitReached(Exception):
    """The user added PAPERS_ADDED_PER_HOUR papers in the last hour; ``retry_after`` seconds."""

    def __init__(self, message, *, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


def add_by_doi(text, *, by=None):
    """Return (paper, created) for a DOI in any accepted form; enqueue a fetch if new.

    Raises crossref.CrossrefError with a message saying what a DOI looks like when ``text``
    is not one. An existing DOI (any case or form) returns the existing paper. A new paper
    added ``by`` a user counts towards their PAPERS_ADDED_PER_HOUR (AddLimitReached past it,
    decided under a lock on the user's row); without ``by`` (``fetch_dois``, run by an
    operator) nothing is counted.
    """
    doi = crossref.normalize_doi(text)
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
                    metadata_retry_at=_in(LOST_TASK_AFTER),
                    added_by=by,
                )
        except IntegrityError:
            # Someone added the same DOI between our look-up and our insert.
            return Paper.objects.get(doi=doi), False
        enqueue_fetch(paper.pk)
    return paper, True


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
            metadata_status=Status.PENDING, metadata_retry_at=_in(LOST_TASK_AFTER)
        )
        for paper_id in ids:
            enqueue_fetch(paper_id)
    return len(ids)


def enqueue_fetch(paper_id):
    from papers.tasks import fetch_metadata  # tasks import this module

    # After commit: a worker must find the row we just wrote.
    # robust: with the broker down the paper stays pending (the answer still goes out), and
    # the periodic refresh enqueues it once its retry time has passed.
    transaction.on_commit(lambda: fetch_metadata.delay(paper_id), robust=True)


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
    except crossref.CrossrefError as error:
        raise registries.PermanentError(f"the registry's record is unusable: {error}") from error


def fetch_and_store(paper_id, *, attempt=1):
    """Fetch one paper's metadata and store it; returns the new status.

    Safe to run twice and concurrently: the upsert locks the paper row, and the outcome is
    written with a plain update. Raises RetryLater on a transient fault while tries remain.
    """
    paper = Paper.objects.filter(pk=paper_id).only("doi").first()
    if paper is None or not paper.doi:
        return None
    Paper.objects.filter(pk=paper_id).update(
        metadata_status=Status.FETCHING, metadata_retry_at=_in(LOST_TASK_AFTER)
    )
    try:
        work, source = fetch_record(paper.doi)
    except registries.NotFound as error:
        # A DOI can be registered later: look again in a week.
        return _record_outcome(paper_id, Status.NOT_FOUND, error=str(error), retry_in=WEEK)
    except registries.TransientError as error:
        if attempt >= settings.METADATA_MAX_ATTEMPTS:
            reason = f"{error}; gave up after {attempt} tries"
            return _record_outcome(paper_id, Status.FAILED, error=reason, retry_in=DAY)
        delay = registries.backoff_delay(attempt, retry_after=error.retry_after)
        _record_outcome(paper_id, Status.FAILED, error=str(error), retry_in=delay)
        raise RetryLater(delay) from error
    except (registries.PermanentError, TimeoutError) as error:
        return _record_outcome(paper_id, Status.FAILED, error=str(error), retry_in=DAY)

    with transaction.atomic():
        upsert_work(work, source=source)
        status = _record_outcome(paper_id, Status.FETCHED, source=source)
    # After the commit above: whatever happens to the enrichment, the record stays.
    enrich_from_openalex(paper_id)
    return status


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
        enrichment_status=status, enrichment_error=error, enriched_at=timezone.now()
    )
    return status


def _in(seconds):
    return timezone.now() + datetime.timedelta(seconds=seconds)


def _record_outcome(paper_id, status, *, error="", source=None, retry_in=None):
    now = timezone.now()
    fields = {"metadata_status": status, "metadata_error": error}
    if status == Status.FETCHED:
        fields.update(metadata_fetched_at=now, metadata_source=source, metadata_retry_at=None)
    else:
        fields["metadata_retry_at"] = now + datetime.timedelta(seconds=retry_in)
    Paper.objects.filter(pk=paper_id).update(**fields)
    return status


def papers_due_for_refresh(*, limit, now=None):
    """Ids of papers whose metadata should be fetched again, at most ``limit``, oldest first.

    Fetched longer ago than METADATA_MAX_AGE_DAYS, or failed / not found / pending /
    fetching with their retry time come (a pending or fetching paper's retry time passes
    only when its task was lost), or fetched but with an OpenAlex enrichment that failed
    more than a day ago.
    """
    now = now or timezone.now()
    stale = now - datetime.timedelta(days=settings.METADATA_MAX_AGE_DAYS)
    due = (
        Q(metadata_status=Status.FETCHED, metadata_fetched_at__lt=stale)
        | Q(
            metadata_retry_at__lte=now,
            metadata_status__in=[s for s in Status if s != Status.FETCHED],
        )
        # An OpenAlex failure (a 429, a 5xx...) is tried again a day later, with the record.
        | Q(
            metadata_status=Status.FETCHED,
            enrichment_status=Enrichment.FAILED,
            enriched_at__lt=now - datetime.timedelta(seconds=DAY),
        )
    )
    rows = Paper.objects.filter(due).exclude(doi=None)
    rows = rows.order_by(F("metadata_fetched_at").asc(nulls_first=True), "pk")
    return list(rows.values_list("pk", flat=True)[:limit])
