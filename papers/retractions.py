"""Retraction Watch: its notices (retractions, expressions of concern, corrections,
reinstatements) marked on the catalogue's papers.

``read_csv`` reads the CSV Crossref publishes of the Retraction Watch database (the format of
``../shared/data/retractions/retraction_watch_sample.csv``: a header line, list-valued fields
written as Python list reprs, dates as ``M/D/YYYY 0:00``, fields that span lines) into
``RetractionNotice`` values, a bad row as a ``RecordError`` with its line number.
``import_notices`` stores them through ``papers.ingest.add_notices``, the write path of every
notice: a retraction retracts the paper as a Crossref retraction notice does (the page's
notice, out of the related lists and emails, raters told once), with the notice's date,
reasons and link kept on the notice.
"""

import csv
import datetime
import re
from dataclasses import dataclass, field

from django.db.models.functions import Lower

from papers import ingest
from papers.links import safe_link
from papers.models import Paper
from papers.records import RecordError, UpdateNotice, normalize_doi

SOURCE = "retraction_watch"

# retractionnature -> Notice.kind (Crossref's update types where there is one).
KINDS = {
    "retraction": "retraction",
    "expression of concern": "expression_of_concern",
    "correction": "correction",
    "reinstatement": "reinstatement",
}
# Notices whose notice DOI Retraction Watch does not know: the paper's own DOI stands in,
# as OpenAlex's retraction flag does (papers.openalex).
_NO_DOI = {"", "none", "unavailable"}
_LISTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
REQUIRED_COLUMNS = ("originalpaperdoi", "retractiondoi", "retractiondate", "retractionnature")


@dataclass(frozen=True)
class RetractionNotice:
    line: int
    paper_doi: str
    notice: UpdateNotice
    reasons: tuple[str, ...]
    url: str

    @property
    def reason(self):
        return "; ".join(self.reasons)


@dataclass
class RetractionReport:
    updated: int = 0  # papers whose notices changed (newly retracted among them)
    retracted: int = 0  # papers newly marked retracted
    unchanged: int = 0
    not_in_catalogue: int = 0
    rejected: list = field(default_factory=list)  # (line, reason)

    def summary(self):
        return (
            f"{self.updated} papers updated ({self.retracted} newly retracted), "
            f"{self.unchanged} unchanged, {self.not_in_catalogue} notices about papers not "
            f"in the catalogue, {len(self.rejected)} rows rejected"
        )


def read_csv(path):
    """Yield (line number, RetractionNotice | RecordError) for each row of the CSV file.

    The line number is where the row starts (fields may span lines). A file without the
    columns it needs raises RecordError at once.
    """
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise RecordError(
                f"{path}: not a Retraction Watch CSV (no column {', '.join(missing)})"
            )
        start = reader.line_num + 1
        for row in reader:
            try:
                yield start, parse_row(row, line=start)
            except RecordError as error:
                yield start, error
            start = reader.line_num + 1


def parse_row(row, *, line=0):
    """One CSV row -> RetractionNotice; RecordError saying what is wrong."""
    try:
        paper_doi = normalize_doi(row.get("originalpaperdoi") or "")
    except RecordError as error:
        raise RecordError(f"originalpaperdoi: {error}") from None
    nature = (row.get("retractionnature") or "").strip()
    kind = KINDS.get(nature.lower())
    if kind is None:
        raise RecordError(f"retractionnature {nature!r} is none of {', '.join(KINDS)}")
    notice_doi = (row.get("retractiondoi") or "").strip()
    if notice_doi.lower() in _NO_DOI:
        notice_doi = paper_doi
    else:
        try:
            notice_doi = normalize_doi(notice_doi)
        except RecordError as error:
            raise RecordError(f"retractiondoi: {error}") from None
    date = _date(row.get("retractiondate") or "")
    reasons = tuple(r.lstrip("+").strip() for r in _listed(row.get("reason")))
    urls = [safe_link(url) for url in _listed(row.get("urls"))]
    notice = UpdateNotice(
        kind=kind,
        doi=notice_doi,
        date=date,
        direction="updated-by",
        label=f"{nature} (Retraction Watch)"[:200],
    )
    return RetractionNotice(
        line=line,
        paper_doi=paper_doi,
        notice=notice,
        reasons=tuple(r for r in reasons if r),
        url=next((url for url in urls if url and len(url) <= 1000), ""),
    )


def _listed(value):
    """The strings of a Python-list-repr field: "['+Paper Mill' '+Plagiarism of Text']"."""
    return [single or double for single, double in _LISTED.findall(value or "")]


def _date(value):
    text = value.strip().split(" ")[0]
    try:
        return datetime.datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        raise RecordError(f"retractiondate {value!r} is not a date written M/D/YYYY") from None


def import_notices(items, *, report=None, chunk=500):
    """Store (line, RetractionNotice | RecordError) items; returns a RetractionReport.

    The papers are looked up ``chunk`` DOIs at a time (one query each); notices about one
    catalogue paper are stored together (``ingest.add_notices``, one transaction per
    paper); notices about papers not in the catalogue are counted and skipped; a bad row is
    rejected with its line number. Idempotent: a second run changes nothing.
    """
    report = report or RetractionReport()
    by_paper = {}
    for line, item in items:
        if isinstance(item, Exception):
            report.rejected.append((line, str(item)))
            continue
        by_paper.setdefault(item.paper_doi, []).append(item)
    dois = list(by_paper)
    for start in range(0, len(dois), chunk):
        part = dois[start : start + chunk]
        before = _retracted_by_doi(part)
        updated = []
        for doi in part:
            if doi not in before:
                report.not_in_catalogue += len(by_paper[doi])
                continue
            notices = [(n.notice, n.reason, n.url) for n in by_paper[doi]]
            outcome = ingest.add_notices(doi, notices, source=SOURCE)
            if outcome == ingest.UPDATED:
                updated.append(doi)
            elif outcome is None:  # deleted meanwhile
                report.not_in_catalogue += len(by_paper[doi])
            else:
                report.unchanged += 1
        report.updated += len(updated)
        after = _retracted_by_doi(updated) if updated else {}
        report.retracted += sum(1 for doi in updated if after.get(doi) and not before[doi])
    return report


def _retracted_by_doi(dois):
    """{lower DOI: is_retracted} of the catalogue papers with these DOIs (one query)."""
    rows = Paper.objects.alias(doi_lower=Lower("doi")).filter(doi_lower__in=list(dois))
    return {doi.lower(): retracted for doi, retracted in rows.values_list("doi", "is_retracted")}
