from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers.records import RecordError
from papers.retractions import import_notices, read_csv


class Command(BaseCommand):
    help = (
        "Mark the catalogue's papers with the notices of a Retraction Watch CSV file (the "
        "format Crossref publishes: originalpaperdoi, retractiondoi, retractiondate, "
        "retractionnature, reason, urls...). A retraction retracts the paper as a Crossref "
        "retraction notice does, with the notice's date, reasons and link; expressions of "
        "concern, corrections and reinstatements are added as notices. Notices about papers "
        "not in the catalogue are counted and skipped; bad rows are reported with their line "
        "numbers. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="the Retraction Watch CSV file")

    def handle(self, *args, file, **options):
        try:
            rows = read_csv(file)
            progress = tqdm(
                rows,
                desc="Reading notices",
                unit=" rows",
                file=self.stderr,
                disable=options["verbosity"] == 0,
            )
            report = import_notices(progress)
        except (OSError, UnicodeDecodeError, RecordError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        self.stdout.write(report.summary())
        for line, reason in report.rejected:
            self.stdout.write(self.style.WARNING(f"rejected line {line}: {reason}"))
