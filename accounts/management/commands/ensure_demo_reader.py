from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_READER_PASSWORD, DEMO_READER_USERNAME, ensure_demo_reader


class Command(BaseCommand):
    help = (
        "Create the demo reader (interests and personal picks from the demo catalogue, so "
        "that their email digest has something to say) and print the credentials. DEBUG only."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create a demo user with a known password: DEBUG is off."
            )
        user = ensure_demo_reader()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo reader: username '{DEMO_READER_USERNAME}', password "
                f"'{DEMO_READER_PASSWORD}', {user.recommendations.count()} personal picks; "
                f"their weekly digest goes to the worker's console."
            )
        )
