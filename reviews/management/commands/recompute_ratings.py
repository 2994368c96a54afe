from django.core.management.base import BaseCommand
from tqdm import tqdm

from reviews import ratings
from reviews.models import RatingSummary


class Command(BaseCommand):
    help = (
        "Rebuild every paper's rating summary (count, average, distribution, secondary "
        "averages) from its visible reviews, one paper per transaction, then every rated "
        "paper's Bayesian score against the catalogue mean. Papers that have reviews, a "
        "summary or rating columns are visited; safe to run while readers rate. Prints a "
        "progress bar on stderr and how many summaries changed."
    )

    def handle(self, *args, **options):
        paper_ids = ratings.papers_with_ratings()
        before = {s.paper_id: _fields(s) for s in RatingSummary.objects.all()}
        progress = tqdm(total=len(paper_ids), desc="Ratings", unit="paper", disable=None)
        ratings.recompute_all(paper_ids, progress=lambda _: progress.update())
        progress.close()
        after = {s.paper_id: _fields(s) for s in RatingSummary.objects.all()}
        changed = sum(1 for paper_id in paper_ids if before.get(paper_id) != after.get(paper_id))
        self.stdout.write(f"{len(paper_ids)} papers rebuilt, {changed} summaries changed.")


def _fields(summary):
    return tuple(ratings.fresh_aggregate_fields(summary))
