"""Real recorded registry responses from tests/fixtures/, read and imported."""

import json
from pathlib import Path

from papers.crossref import parse_work
from papers.ingest import upsert_work

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def crossref_record(name):
    """The decoded recorded Crossref response tests/fixtures/crossref/``name``."""
    return json.loads((FIXTURES / "crossref" / name).read_text(encoding="utf-8"))


def import_record(name):
    """Upsert the recorded Crossref response ``name`` into the catalogue; returns its paper."""
    paper, _ = upsert_work(parse_work(crossref_record(name)))
    return paper
