from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    DEMO_READER_PASSWORD,
    DEMO_READER_USERNAME,
    ensure_demo_admin,
    ensure_demo_raters,
    ensure_demo_reader,
)


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo admin account, demo raters who rated the bundled arXiv "
        "papers (then the related lists are rebuilt with their co-ratings), and a demo "
        "reader (ratings, an interest, personal recommendations); print the credentials. "
        "DEBUG only."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create a demo admin with a known password: DEBUG is off."
            )
        _, created = ensure_demo_admin()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo admin: username '{DEMO_ADMIN_USERNAME}', "
                f"password '{DEMO_ADMIN_PASSWORD}' -> {settings.SITE_URL}/admin/"
            )
        )
        rated = ensure_demo_raters()
        self.stdout.write(f"Demo raters: ratings of {rated} papers written.")
        _, created = ensure_demo_reader()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo reader: username '{DEMO_READER_USERNAME}', "
                f"password '{DEMO_READER_PASSWORD}' -> {settings.SITE_URL}/me/recommendations/"
            )
        )
