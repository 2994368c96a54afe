import json
from pathlib import Path

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers import arxiv, openalex
from papers.corpus import import_corpus
from papers.ingest import apply_enrichment
from papers.management.commands.import_crossref import import_files
from papers.recommend import rebuild_related

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
ARXIV_BUNDLE = DEMO_DIR / "arxiv" / "papers.jsonl.gz"


class Command(BaseCommand):
    help = (
        "Load the bundled demo catalogue offline: real recorded Crossref records "
        "(papers/demo/crossref/), enriched with real recorded OpenAlex works "
        "(papers/demo/openalex/: keywords, topics as categories, open-access links), and "
        "2,500 real arXiv papers on information retrieval, digital libraries and language "
        "(papers/demo/arxiv/). Safe to run again: loaded records are left unchanged. Then "
        "builds every paper's related-papers list."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        files = sorted((DEMO_DIR / "crossref").glob("*.json"))
        report = import_files(files, source="crossref", stderr=self.stderr, verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS(f"Demo catalogue: {report.summary()}"))
        for where, reason in report.rejected:
            self.stdout.write(f"  skipped {Path(where).name}: {reason}")

        def progress(items):
            return tqdm(
                items, desc="arXiv papers", unit=" papers", file=self.stderr, disable=not verbosity
            )

        # The same path as `import_arxiv`, fed from the bundled file.
        report = import_corpus(
            [ARXIV_BUNDLE], arxiv.parse_record, source=arxiv.SOURCE, progress=progress
        )
        self.stdout.write(self.style.SUCCESS(f"Demo arXiv papers: {report.summary()}"))
        for where, reason in report.rejected:
            self.stdout.write(f"  skipped {Path(where).name}: {reason}")

        # The same store as the background enrichment, fed from files instead of the API.
        enriched = 0
        for path in sorted((DEMO_DIR / "openalex").glob("*.json")):
            enrichment = openalex.parse_enrichment(json.loads(path.read_text()))
            if apply_enrichment(enrichment) is not None:
                enriched += 1
        self.stdout.write(f"Enriched from OpenAlex: {enriched} demo papers.")

        # Filled now, offline, so that the first page shown has its "Recommended" block.
        run = rebuild_related()
        self.stdout.write(f"Related papers: {run.row_count} entries for {run.paper_count} papers.")
