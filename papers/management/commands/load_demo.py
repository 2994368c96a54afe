from pathlib import Path

from django.core.management.base import BaseCommand

from papers.management.commands.import_crossref import import_files

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = (
        "Load the bundled demo catalogue: real recorded Crossref records (papers/demo/), "
        "offline. Safe to run again: records already loaded are left unchanged."
    )

    def handle(self, *args, **options):
        files = sorted(DEMO_DIR.glob("*.json"))
        report = import_files(
            files, source="crossref", stderr=self.stderr, verbosity=options["verbosity"]
        )
        self.stdout.write(self.style.SUCCESS(f"Demo catalogue: {report.summary()}"))
        for where, reason in report.rejected:
            self.stdout.write(f"  skipped {Path(where).name}: {reason}")
