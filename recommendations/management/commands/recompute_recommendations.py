from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers import recommend
from recommendations import picks
from reviews.ratings import co_rated_pairs


class Command(BaseCommand):
    help = (
        "Recompute recommendations now, with the code of the nightly task: every paper's "
        "related-papers list (a new run, made current only when complete, with readers' "
        "co-ratings blended in), then every active user's personal picks. --papers or "
        "--users does one half only. Progress bars on stderr."
    )

    def add_arguments(self, parser):
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--papers", action="store_true", help="only the related-papers lists")
        only.add_argument("--users", action="store_true", help="only the users' personal picks")

    def handle(self, *args, **options):
        if not options["users"]:
            with tqdm(total=0, desc="Related papers", unit="paper", disable=None) as progress:
                run = recommend.rebuild_related(co_rated=co_rated_pairs(), progress=progress)
            self.stdout.write(
                f"Related papers: {run.row_count} entries for {run.paper_count} papers "
                f"(run {run.pk})."
            )
        if not options["papers"]:
            users = list(picks.users_to_refresh())
            total = 0
            for user_id in tqdm(users, desc="Personal picks", unit="user", disable=None):
                total += picks.refresh_picks(user_id)
            self.stdout.write(f"Personal picks: {total} for {len(users)} users.")
