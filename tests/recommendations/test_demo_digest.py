"""`make run`'s demo: the demo reader's weekly digest, from the demo catalogue."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from recommendations import digests
from recommendations.models import Recommendation


@pytest.mark.django_db
def test_the_demo_reader_gets_a_weekly_digest_of_their_picks(settings):
    settings.DEBUG = True
    call_command("load_demo", verbosity=0, stdout=StringIO(), stderr=StringIO())
    call_command("ensure_demo_admin", stdout=StringIO())
    picks = list(Recommendation.objects.filter(user__username="reader").order_by("rank"))
    reader = picks[0].user

    # What the worker runs for the task `make run` queues (recommendations.digests.send_digests).
    assert digests.send(reader.pk, "weekly", digests.period_key("weekly")) == "sent"

    message = mail.outbox[0]
    assert message.to == ["reader@example.org"]
    shown = picks[: settings.DIGEST_MAX_PAPERS]
    assert f"{len(shown)} recommended papers" in message.subject
    for pick in shown:
        assert pick.paper.title in message.body
