import json
from pathlib import Path

from django.core.management.base import BaseCommand

from papers import openalex
from papers.ingest import apply_keywords
from papers.management.commands.import_crossref import import_files

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = (
        "Load the bundled demo catalogue offline: real recorded Crossref records "
        "(papers/demo/crossref/) and the keywords of real recorded OpenAlex works "
        "(papers/demo/openalex/). Safe to run again: loaded records are left unchanged."
    )

    def handle(self, *args, **options):
        files = sorted((DEMO_DIR / "crossref").glob("*.json"))
        report = import_files(
            files, source="crossref", stderr=self.stderr, verbosity=options["verbosity"]
        )
        self.stdout.write(self.style.SUCCESS(f"Demo catalogue: {report.summary()}"))
        for where, reason in report.rejected:
            self.stdout.write(f"  skipped {Path(where).name}: {reason}")

        tagged = 0
        for path in sorted((DEMO_DIR / "openalex").glob("*.json")):
            doi, keywords = openalex.parse_keywords(json.loads(path.read_text()))
            if apply_keywords(doi, keywords, source="openalex") is not None:
                tagged += 1
        self.stdout.write(f"Keywords from OpenAlex on {tagged} demo papers.")
