"""The demo reader of `make run`: picks from the demo catalogue, and a real digest."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts import digests
from accounts.demo import DEMO_READER_PASSWORD
from accounts.models import Recommendation


@pytest.fixture
def demo_catalogue(db):
    call_command("load_demo", verbosity=0, stdout=StringIO(), stderr=StringIO())


def test_the_demo_reader_gets_picks_and_a_weekly_digest(demo_catalogue, settings, capsys):
    settings.DEBUG = True

    call_command("ensure_demo_reader")

    assert DEMO_READER_PASSWORD in capsys.readouterr().out
    picks = list(Recommendation.objects.filter(user__username="reader").order_by("rank"))
    assert len(picks) == 5 and picks[0].reason == "interest"
    reader = picks[0].user
    assert reader.check_password(DEMO_READER_PASSWORD)
    assert digests.send_digest(reader.pk, "weekly", digests.period_key("weekly")) == "sent"
    assert mail.outbox[0].to == ["reader@example.org"]
    assert picks[0].paper.title in mail.outbox[0].body


def test_running_it_again_keeps_the_reader_and_their_picks(demo_catalogue, settings):
    settings.DEBUG = True
    call_command("ensure_demo_reader")
    first = set(Recommendation.objects.values_list("pk", flat=True))

    call_command("ensure_demo_reader")

    assert set(Recommendation.objects.values_list("pk", flat=True)) == first


@pytest.mark.django_db
def test_it_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("ensure_demo_reader")
