from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers import openalex
from papers.corpus import BATCH_SIZE, import_corpus
from papers.models import LinkSource


class Command(BaseCommand):
    help = (
        "Import OpenAlex works from JSON-lines files (optionally .gz), streaming: the format "
        "of the OpenAlex works snapshot, one work a line. Each work is upserted by its DOI; "
        "works without a DOI are rejected (the catalogue keys papers on DOIs), as are bad "
        "lines, each reported with its line number; the rest are imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="JSON-lines files")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"records per transaction (default {BATCH_SIZE})",
        )

    def handle(self, *args, files, batch_size, **options):
        run_import(
            self,
            files,
            openalex.parse_work,
            source=LinkSource.OPENALEX,
            batch_size=batch_size,
            verbosity=options["verbosity"],
        )


def run_import(command, files, parse, *, source, batch_size, verbosity=1):
    """What both corpus commands do: import with a progress bar, print the summary."""
    if batch_size < 1:
        raise CommandError("--batch-size must be at least 1.")

    def progress(items):
        return tqdm(
            items,
            desc="Importing",
            unit=" records",
            file=command.stderr,
            disable=verbosity == 0,
        )

    report = import_corpus(files, parse, source=source, batch_size=batch_size, progress=progress)
    command.stdout.write(report.summary())
    for where, reason in report.rejected:
        command.stdout.write(command.style.WARNING(f"rejected {where}: {reason}"))
    unlisted = len(report.rejected) - len(report.rejected.listed)
    if unlisted:
        command.stdout.write(f"... and {unlisted} more rejected lines, not listed.")
    if report.rejected and not (report.created or report.updated or report.unchanged):
        raise CommandError("No record could be imported.")
