"""manage.py load_demo: the bundled real records, loaded offline."""

import gzip
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from papers.management.commands.load_demo import ARXIV_BUNDLE, DEMO_DIR
from papers.models import Author, Journal, Paper, RecommendationRun

pytestmark = pytest.mark.django_db


def test_it_loads_every_bundled_record_and_is_safe_to_run_again():
    bundled = len(list((DEMO_DIR / "crossref").glob("*.json")))
    with gzip.open(ARXIV_BUNDLE, "rt", encoding="utf-8") as file:
        arxiv_bundled = sum(1 for _ in file)
    total = bundled + arxiv_bundled
    out = StringIO()

    call_command("load_demo", stdout=out, stderr=StringIO())
    call_command("load_demo", stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert lines[0] == f"Demo catalogue: {bundled} created, 0 updated, 0 unchanged, 0 rejected"
    assert lines[1] == (
        f"Demo arXiv papers: {arxiv_bundled} created, 0 updated, 0 unchanged, 0 rejected"
    )
    assert lines[2] == "Enriched from OpenAlex: 7 demo papers."
    assert lines[3] == f"Related papers: {total * 10} entries for {total} papers."
    assert lines[4] == f"Demo catalogue: 0 created, 0 updated, {bundled} unchanged, 0 rejected"
    assert lines[5] == (
        f"Demo arXiv papers: 0 created, 0 updated, {arxiv_bundled} unchanged, 0 rejected"
    )
    assert Paper.objects.count() == total
    # Each run builds the lists anew; the second replaced the first.
    assert RecommendationRun.objects.get().row_count == total * 10
    assert Journal.objects.exists() and Author.objects.exists()
    assert Paper.objects.filter(keywords__name="Hypocotyl").count() == 1


def test_the_bundled_arxiv_papers_are_a_few_thousand_from_related_categories():
    with gzip.open(ARXIV_BUNDLE, "rt", encoding="utf-8") as file:
        records = [json.loads(line) for line in file]

    assert 2000 <= len(records) <= 4000
    assert len({r["id"] for r in records}) == len(records)
    primary = Counter(r["categories"][0] for r in records)
    # Information retrieval, digital libraries and language, with their cross-lists.
    assert sum(primary[c] for c in ("cs.IR", "cs.DL", "cs.CL", "cs.AI", "cs.LG")) > 0.85 * len(
        records
    )
    assert all(
        {"cs.IR", "cs.DL"} & set(r["categories"]) or r["categories"][0] == "cs.CL" for r in records
    )


def test_the_demo_papers_carry_their_openalex_categories_keywords_and_open_access_links(client):
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())

    paper = Paper.objects.get(doi="10.7554/elife.01567")
    assert paper.enrichment_status == Paper.EnrichmentStatus.ENRICHED
    assert paper.open_access_url == "https://doi.org/10.7554/elife.01567"
    sources = dict(paper.category_links.values_list("category__name", "source"))
    assert sources["General Neuroscience"] == "crossref"
    assert sources["Plant Science"] == "openalex"
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "Free to read (open access)" in page
    assert ">Plant Science</a>" in page and ">Hypocotyl</a>" in page
