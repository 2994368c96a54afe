from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers import embeddings
from papers.models import Paper


class Command(BaseCommand):
    help = (
        "Encode the sentence embedding of every paper that has none yet (or, with --all, "
        "check every paper and encode those whose title or abstract changed), in this "
        f"process, {embeddings.CHUNK:,} papers at a time, with a progress bar on stderr. "
        "Needs the optional extra (requirements-embeddings.txt) and RELATED_EMBEDDINGS "
        "other than 'off'. The hourly task embed_missing_papers does the same on the "
        "workers. About 50 papers/s on two cores."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="check every paper, not only those without one"
        )
        parser.add_argument("--limit", type=int, help="at most this many papers")

    def handle(self, *args, **options):
        if not embeddings.enabled():
            raise CommandError(
                "Sentence embeddings are not enabled: install requirements-embeddings.txt "
                "and leave RELATED_EMBEDDINGS unset (or 'auto')."
            )
        if options["all"]:
            paper_ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
            paper_ids = paper_ids[: options["limit"]] if options["limit"] else paper_ids
        else:
            paper_ids = embeddings.papers_without_embedding(limit=options["limit"])
        encoded = 0
        with tqdm(
            total=len(paper_ids),
            desc="Encoding",
            unit=" papers",
            file=self.stderr,
            disable=options["verbosity"] == 0,
        ) as progress:
            for chunk in embeddings.chunks(paper_ids):
                encoded += embeddings.embed_papers(chunk)
                progress.update(len(chunk))
        self.stdout.write(f"{encoded} encoded, {len(paper_ids) - encoded} already up to date")
