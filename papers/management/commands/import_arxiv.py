from django.core.management.base import BaseCommand

from papers import arxiv
from papers.corpus import BATCH_SIZE
from papers.management.commands.import_openalex import run_import


class Command(BaseCommand):
    help = (
        "Import arXiv metadata from JSON-lines files (optionally .gz), streaming: lines of "
        "arXiv's public metadata snapshot (arxiv-metadata-oai-snapshot.json) and lines of "
        "an arXiv listing crawl, told apart line by line. Each paper is stored under its "
        "arXiv DOI 10.48550/arXiv.<id> and upserted by it; bad lines are reported with "
        "their line numbers and skipped, the rest imported."
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
            arxiv.parse_record,
            source=arxiv.SOURCE,
            batch_size=batch_size,
            verbosity=options["verbosity"],
        )
