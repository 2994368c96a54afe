"""Whole corpora as JSON lines (arXiv's metadata snapshot, OpenAlex's works snapshot) into
the catalogue, streaming.

``read_json_lines`` reads a file (optionally .gz) one line at a time and yields each parsed
line with where it was, or the reason it is not JSON; ``parsed_works`` turns those into the
(where, Work | Exception) items that ``papers.ingest.import_works`` takes. Nothing holds
more than one line and one batch at a time, so a 10 GB file imports in constant memory.
"""

import gzip
import json
from pathlib import Path

from papers.ingest import ImportReport, import_works
from papers.records import RecordError

# Rejected lines listed one by one in a report; beyond this they are only counted, so that a
# snapshot with millions of unusable lines (OpenAlex's works without a DOI) stays in memory.
LISTED_REJECTIONS = 1000


class CorpusError(RecordError):
    """A line or a file that cannot be read; the message says why."""


def read_json_lines(path):
    """Yield (where, value_or_error) for each non-blank line of a JSON-lines file.

    ``where`` is "path:line". A line that is not JSON yields a CorpusError in its place; a
    file that cannot be opened or decoded yields one CorpusError at "path" (or at the line
    where decoding failed) and stops. Errors are yielded, never raised, so one bad line never
    stops the rest. A ``.gz`` file is decompressed on the fly.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    number = 0
    try:
        with opener(path, "rt", encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as error:
                    value = CorpusError(f"not JSON: {error}")
                yield f"{path}:{number}", value
    except (OSError, EOFError, UnicodeDecodeError) as error:
        where = f"{path}:{number + 1}" if number else str(path)
        yield where, CorpusError(f"cannot read file: {error}")


def parsed_works(paths, parse):
    """(where, Work | Exception) for every line of ``paths``, parsed by ``parse``.

    ``parse`` turns one JSON value into a ``records.Work`` or raises a ``RecordError`` (or a
    ValueError) saying why not; that error is yielded as the item, to be rejected.
    """
    for path in paths:
        for where, value in read_json_lines(path):
            if not isinstance(value, Exception):
                try:
                    value = parse(value)
                except (RecordError, ValueError) as error:
                    value = error
            yield where, value


class Rejections:
    """A report's rejected lines: every one counted, the first ``limit`` kept with reasons.

    Stands in for ``ImportReport.rejected``'s list (append, extend, +=, len, iteration).
    """

    def __init__(self, limit=LISTED_REJECTIONS):
        self.limit, self.count, self.listed = limit, 0, []

    def append(self, rejection):
        self.count += 1
        if len(self.listed) < self.limit:
            self.listed.append(rejection)

    def extend(self, rejections):
        for rejection in rejections:
            self.append(rejection)

    def __iadd__(self, rejections):
        self.extend(rejections)
        return self

    def __len__(self):
        return self.count

    def __iter__(self):
        return iter(self.listed)


def import_corpus(paths, parse, *, source, batch_size=500, progress=iter):
    """Import every line of ``paths`` (JSON lines, optionally .gz) through ``import_works``.

    ``parse`` turns one JSON value into a ``records.Work`` (see ``parsed_works``); ``source``
    is the provenance stamped on what is written; ``progress`` wraps the stream of items (a
    progress bar). Returns the ``ImportReport``: created / updated / unchanged counts and the
    rejected lines with their reasons (all counted, the first LISTED_REJECTIONS listed).
    """
    report = ImportReport()
    report.rejected = Rejections()
    items = progress(parsed_works(paths, parse))
    return import_works(items, report=report, source=source, batch_size=batch_size)
