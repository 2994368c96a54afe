"""Send the email digests of a period by hand: the same code beat's workers run."""

import time
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from recommendations import digests


class Command(BaseCommand):
    help = (
        "Send each user due their digest for the current day, week or month (at most once "
        "per period: users already sent are skipped). A failed send is tried again, then "
        "recorded with its error; the run goes on. Ends with a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", choices=digests.PERIODS, default="weekly", help="default: weekly"
        )
        parser.add_argument("--user", metavar="EMAIL", help="only this user (by email address)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="collect and render, print who would get what; send and record nothing",
        )
        parser.add_argument(
            "--retry-pause",
            type=float,
            default=5.0,
            metavar="SECONDS",
            help="pause before trying a failed send again (default 5)",
        )

    def handle(self, *args, period, user, dry_run, retry_pause, **options):
        key = digests.period_key(period)
        if user:
            found = get_user_model().objects.filter(email__iexact=user).values_list("pk", flat=True)
            user_ids = list(found)
            if not user_ids:
                raise CommandError(f"No user has the email address {user!r}.")
        else:
            user_ids = list(digests.users_due(period, key))
        outcomes = Counter()
        for user_id in tqdm(user_ids, desc=f"{period} digests {key}", unit="user", disable=None):
            if dry_run:
                outcomes[self._dry_run(user_id, period)] += 1
            else:
                outcomes[self._send(user_id, period, key, retry_pause)] += 1
        verb = "would send" if dry_run else "sent"
        self.stdout.write(
            f"{period} digests {key}: {verb} {outcomes['sent']}, nothing new "
            f"{outcomes['empty']}, already sent or skipped {outcomes['skipped']}, "
            f"failed {outcomes['failed']} (of {len(user_ids)} users)"
        )

    def _dry_run(self, user_id, period):
        user = digests.user_for_digest(user_id)
        if user is None:
            return "skipped"
        # Collecting only reads; the rollback makes sure nothing at all is written.
        with transaction.atomic():
            content = digests.collect(user, period)
            if content.is_empty:
                return "empty"
            message = digests.message_for(content)
            transaction.set_rollback(True)
        # Through tqdm, so the line does not tear the progress bar (which is on stderr).
        tqdm.write(f"{user.email}: {message.subject}", file=self.stdout._out)
        return "sent"

    def _send(self, user_id, period, key, retry_pause):
        from django.conf import settings

        for attempt in range(1, settings.DIGEST_SEND_ATTEMPTS + 1):
            try:
                return digests.send(user_id, period, key)
            except digests.DigestFailed as error:
                tqdm.write(self.style.WARNING(f"try {attempt}: {error}"), file=self.stderr._out)
                if attempt < settings.DIGEST_SEND_ATTEMPTS:
                    time.sleep(retry_pause)
        return "failed"
