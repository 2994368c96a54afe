"""manage.py load_demo: the bundled real records, loaded offline."""

from io import StringIO

import pytest
from django.core.management import call_command

from papers.management.commands.load_demo import DEMO_DIR
from papers.models import Author, Journal, Paper

pytestmark = pytest.mark.django_db


def test_it_loads_every_bundled_record_and_is_safe_to_run_again():
    bundled = len(list(DEMO_DIR.glob("*.json")))
    out = StringIO()

    call_command("load_demo", stdout=out, stderr=StringIO())
    call_command("load_demo", stdout=out, stderr=StringIO())

    first, second = out.getvalue().splitlines()
    assert first == f"Demo catalogue: {bundled} created, 0 updated, 0 unchanged, 0 rejected"
    assert second == f"Demo catalogue: 0 created, 0 updated, {bundled} unchanged, 0 rejected"
    assert Paper.objects.count() == bundled
    assert Journal.objects.exists() and Author.objects.exists()
