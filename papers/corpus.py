"""Whole corpora as JSON lines (arXiv's metadata snapshot, OpenAlex's works snapshot) into
the catalogue, streaming.

``read_lines`` reads a file (optionally .gz) one line at a time and yields each line with
where it was; ``parsed_works`` turns those into the (where, Work | Exception) items that
``papers.ingest.import_works`` takes, parsing (JSON, then the format's ``parse``) in a
second process while this one stores the previous batch. Nothing holds more than a few
chunks of lines and one batch at a time, so a 10 GB file imports in constant memory.
"""

import collections
import gzip
import itertools
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from papers.ingest import ImportReport, import_works
from papers.records import RecordError
from papers.rows import commits_not_waited_for

# Rejected lines listed one by one in a report; beyond this they are only counted, so that a
# snapshot with millions of unusable lines (OpenAlex's works without a DOI) stays in memory.
LISTED_REJECTIONS = 1000

# Lines a task of the parsing process parses, and tasks in flight at once: enough to keep
# it busy while the batch before is stored, few enough to hold little in memory.
PARSE_CHUNK = 500
PARSE_AHEAD = 4

# Records a batch (one transaction) of a corpus import stores. Each batch reads the stored
# authors of its names and folds them: the larger the batch, the fewer times the same
# common names are read. The arXiv corpus (74,727 papers, bench/ingest.py, 2026-12-07):
# 139 s in batches of 500, 112 s in batches of 2,000.
BATCH_SIZE = 2000


class CorpusError(RecordError):
    """A line or a file that cannot be read; the message says why."""


def read_lines(path):
    """Yield (where, line) for each non-blank line of a file, or (where, CorpusError).

    ``where`` is "path:line". A file that cannot be opened or decoded yields one CorpusError
    at "path" (or at the line where decoding failed) and stops: errors are yielded, never
    raised. A ``.gz`` file is decompressed on the fly.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    number = 0
    try:
        with opener(path, "rt", encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                if line.strip():
                    yield f"{path}:{number}", line
    except (OSError, EOFError, UnicodeDecodeError) as error:
        where = f"{path}:{number + 1}" if number else str(path)
        yield where, CorpusError(f"cannot read file: {error}")


def parse_lines(lines, parse):
    """[(where, Work | Exception)] for (where, line | CorpusError) pairs: each line read as
    JSON, then by ``parse``, which turns one JSON value into a ``records.Work`` or raises a
    ``RecordError`` (or a ValueError) saying why not; that error is the item, to be
    rejected, so that one bad line never stops the rest."""
    items = []
    for where, line in lines:
        if isinstance(line, Exception):
            items.append((where, line))
            continue
        try:
            value = parse(json.loads(line))
        except json.JSONDecodeError as error:
            value = CorpusError(f"not JSON: {error}")
        except (RecordError, ValueError) as error:
            value = error
        items.append((where, value))
    return items


def parsed_works(paths, parse, *, chunk=PARSE_CHUNK):
    """(where, Work | Exception) for every line of ``paths``, parsed by ``parse``
    (``parse_lines``), in order.

    Up to ``chunk`` lines are parsed here. A longer input is parsed in one more process
    (forked, so that it has this one's modules; it touches no database), ``chunk`` lines a
    task and PARSE_AHEAD tasks ahead, while this process stores what was parsed before:
    parsing was a quarter of an arXiv import's time (bench/ingest.py), which now takes the
    other core. ``parse`` must be a module-level function (it is sent by name).
    """
    lines = itertools.chain.from_iterable(read_lines(path) for path in paths)
    first = list(itertools.islice(lines, chunk))
    if len(first) < chunk:
        yield from parse_lines(first, parse)
        return
    chunks = itertools.chain([first], iter(lambda: list(itertools.islice(lines, chunk)), []))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        pending = collections.deque()
        for lines_of_chunk in chunks:
            pending.append(pool.submit(parse_lines, lines_of_chunk, parse))
            if len(pending) >= PARSE_AHEAD:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


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


def import_corpus(paths, parse, *, source, batch_size=BATCH_SIZE, progress=iter):
    """Import every line of ``paths`` (JSON lines, optionally .gz) through ``import_works``.

    ``parse`` turns one JSON value into a ``records.Work`` (see ``parsed_works``); ``source``
    is the provenance stamped on what is written; ``progress`` wraps the stream of items (a
    progress bar). Returns the ``ImportReport``: created / updated / unchanged counts and the
    rejected lines with their reasons (all counted, the first LISTED_REJECTIONS listed).
    Batches commit without waiting for the disk (``rows.commits_not_waited_for``).
    """
    report = ImportReport()
    report.rejected = Rejections()
    items = progress(parsed_works(paths, parse))
    with commits_not_waited_for():
        return import_works(items, report=report, source=source, batch_size=batch_size)
