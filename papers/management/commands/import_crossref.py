from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers.ingest import ImportReport, import_records, read_records


class Command(BaseCommand):
    help = (
        "Import Crossref works from JSON or JSONL files (optionally .gz): single /works/{doi} "
        "responses, bare messages, work-list envelopes with 'items', or one record per line. "
        "Records are upserted by DOI through the bulk path, --batch-size per transaction; bad "
        "records are reported with their reasons and skipped, the rest imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="JSON or JSONL files")
        parser.add_argument(
            "--source", default="crossref", help="provenance recorded for imported fields"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="records per transaction (a bad record is still rejected alone); default 500",
        )

    def handle(self, *args, files, source, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = import_files(
            files,
            source=source,
            stderr=self.stderr,
            verbosity=options["verbosity"],
            batch_size=batch_size,
        )
        self.stdout.write(report.summary())
        for where, reason in report.rejected:
            self.stdout.write(self.style.WARNING(f"rejected {where}: {reason}"))
        if report.rejected and not (report.created or report.updated or report.unchanged):
            raise CommandError("No record could be imported.")


def import_files(files, *, source, stderr, verbosity=1, batch_size=500):
    """Import every record of ``files`` with a progress bar (on stderr) per record."""
    report = ImportReport()

    def records():
        for path in files:
            yield from read_records(path)

    progress = tqdm(
        records(), desc="Importing", unit=" records", file=stderr, disable=verbosity == 0
    )
    import_records(progress, report=report, source=source, batch_size=batch_size)
    return report
