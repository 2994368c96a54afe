"""Importing a reference manager's export (BibTeX, RIS, CSL-JSON) into a collection.

``start_import`` checks the upload (size, format, the user's hourly limit, the collection)
and queues an ImportJob holding the file; ``run_import`` (run by the task ``import_library``,
defined below) reads it and puts its papers into the collection:

- an entry whose DOI is in the catalogue is linked at once;
- DOIs new to the catalogue become pending papers in one bulk insert
  (``papers.metadata.add_dois``), fetched by the workers within the registries' shared rate
  limit. They go into the collection at once, in the same transaction as everything else,
  so no fetched paper can be lost on its way: the entry is there from the start and its
  metadata fills in when the worker has it (a DOI no registry knows stays, marked "not
  found", and the job's page says so);
- an entry without a DOI is matched on its normalised title, year (give or take one: print
  and online years differ) and first author's family name against the catalogue, with one
  query per 2,000 names; else it is listed as unmatched.

Every paper goes in through ``collections.add_papers``. The whole write (new collection,
pending papers, entries, the job's rows) is one transaction: a failure half-way leaves
nothing imported, and the job says why. Re-importing a file adds nothing (add_papers skips
papers already in the collection; the second job reports 0 added).

Malformed files: a syntax error anywhere (a BibTeX block that does not parse, a RIS line
outside a record or a record without its end, JSON that does not parse) refuses the whole
file, naming the entry number and line of each error; nothing is imported. An entry that
parses but holds nothing to match on (no DOI and no title, or not an object in CSL-JSON) is
listed as unreadable with its number, and the rest of the file is imported.
"""

import json
import logging
import re
import unicodedata
from dataclasses import dataclass

import bibtexparser
import rispy
from bibtexparser.middlewares import NormalizeFieldKeys
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock
from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from pylatexenc.latex2text import LatexNodes2Text

from library import collections
from library.models import Collection, ImportItem, ImportJob
from papers import limits, metadata
from papers.models import Authorship, Paper
from papers.records import RecordError, normalize_doi
from papers.rows import insert_tuples

logger = logging.getLogger(__name__)

Format = ImportJob.Format
Status = ImportJob.Status
Kind = ImportItem.Kind

# Names (first authors) looked up per query when matching titles.
NAME_CHUNK = 2000
# Syntax errors named in a refusal; more are counted.
ERRORS_SHOWN = 5
EXTENSIONS = {
    ".bib": Format.BIBTEX,
    ".bibtex": Format.BIBTEX,
    ".ris": Format.RIS,
    ".json": Format.CSL_JSON,
    ".csljson": Format.CSL_JSON,
}


class ImportLimitReached(ValidationError):
    """The owner started IMPORTS_PER_HOUR imports in the last hour; ``retry_after`` seconds."""

    def __init__(self, message, *, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


class FileRefused(Exception):
    """The file cannot be imported; the message says why (and where) in plain words."""


@dataclass
class Reference:
    """One entry of the file, as far as matching needs it."""

    number: int  # from 1, in file order
    line: int | None = None  # where it starts, from 1 (None in CSL-JSON)
    title: str = ""
    doi: str = ""  # normalised; "" when there is none
    bad_doi: str = ""  # what the DOI field held when it is not a DOI
    year: int | None = None
    family: str = ""  # the first author's family name (an organisation's whole name)
    problem: str = ""  # set when the entry is unreadable


# --- the upload ---


def start_import(*, owner, file_name, data, collection=None, collection_name=""):
    """Queue an import of ``data`` (the file's bytes) into ``collection`` (one ``owner``
    may edit) or a new collection called ``collection_name``; returns the job.

    Raises ValidationError with a message for the person when the file is too large, empty,
    not a format we read, the collection name is taken or blank, or the owner has started
    IMPORTS_PER_HOUR imports in the last hour. The file is read by the task, after commit.
    """
    check_size(len(data))
    if not data.strip():
        raise ValidationError("The file is empty.")
    fmt = detect_format(file_name, data)
    wait = limits.seconds_until_allowed(
        ImportJob.objects.filter(owner=owner), settings.IMPORTS_PER_HOUR
    )
    if wait is not None:
        message = limits.retry_message(settings.IMPORTS_PER_HOUR, "imports", wait)
        raise ImportLimitReached(message, retry_after=wait)
    if collection is not None:
        if not collections.can_edit(owner, collection):
            raise PermissionDenied("You cannot change this collection.")
        name, new = collection.name, False
    else:
        name, new = collections.check_new_name(owner, collection_name), True
    job = ImportJob.objects.create(
        owner=owner,
        collection=collection,
        collection_name=name,
        new_collection=new,
        file_name=file_name[:255],
        format=fmt,
        content=data,
    )
    import_library.delay_on_commit(job.pk)
    return job


def check_size(size):
    """ValidationError, with the limit and the size, for a file over IMPORT_MAX_BYTES."""
    if size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {settings.IMPORT_MAX_BYTES // 1_000_000} MB "
            f"({size / 1_000_000:.1f} MB): export a part of your library at a time."
        )


def detect_format(file_name, data):
    """The format of the file, from its content (a JSON array or object, a RIS "TY  - "
    line, a BibTeX "@type{"), else from its extension; FileRefused when neither says."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        return Format.CSL_JSON
    if re.search(rb"(?m)^TY  -", head):
        return Format.RIS
    if re.search(rb"@\s*[A-Za-z]+\s*[{(]", head):
        return Format.BIBTEX
    extension = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    raise ValidationError(
        "This is not a file we can read: export your library as BibTeX (.bib), RIS (.ris) "
        "or CSL-JSON (.json)."
    )


# --- reading the file ---


def parse(fmt, data):
    """The file's entries as References; raises FileRefused for what makes the file
    unreadable (not UTF-8, a syntax error), naming lines and entry numbers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not UTF-8 text (line {line}): export it again with the Unicode "
            "(UTF-8) character encoding."
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    readers = {Format.BIBTEX: read_bibtex, Format.RIS: read_ris, Format.CSL_JSON: read_csl_json}
    return readers[fmt](text)


def _refuse(kind, errors):
    shown = "; ".join(errors[:ERRORS_SHOWN])
    more = f" (and {len(errors) - ERRORS_SHOWN} more)" if len(errors) > ERRORS_SHOWN else ""
    raise FileRefused(
        f"The file has {kind} errors, so nothing was imported: {shown}{more}. "
        "Correct them (or export the library again) and import it again."
    )


_latex = LatexNodes2Text(math_mode="verbatim")


def latex_to_text(value):
    """A BibTeX value as plain text: LaTeX accents and escapes decoded, braces dropped."""
    value = " ".join(value.split())
    if not any(char in value for char in "\\{}$~"):
        return value
    try:
        return " ".join(_latex.latex_to_text(value).split())
    except Exception:  # pylatexenc gives up on some broken markup: keep the text as it is
        return value.replace("{", "").replace("}", "")


def read_bibtex(text):
    library = bibtexparser.parse_string(text, append_middleware=[NormalizeFieldKeys()])
    references, errors = [], []
    number = 0
    for block in library.blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            # Two entries with the same key: both are entries to us (keys mean nothing here).
            block = block.ignore_error_block
        if isinstance(block, ParsingFailedBlock):
            number += 1
            error = block.error
            reason = (getattr(error, "abort_reason", None) or str(error)).strip()
            errors.append(f"entry {number} (line {block.start_line + 1}): {reason}")
            continue
        if not isinstance(block, Entry):
            continue  # @string, @preamble, @comment
        number += 1
        fields = {key: field.value for key, field in block.fields_dict.items()}
        reference = Reference(number=number, line=block.start_line + 1)
        reference.title = latex_to_text(_text(fields.get("title")))
        _set_doi(reference, latex_to_text(_text(fields.get("doi"))), _text(fields.get("url")))
        reference.year = _year(_text(fields.get("year")) or _text(fields.get("date")))
        names = _text(fields.get("author")) or _text(fields.get("editor"))
        if names.strip():
            try:
                first = parse_single_name_into_parts(split_multiple_persons_names(names)[0])
                reference.family = latex_to_text(" ".join(first.von + first.last))
            except Exception:  # bibtexparser's InvalidNameError, a name of only braces...
                reference.family = latex_to_text(names.split(",")[0])
        references.append(reference)
    if errors:
        _refuse("BibTeX syntax", errors)
    return references


def _text(value):
    return value if isinstance(value, str) else ""


_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")


def read_ris(text):
    """RIS records by rispy's tag mapping, with the structure checked line by line (rispy
    itself skips what it does not understand, and drops a record without its end)."""
    references, errors, record = [], [], None
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        tag = line[:2] if _TAG.match(line) else None
        if record is None:
            if tag == "TY":
                record = {"start": number, "lines": [line]}
            elif line.strip():
                errors.append(
                    f"line {number}: text outside a record (a record starts with “TY  - ”)"
                )
            continue
        if tag == "TY":
            errors.append(
                f"entry {len(references) + 1} (line {record['start']}): it has no end "
                f"(“ER  - ”) before the next record starts on line {number}"
            )
            references.append(None)
            record = {"start": number, "lines": [line]}
        elif tag == "ER":
            references.append(_ris_reference(len(references) + 1, record))
            record = None
        else:
            record["lines"].append(line)
    if record is not None:
        errors.append(
            f"entry {len(references) + 1} (line {record['start']}): it has no end (“ER  - ”) "
            "before the file ends"
        )
    if errors:
        _refuse("RIS", errors)
    return references


def _ris_reference(number, record):
    parsed = rispy.RisParser(skip_unknown_tags=True).parse_lines(iter(record["lines"] + ["ER  - "]))
    fields = parsed[0] if parsed else {}
    reference = Reference(number=number, line=record["start"])
    reference.title = _first(fields.get("title") or fields.get("primary_title"))
    urls = fields.get("urls") or []
    _set_doi(reference, _first(fields.get("doi")), _first(urls))
    reference.year = _year(
        _first(fields.get("year") or fields.get("publication_year") or fields.get("date"))
    )
    authors = fields.get("authors") or fields.get("first_authors") or []
    if authors:
        reference.family = _first(authors).split(",")[0].strip()
    return reference


def _first(value):
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(value.split()) if isinstance(value, str) else ""


def read_csl_json(text):
    try:
        data = json.loads(text)
    except ValueError as error:
        where = f" at line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else ""
        reason = getattr(error, "msg", str(error))
        raise FileRefused(
            f"The file is not valid JSON{where} ({reason}), so nothing was imported."
        ) from None
    if isinstance(data, dict):
        data = data.get("items", [data]) if "items" in data else [data]
    if not isinstance(data, list):
        raise FileRefused("A CSL-JSON file holds a list of items; this one does not.")
    references = []
    for number, item in enumerate(data, start=1):
        reference = Reference(number=number)
        if not isinstance(item, dict):
            reference.problem = "not a CSL-JSON item (an object with a title, DOI, authors…)"
            references.append(reference)
            continue
        reference.title = _first(item.get("title"))
        _set_doi(reference, _first(item.get("DOI") or item.get("doi")), _first(item.get("URL")))
        reference.year = _csl_year(item.get("issued"))
        authors = item.get("author") or item.get("editor") or []
        first = authors[0] if isinstance(authors, list) and authors else None
        if isinstance(first, dict):
            reference.family = _first(first.get("family") or first.get("literal"))
        references.append(reference)
    return references


def _csl_year(issued):
    if not isinstance(issued, dict):
        return None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            return _year(str(int(parts[0][0])))
        except (TypeError, ValueError):
            pass
    return _year(_first(issued.get("raw") or issued.get("literal")))


def _year(text):
    match = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", text or "")
    return int(match.group(1)) if match else None


_DOI_IN_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/", re.IGNORECASE)


def _set_doi(reference, doi, url=""):
    """The entry's DOI, normalised; from a doi.org link when the entry has no DOI field."""
    if not doi and url and _DOI_IN_URL.match(url):
        doi = url
    if not doi:
        return
    try:
        reference.doi = normalize_doi(doi)
    except RecordError:
        reference.bad_doi = doi[:255]


# --- matching ---


def normalise(text):
    """Text for comparison: no accents, case, punctuation, markup or extra spaces."""
    text = re.sub(r"<[^>]+>", " ", text or "")  # Crossref titles carry <i>, <sub>...
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _lower_variants(name):
    """How the database's lower() may write ``name``: PostgreSQL lowers every letter,
    SQLite only A-Z."""
    name = " ".join(name.split())
    return {name.lower(), re.sub(r"[A-Z]+", lambda m: m.group(0).lower(), name)}


def match_titles(references):
    """{entry number: paper id} for the references (without a DOI) whose normalised title,
    year give or take one and first author's family name match exactly one catalogue paper
    (the one of the same year, if two do). One query per NAME_CHUNK names.
    Also returns {entry number: reason} for those that matched several papers."""
    wanted = [r for r in references if r.title and r.year and r.family]
    if not wanted:
        return {}, {}
    names = sorted({variant for r in wanted for variant in _lower_variants(r.family)})
    years = sorted({r.year + d for r in wanted for d in (-1, 0, 1)})
    earlier = Authorship.objects.filter(paper=OuterRef("paper"), position__lt=OuterRef("position"))
    by_name = {}
    for start in range(0, len(names), NAME_CHUNK):
        chunk = names[start : start + NAME_CHUNK]
        rows = (
            Authorship.objects.alias(
                family_lower=Lower("author__family_name"), name_lower=Lower("author__name")
            )
            .filter(Q(family_lower__in=chunk) | Q(name_lower__in=chunk))
            .filter(paper__published_year__in=years)
            .filter(~Exists(earlier))
            .values_list(
                "paper_id",
                "author__family_name",
                "author__name",
                "paper__title",
                "paper__published_year",
            )
        )
        for paper_id, family, name, title, year in rows:
            candidate = (paper_id, normalise(title), year)
            for key in {normalise(family), normalise(name)} - {""}:
                by_name.setdefault(key, set()).add(candidate)
    matched, ambiguous = {}, {}
    for reference in wanted:
        title = normalise(reference.title)
        found = {
            (paper_id, year)
            for paper_id, candidate_title, year in by_name.get(normalise(reference.family), ())
            if candidate_title == title and abs(year - reference.year) <= 1
        }
        if len(found) > 1:
            found = {(paper_id, year) for paper_id, year in found if year == reference.year}
        if len(found) == 1:
            matched[reference.number] = next(iter(found))[0]
        elif found:
            ambiguous[reference.number] = (
                "several catalogue papers have this title, year and first author"
            )
    return matched, ambiguous


# --- running a job ---


def claim(job_id, *, now=None):
    """Take a queued job (or one whose worker died: running past the task's time limit);
    True if this caller got it. One UPDATE."""
    now = now or timezone.now()
    lease = now - timezone.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    return bool(
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=lease))
        .update(status=Status.RUNNING, started_at=now)
    )


def run_import(job_id):
    """Run a queued import; returns its status, or None when another run has it. Safe to
    run twice: a job is claimed first, and a finished one is left alone.

    Queries: a handful, plus one per 2,000 DOIs (reads) and per 2,000 names (title
    matches), whatever the number of entries; rows go in by one statement per table.
    """
    if not claim(job_id):
        return None
    job = ImportJob.objects.get(pk=job_id)
    try:
        references = parse(job.format, bytes(job.content))
    except FileRefused as error:
        return _finish_failed(job, str(error))
    try:
        with transaction.atomic():
            _import(job, references)
    except (PermissionDenied, ValidationError) as error:
        message = error.messages[0] if isinstance(error, ValidationError) else str(error)
        return _finish_failed(job, f"{message} Nothing was imported.")
    except DatabaseError:
        logger.exception("Import %s failed", job_id)
        return _finish_failed(
            job, "The import could not be written to the database; nothing was imported."
        )
    except Exception:
        # A bug, or the task's soft time limit: say so on the job rather than leave it
        # running, to be run again by the sweep and fail the same way.
        logger.exception("Import %s failed", job_id)
        return _finish_failed(
            job, "The import stopped on an unexpected error; nothing was imported."
        )
    return Status.DONE


def enqueue_stale(*, limit=100, now=None):
    """The beat sweep: enqueue again the imports whose task was lost (still queued after
    METADATA_QUEUE_LEASE, as a DOI fetch would be; or running past the task's hard time
    limit, its worker dead). A job run twice runs once (``claim``). Returns how many."""
    now = now or timezone.now()
    queued_before = now - timezone.timedelta(seconds=settings.METADATA_QUEUE_LEASE)
    running_before = now - timezone.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    stale = ImportJob.objects.filter(
        Q(status=Status.QUEUED, created_at__lt=queued_before)
        | Q(status=Status.RUNNING, started_at__lt=running_before)
    ).order_by("created_at", "id")
    ids = list(stale.values_list("pk", flat=True)[:limit])
    for job_id in ids:
        import_library.delay(job_id)
    return len(ids)


@shared_task
def requeue_stale_imports():
    """Beat (every ten minutes): imports whose task was lost are enqueued again."""
    return enqueue_stale()


@shared_task
def import_library(job_id):
    """Run a queued import (``run_import``); safe to run twice: the job is claimed first."""
    return run_import(job_id)


def _finish_failed(job, message):
    ImportJob.objects.filter(pk=job.pk).update(
        status=Status.FAILED, error=message, content=b"", finished_at=timezone.now()
    )
    return Status.FAILED


def _import(job, references):
    """The import's writes, in the caller's transaction."""
    collection = _target(job)
    readable = [r for r in references if not r.problem]
    found, created = metadata.add_dois([r.doi for r in readable if r.doi])
    created = set(created)
    by_title, ambiguous = match_titles([r for r in readable if not r.doi])

    counts = dict.fromkeys(["linked", "queued_for_fetch", "matched_by_title", "unmatched"], 0)
    counts["unreadable"] = len(references) - len(readable)
    papers, items = [], []
    for reference in references:
        item = _item(job, reference)
        if reference.problem:
            items.append(item(Kind.UNREADABLE, reference.problem))
        elif reference.doi:
            paper_id = found[reference.doi]
            papers.append(paper_id)
            if paper_id in created:
                counts["queued_for_fetch"] += 1
                items.append(item(Kind.FETCH, "", paper_id))
            else:
                counts["linked"] += 1
        elif reference.number in by_title:
            papers.append(by_title[reference.number])
            counts["matched_by_title"] += 1
        elif not reference.title:
            counts["unreadable"] += 1
            reason = "no DOI and no title to match on"
            if reference.bad_doi:
                reason = f"“{reference.bad_doi}” is not a DOI, and there is no title to match on"
            items.append(item(Kind.UNREADABLE, reason))
        else:
            counts["unmatched"] += 1
            items.append(item(Kind.UNMATCHED, _unmatched_reason(reference, ambiguous)))
    added = collections.add_papers(collection=collection, papers=papers, by=job.owner)
    insert_tuples(ImportItem, ITEM_COLUMNS, items)
    ImportJob.objects.filter(pk=job.pk).update(
        collection=collection,
        status=Status.DONE,
        error="",
        content=b"",
        total=len(references),
        added=added,
        finished_at=timezone.now(),
        **counts,
    )


ITEM_COLUMNS = ("job_id", "number", "line", "kind", "title", "doi", "reason", "paper_id")


def _item(job, reference):
    def item(kind, reason, paper_id=None):
        doi = reference.doi or reference.bad_doi
        # PostgreSQL takes no NUL in text, and a file may hold one.
        title = reference.title[:2000].replace("\x00", "")
        return (job.pk, reference.number, reference.line, kind, title,
                doi[:255].replace("\x00", ""), reason.replace("\x00", ""), paper_id)  # fmt: skip

    return item


def _unmatched_reason(reference, ambiguous):
    if reference.number in ambiguous:
        return ambiguous[reference.number]
    missing = [
        what
        for what, value in (("year", reference.year), ("author", reference.family))
        if not value
    ]
    prefix = f"“{reference.bad_doi}” is not a DOI; " if reference.bad_doi else "no DOI; "
    if missing:
        return prefix + f"no {' or '.join(missing)} to match the title with"
    return prefix + "no catalogue paper has this title, year and first author"


def _target(job):
    """The job's collection: the one chosen, or a new one made now (ValidationError if the
    name was taken meanwhile); PermissionDenied when the owner may no longer edit it."""
    if job.new_collection and job.collection_id is None:
        return collections.create_collection(owner=job.owner, name=job.collection_name)
    collection = Collection.objects.filter(pk=job.collection_id).first()
    if collection is None:
        raise ValidationError(f"The collection “{job.collection_name}” was deleted.")
    return collection


# --- reading jobs ---


def jobs_of(user):
    """``user``'s imports, newest first, without the files' bytes, each with how its new
    DOIs' fetches stand: ``fetched``, ``waiting`` (pending or fetching) and ``not_found``
    (no registry knows the DOI, or the fetch failed). One query for any number of jobs."""
    Metadata = Paper.MetadataStatus

    def fetches(*statuses):
        return Count(
            "items",
            filter=Q(items__kind=Kind.FETCH, items__paper__metadata_status__in=statuses),
        )

    return (
        ImportJob.objects.filter(owner=user)
        .defer("content")
        .annotate(
            fetched=fetches(Metadata.FETCHED, Metadata.CURATED),
            waiting=fetches(Metadata.PENDING, Metadata.FETCHING),
            not_found=fetches(Metadata.NOT_FOUND, Metadata.FAILED),
        )
        .order_by("-created_at", "-id")  # Meta.ordering does not apply to grouped queries
    )


def export_imports(user):
    """``user``'s imports as plain JSON values, for the account export (two queries)."""
    jobs = list(jobs_of(user).order_by("id").prefetch_related("items"))
    return [
        {
            "file_name": job.file_name,
            "format": job.format,
            "collection": job.collection_name,
            "status": job.status,
            "error": job.error,
            "total": job.total,
            "linked": job.linked,
            "queued_for_fetch": job.queued_for_fetch,
            "matched_by_title": job.matched_by_title,
            "unmatched": job.unmatched,
            "unreadable": job.unreadable,
            "added": job.added,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "items": [
                {
                    "number": item.number,
                    "kind": item.kind,
                    "title": item.title,
                    "doi": item.doi,
                    "reason": item.reason,
                }
                for item in job.items.all()
            ],
        }
        for job in jobs
    ]
