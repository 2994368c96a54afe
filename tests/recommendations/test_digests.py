"""Email digests (recommendations.digests): who gets one, what it holds, and that it goes once."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Claim, ClaimDecision, Profile, SentEmail
from recommendations import digests
from recommendations.models import Digest, Dismissal, EmailedPaper
from reviews.models import ResourceAnswer, ResourceRequest, Review
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    JournalFactory,
    PaperFactory,
    RecommendationFactory,
    UserFactory,
)

WEEK = digests.period_key("weekly")


def pick_for(user, title, *, rank, authors=("Ada Lovelace",), **paper_fields):
    paper = PaperFactory(
        title=title, journal=JournalFactory(title="Journal of Graphs"), **paper_fields
    )
    for position, name in enumerate(authors):
        AuthorshipFactory(paper=paper, position=position, author=AuthorFactory(name=name))
    return RecommendationFactory(user=user, paper=paper, rank=rank)


def set_frequencies(user, **frequencies):
    Profile.objects.filter(user=user).update(**frequencies)
    user.profile.refresh_from_db()


@pytest.fixture
def reader(db):
    """dana: a reader with two personal picks, weekly recommendation digest (the default)."""
    dana = UserFactory(username="dana", first_name="Dana", last_name="Scully")
    pick_for(
        dana,
        "Snarks and their colourings",
        rank=1,
        authors=("Ada Lovelace", "Alan Turing", "Emmy Noether", "Kurt Gödel"),
        published_year=2019,
        rating_average=4.25,
        rating_count=12,
    )
    pick_for(dana, "Paradoxes of the infinite", rank=2, published_year=2020)
    return dana


def only_message():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    message = mail.outbox[0]
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    return message, html


def test_a_reader_with_new_picks_gets_a_digest_with_text_and_html_parts(reader):
    assert digests.send(reader.pk, "weekly", WEEK) == "sent"

    message, html = only_message()
    assert message.to == ["dana@example.org"]
    assert message.subject == "[Research Portal] Your weekly digest: 2 recommended papers"
    paper = reader.recommendations.get(rank=1).paper
    paper_url = settings.SITE_URL + paper.get_absolute_url()
    for part in (message.body, html):
        assert "Snarks and their colourings" in part and "Paradoxes of the infinite" in part
        assert "Ada Lovelace, Alan Turing, Emmy Noether et al." in part
        assert "Journal of Graphs" in part and "2019" in part
        assert "4.2/5 from 12 ratings" in part  # one decimal, as on the paper page
        assert "Not enough ratings" in part  # the second paper has none
        assert "In your interest “Graph theory”" in part
        assert paper_url in part
        assert settings.SITE_URL + "/email/not-relevant/" in part
        assert settings.SITE_URL + "/email/unsubscribe/" in part
        assert "Manage email preferences" in part
    # Readable in mail clients: inline styles, nothing loaded from elsewhere.
    assert 'style="' in html and "<style" not in html
    assert "<script" not in html and "<img" not in html and "<link" not in html


def test_the_digest_carries_one_click_unsubscribe_headers(reader):
    digests.send(reader.pk, "weekly", WEEK)

    message, _ = only_message()
    url = message.extra_headers["List-Unsubscribe"]
    assert url.startswith(f"<{settings.SITE_URL}/email/unsubscribe/") and url.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url[1:-1] in message.body  # the visible link is the same one


def test_a_reader_with_nothing_new_gets_no_email_and_no_log_row(db):
    erin = UserFactory(username="erin")

    assert digests.send(erin.pk, "weekly", WEEK) == "empty"

    assert mail.outbox == [] and not Digest.objects.exists()


def test_who_is_due_follows_each_readers_chosen_frequency(reader):
    monthly = UserFactory(username="monthly")
    set_frequencies(monthly, recommendation_frequency="monthly", paper_activity_frequency="off")
    off = UserFactory(username="off")
    set_frequencies(off, recommendation_frequency="off", paper_activity_frequency="off")
    gone = UserFactory(username="gone", is_active=False)
    no_address = UserFactory(username="noaddress", email="")

    weekly_due = set(digests.users_due("weekly", WEEK))
    monthly_due = set(digests.users_due("monthly", digests.period_key("monthly")))

    assert reader.pk in weekly_due and reader.pk not in monthly_due
    assert monthly.pk in monthly_due and monthly.pk not in weekly_due
    assert off.pk not in weekly_due | monthly_due
    assert gone.pk not in weekly_due and no_address.pk not in weekly_due


def test_a_reader_who_turned_recommendations_off_gets_none(reader):
    set_frequencies(reader, recommendation_frequency="off")

    assert digests.send(reader.pk, "weekly", WEEK) == "empty"
    assert mail.outbox == []


def test_the_same_period_sent_twice_emails_once_and_is_no_longer_due(reader):
    assert digests.send(reader.pk, "weekly", WEEK) == "sent"
    assert digests.send(reader.pk, "weekly", WEEK) == "skipped"

    assert len(mail.outbox) == 1
    assert reader.pk not in set(digests.users_due("weekly", WEEK))


def test_the_send_log_records_the_digest_and_its_papers(reader):
    digests.send(reader.pk, "weekly", WEEK)

    digest = Digest.objects.get(user=reader)
    assert (digest.period, digest.period_key, digest.status) == ("weekly", WEEK, "sent")
    assert digest.attempts == 1 and digest.sent_at is not None and digest.error == ""
    picks = list(reader.recommendations.order_by("rank"))
    assert [item["paper"] for item in digest.items] == [p.paper_id for p in picks]
    assert set(digest.emailed_papers.values_list("paper_id", flat=True)) == {
        p.paper_id for p in picks
    }


def test_a_paper_is_never_recommended_by_email_twice(reader):
    digests.send(reader.pk, "weekly", WEEK)
    mail.outbox.clear()
    next_week = digests.period_key("weekly", timezone.now() + timedelta(days=7))

    # The same picks next week: nothing new, no email.
    assert digests.send(reader.pk, "weekly", next_week) == "empty"
    # One new pick: only it is sent.
    pick_for(reader, "A fresh paper on snarks", rank=3)
    assert digests.send(reader.pk, "weekly", next_week) == "sent"

    message, _ = only_message()
    assert "A fresh paper on snarks" in message.body
    assert "Paradoxes of the infinite" not in message.body
    assert EmailedPaper.objects.filter(user=reader).count() == 3


def test_dismissed_papers_are_left_out(reader):
    dismissed = reader.recommendations.get(rank=2).paper
    Dismissal.objects.create(user=reader, paper=dismissed)

    digests.send(reader.pk, "weekly", WEEK)

    message, _ = only_message()
    assert "Paradoxes of the infinite" not in message.body
    assert "1 recommended paper" in message.subject


def test_a_digest_holds_at_most_DIGEST_MAX_PAPERS_best_first(reader, settings):
    settings.DIGEST_MAX_PAPERS = 1

    digests.send(reader.pk, "weekly", WEEK)

    message, _ = only_message()
    assert "Snarks and their colourings" in message.body
    assert "Paradoxes of the infinite" not in message.body


def test_a_verified_author_hears_of_new_ratings_and_requests_on_their_papers(carol, paper, bob):
    set_frequencies(carol, paper_activity_frequency="weekly")
    Review.objects.create(paper=paper, user=bob, rating=4)
    ResourceRequest.objects.create(
        paper=paper, requester=bob, kind="code", message="Could you share the scripts?"
    )

    assert digests.send(carol.pk, "weekly", WEEK) == "sent"

    message, html = only_message()
    assert "activity on your papers" in message.subject
    for part in (message.body, html):
        assert "Tea parties considered harmful" in part
        assert "rated 4/5 by Bob Builder" in part
        assert "Could you share the scripts?" in part


def test_with_activity_at_once_the_ratings_ride_in_the_recommendation_digest(carol, paper, bob):
    # The default: requests were emailed as they were asked, ratings wait for the digest.
    Review.objects.create(paper=paper, user=bob, rating=5)
    ResourceRequest.objects.create(paper=paper, requester=bob, kind="data", message="Data?")

    digests.send(carol.pk, "weekly", WEEK)

    message, _ = only_message()
    assert "rated 5/5 by Bob Builder" in message.body
    assert "Data?" not in message.body


def test_ratings_from_before_the_last_digest_are_not_told_again(carol, paper, bob, alice):
    set_frequencies(carol, paper_activity_frequency="weekly")
    Review.objects.create(paper=paper, user=bob, rating=4)
    digests.send(carol.pk, "weekly", WEEK)
    mail.outbox.clear()
    Review.objects.create(paper=paper, user=alice, rating=2)
    next_week = digests.period_key("weekly", timezone.now() + timedelta(days=7))

    digests.send(carol.pk, "weekly", next_week)

    message, _ = only_message()
    assert "rated 2/5 by Alice Liddell" in message.body
    assert "Bob Builder" not in message.body


def test_answers_status_changes_and_claim_decisions_come_in_the_chosen_digest(
    alice, bob, paper, curator
):
    set_frequencies(
        alice,
        recommendation_frequency="off",
        request_answers_frequency="daily",
        claim_decisions_frequency="daily",
    )
    asked = ResourceRequest.objects.create(
        paper=paper, requester=alice, kind="data", message="The raw data, please."
    )
    ResourceAnswer.objects.create(request=asked, user=bob, text="Here it is.")
    ResourceRequest.objects.filter(pk=asked.pk).update(
        status="declined", declined_reason="Embargoed.", status_changed_at=timezone.now()
    )
    claim = Claim.objects.create(
        user=alice, authorship=paper.authorships.get(position=1), paper=paper
    )
    ClaimDecision.objects.create(
        claim=claim, verdict="rejected", decided_by=curator, reason="Not on the paper."
    )

    assert digests.send(alice.pk, "weekly", WEEK) == "empty"
    assert digests.send(alice.pk, "daily", digests.period_key("daily")) == "sent"

    message, html = only_message()
    assert message.subject == (
        "[Research Portal] Your daily digest: news on your resource requests, claim decisions"
    )
    for part in (message.body, html):
        assert "Bob Builder answered your request" in part and "Here it is." in part
        assert "declined" in part and "Embargoed." in part
        assert "was rejected: Not on the paper." in part


def test_titles_and_names_cannot_inject_markup_or_headers(db):
    eve = UserFactory(username="eve")
    pick_for(
        eve,
        '<script>alert("x")</script>Evil\r\nBcc: victim@example.org',
        rank=1,
        authors=("<b>Mallory</b>",),
    )
    Profile.objects.filter(user=eve).update(display_name="<i>Eve</i>\nBcc: x@example.org")

    digests.send(eve.pk, "weekly", WEEK)

    message, html = only_message()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>Mallory</b>" not in html and "&lt;b&gt;Mallory&lt;/b&gt;" in html
    assert "<i>Eve</i>" not in html
    raw = message.message().as_bytes().decode()
    headers = raw.split("\n\n", 1)[0]
    assert "Bcc:" not in headers and "victim@" not in headers
    assert "\n" not in message.subject


def test_collecting_a_digest_costs_the_same_queries_for_one_or_many_picks(
    reader, django_assert_num_queries
):
    user = digests.user_for_digest(reader.pk)
    # 1 earlier digests (the windows), 2 picks with paper and journal, 3 their authors,
    # 4 the papers the user is a verified author of (none: no ratings to look for), 5 their
    # follows (none: no new papers to look for).
    with django_assert_num_queries(5):
        few = digests.collect(user, "weekly")
    for rank in range(3, 8):
        pick_for(reader, f"Another paper {rank}", rank=rank, authors=("A", "B"))
    with django_assert_num_queries(5):
        many = digests.collect(user, "weekly")
    assert len(few.picks) == 2 and len(many.picks) == 5


def test_a_failed_send_is_recorded_and_a_retry_sends_the_same_papers(reader, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = ["dana@example.org"]

    with pytest.raises(digests.DigestFailed):
        digests.send(reader.pk, "weekly", WEEK)

    digest = Digest.objects.get(user=reader)
    assert digest.status == "failed" and digest.attempts == 1
    assert "SMTPRecipientsRefused" in digest.error
    # A new pick meanwhile does not change what the retry says.
    pick_for(reader, "Arrived after the first try", rank=3)
    settings.TEST_REFUSED_RECIPIENTS = []

    assert digests.send(reader.pk, "weekly", WEEK) == "sent"

    message, _ = only_message()
    assert "Snarks and their colourings" in message.body
    assert "Arrived after the first try" not in message.body
    digest.refresh_from_db()
    assert digest.status == "sent" and digest.attempts == 2 and digest.error == ""


def test_after_the_last_try_the_error_stays_and_nothing_more_is_sent(reader, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = ["dana@example.org"]
    settings.DIGEST_SEND_ATTEMPTS = 2
    for _ in range(2):
        with pytest.raises(digests.DigestFailed):
            digests.send(reader.pk, "weekly", WEEK)
    settings.TEST_REFUSED_RECIPIENTS = []

    assert digests.send(reader.pk, "weekly", WEEK) == "skipped"

    assert mail.outbox == []
    digest = Digest.objects.get(user=reader)
    assert digest.status == "failed" and digest.attempts == 2


def test_period_keys_name_the_day_iso_week_and_month():
    when = timezone.make_aware(timezone.datetime(2026, 1, 1, 12, 0))

    assert digests.period_key("daily", when) == "2026-01-01"
    assert digests.period_key("weekly", when) == "2026-W01"
    assert digests.period_key("monthly", when) == "2026-01"
    with pytest.raises(ValueError, match="unknown digest period"):
        digests.period_key("hourly", when)


def test_a_digest_left_sending_by_a_dead_worker_is_not_sent_again(reader):
    # The worker wrote the row and died before (or while) handing the email over: at most
    # once wins, the redelivered task sends nothing.
    now = timezone.now()
    claimed = SentEmail.objects.create(
        kind=SentEmail.Kind.DIGEST, key=f"weekly:{WEEK}", recipient=reader, status="sending"
    )
    Digest.objects.create(
        user=reader,
        period="weekly",
        period_key=WEEK,
        window_start=now,
        window_end=now,
        email=claimed,
    )

    assert digests.send(reader.pk, "weekly", WEEK) == "skipped"
    assert mail.outbox == []
