"""Follow alerts in the email digest (recommendations.digests with library.follows): the
reasons are in it, the preference centre decides, and each paper is alerted once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import EmailKind, Profile
from library import follows
from library.models import Follow
from recommendations import digests
from recommendations.models import Digest, EmailedPaper
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    JournalFactory,
    PaperFactory,
    RecommendationFactory,
)

pytestmark = pytest.mark.django_db
WEEK = digests.period_key("weekly")


@pytest.fixture
def following(alice):
    """alice follows Ada Lovelace and saved the search "graph neural networks" a week ago;
    since then: a paper by Ada, and one matching the search."""
    ada = AuthorFactory(name="Ada Lovelace")
    follows.follow(user=alice, kind=Follow.Kind.AUTHOR, target=ada)
    follows.follow(user=alice, kind=Follow.Kind.SEARCH, query="q=graph+neural+networks")
    Follow.objects.update(alerted_until=timezone.now() - timedelta(days=7))
    by_ada = PaperFactory(title="Notes on the analytical engine")
    AuthorshipFactory(paper=by_ada, author=ada)
    searched = PaperFactory(title="Graph neural networks for molecules")
    return by_ada, searched


def bodies():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    return message, html


def test_the_digest_carries_new_papers_with_their_reasons(alice, following):
    assert digests.send(alice.pk, "weekly", WEEK) == "sent"

    message, html = bodies()
    assert message.subject.endswith("2 new papers from what you follow")
    for part in (message.body, html):
        assert "Notes on the analytical engine" in part
        assert "New paper by Ada Lovelace" in part
        assert "Graph neural networks for molecules" in part
        assert "New in your saved search “graph neural networks”" in part
        assert "/library/follows/" in part
    digest = Digest.objects.get(user=alice)
    assert EmailKind.FOLLOW_ALERTS in digest.kinds
    assert {item["paper"] for item in digest.items if item.get("alert")} == {
        p.pk for p in following
    }
    assert not EmailedPaper.objects.exists()  # alerts are not recommendations


def test_each_paper_is_alerted_once_and_a_second_run_sends_nothing(alice, following):
    assert digests.send(alice.pk, "weekly", WEEK) == "sent"
    assert digests.send(alice.pk, "weekly", WEEK) == "skipped"
    next_week = digests.period_key("weekly", timezone.now() + timedelta(days=7))

    assert digests.send(alice.pk, "weekly", next_week) == "empty"  # nothing new since

    journal_paper = PaperFactory(title="A newer engine")
    AuthorshipFactory(paper=journal_paper, author=following[0].authorships.get().author)
    mail.outbox.clear()
    assert digests.send(alice.pk, "weekly", next_week) == "sent"
    message, _ = bodies()
    assert "A newer engine" in message.body
    assert "Notes on the analytical engine" not in message.body


def test_follow_alerts_off_in_the_preference_centre_means_none(alice, following):
    Profile.objects.filter(user=alice).update(follow_alerts_frequency="off")

    assert digests.send(alice.pk, "weekly", WEEK) == "empty"
    assert mail.outbox == []
    # The watermark stays: switched back on, the alerts are still there.
    Profile.objects.filter(user=alice).update(follow_alerts_frequency="weekly")
    assert digests.send(alice.pk, "weekly", WEEK) == "sent"


def test_follow_alerts_come_at_their_own_frequency(alice, following):
    Profile.objects.filter(user=alice).update(
        follow_alerts_frequency="daily", recommendation_frequency="weekly"
    )
    RecommendationFactory(user=alice, paper=PaperFactory(title="A pick"))

    assert digests.send(alice.pk, "weekly", WEEK) == "sent"
    message, _ = bodies()
    assert "A pick" in message.body and "New paper by Ada Lovelace" not in message.body
    assert alice.pk in set(digests.users_due("daily", digests.period_key("daily")))


def test_a_reader_who_follows_nothing_is_not_due_for_alerts(alice, bob):
    follows.follow(user=bob, kind=Follow.Kind.JOURNAL, target=JournalFactory())
    Profile.objects.filter(user__in=[alice, bob]).update(
        recommendation_frequency="off",
        paper_activity_frequency="off",
        request_answers_frequency="off",
        claim_decisions_frequency="off",
    )

    assert set(digests.users_due("weekly", WEEK)) == {bob.pk}


def test_a_paper_both_recommended_and_alerted_comes_once(alice, following):
    by_ada, _ = following
    RecommendationFactory(user=alice, paper=by_ada)

    content = digests.collect(digests.user_for_digest(alice.pk), "weekly")

    assert [pick.paper_id for pick in content.picks] == [by_ada.pk]
    assert by_ada.pk not in [alert.paper_id for alert in content.alerts]
    assert digests.send(alice.pk, "weekly", WEEK) == "sent"


def test_unsubscribing_from_the_digest_stops_follow_alerts(alice, following):
    from accounts import unsubscribe

    assert digests.send(alice.pk, "weekly", WEEK) == "sent"
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    kinds = unsubscribe.read(link.rstrip("/").rsplit("/", 1)[1])[1]
    assert EmailKind.FOLLOW_ALERTS in kinds  # the digest's link stops follow alerts too
    unsubscribe.unsubscribe(alice.pk, kinds)
    alice.profile.refresh_from_db()
    assert alice.profile.follow_alerts_frequency == "off"
