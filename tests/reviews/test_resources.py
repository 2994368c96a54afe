"""The rules of resource requests (reviews.resources) and their emails."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.claims import approve_claim
from accounts.models import Claim
from reviews import resources
from reviews.models import MeToo, ResourceAnswer, ResourceRequest
from reviews.resources import ResourceRefused
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ask(user, paper, message="Could you share the raw data?", kind="data"):
    return resources.ask(user=user, paper=paper, kind=kind, message=message)


# --- asking ---


@pytest.mark.parametrize(
    ("kind", "message", "error"),
    [
        ("data", "", "Say what you are asking for."),
        ("data", "   ", "Say what you are asking for."),
        ("gold", "Some gold", "Choose what kind of resource you are asking for."),
        ("code", "x" * 2001, "A request can be at most 2,000 characters; this one has 2,001."),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_written(alice, paper, kind, message, error):
    with pytest.raises(ResourceRefused, match=error):
        resources.ask(user=alice, paper=paper, kind=kind, message=message)
    assert not ResourceRequest.objects.exists()


def test_an_anonymous_reader_cannot_ask(paper):
    with pytest.raises(ResourceRefused, match="Log in") as refused:
        ask(AnonymousUser(), paper)
    assert refused.value.forbidden


def test_requests_are_rate_limited_per_user(alice, bob, paper, settings):
    settings.RESOURCE_REQUESTS_PER_HOUR = 2
    ask(alice, paper, kind="data")
    ask(alice, paper, kind="code")
    with pytest.raises(ResourceRefused, match="limit of 2 resource requests an hour"):
        ask(alice, paper, kind="protocol")
    assert ResourceRequest.objects.count() == 2
    ask(bob, paper)  # another reader has their own allowance


def test_the_database_refuses_a_fulfilled_request_without_a_link(alice, paper):
    asked = ask(alice, paper)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceRequest.objects.filter(pk=asked.pk).update(status="fulfilled")


def test_the_database_refuses_a_declined_request_without_a_reason(alice, paper):
    asked = ask(alice, paper)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResourceRequest.objects.filter(pk=asked.pk).update(status="declined")


# --- emails to authors ---


def test_the_verified_authors_are_emailed_of_a_new_request(
    alice, carol, paper, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        asked = ask(alice, paper, message="Please share the R scripts.", kind="code")

    assert [m.to for m in mail.outbox] == [[carol.email]]
    body = mail.outbox[0].body
    assert "Please share the R scripts." in body and "Alice Liddell" in body
    assert alice.email not in body
    asked.refresh_from_db()
    assert asked.authors_notified_at is not None


def test_a_request_waits_for_an_author_and_is_told_once_on_verification(
    alice, paper, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    with django_capture_on_commit_callbacks(execute=True):
        asked = ask(alice, paper, message="Is the protocol online?", kind="protocol")
    assert mail.outbox == []
    asked.refresh_from_db()
    assert asked.authors_notified_at is None

    carol = UserFactory(username="carol")
    claim = Claim.objects.create(
        user=carol, authorship=paper.authorships.get(), paper=paper, status=Claim.Status.PENDING
    )
    staff = UserFactory(username="staff", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_claim"))
    with django_capture_on_commit_callbacks(execute=True):
        approve_claim(claim, by=staff)

    told = [m for m in mail.outbox if m.to == [carol.email] and "resources" in m.subject]
    assert len(told) == 1
    assert "Is the protocol online?" in told[0].body
    asked.refresh_from_db()
    assert asked.authors_notified_at is not None

    # Told once: running the hook again (another worker, a retry) sends nothing more.
    assert resources.tell_new_author_of_waiting_requests(user_id=carol.pk, paper_id=paper.pk) == 0
    assert resources.tell_authors_of_request(asked.pk) == 0
    assert len([m for m in mail.outbox if "resources" in m.subject]) == 1


# --- answering ---


def test_a_verified_authors_answer_is_marked_author_and_the_asker_is_told(
    alice, bob, carol, paper, django_capture_on_commit_callbacks
):
    asked = ask(alice, paper)
    with django_capture_on_commit_callbacks(execute=True):
        by_author = resources.answer(
            user=carol, resource_request=asked, text="Here.", link="https://zenodo.org/x"
        )
        by_reader = resources.answer(user=bob, resource_request=asked, text="Try the supplement.")

    assert by_author.as_author and not by_reader.as_author
    assert [m.to for m in mail.outbox] == [[alice.email], [alice.email]]
    assert "(an author of the paper)" in mail.outbox[0].body
    assert "https://zenodo.org/x" in mail.outbox[0].body


def test_the_asker_answering_their_own_request_is_not_emailed(
    alice, paper, django_capture_on_commit_callbacks
):
    asked = ask(alice, paper)
    with django_capture_on_commit_callbacks(execute=True):
        resources.answer(user=alice, resource_request=asked, text="Found it myself.")
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("text", "link", "error"),
    [
        ("", "", "Write an answer or give a link."),
        ("", "javascript:alert(1)", "A link must be a web address starting with http"),
        ("", "ftp://example.org/data", "A link must be a web address starting with http"),
        ("", "data:text/html,<script>", "A link must be a web address starting with http"),
        ("x" * 5001, "", "An answer can be at most 5,000 characters; this one has 5,001."),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_is_written(alice, bob, paper, text, link, error):
    asked = ask(alice, paper)
    with pytest.raises(ResourceRefused, match=error):
        resources.answer(user=bob, resource_request=asked, text=text, link=link)
    assert not ResourceAnswer.objects.exists()


def test_answers_are_rate_limited_per_user(alice, bob, paper, settings):
    settings.RESOURCE_ANSWERS_PER_HOUR = 1
    asked = ask(alice, paper)
    resources.answer(user=bob, resource_request=asked, text="One")
    with pytest.raises(ResourceRefused, match="limit of 1 answers an hour"):
        resources.answer(user=bob, resource_request=asked, text="Two")
    assert ResourceAnswer.objects.count() == 1


def test_a_hidden_request_takes_no_answer(alice, bob, curator, paper):
    asked = resources.hide(ask(alice, paper), curator=curator, reason="spam")
    with pytest.raises(ResourceRefused, match="hidden by a curator"):
        resources.answer(user=bob, resource_request=asked, text="Hi")


def test_answer_text_is_sanitised(alice, bob, paper):
    asked = ask(alice, paper)
    reply = resources.answer(
        user=bob,
        resource_request=asked,
        text='<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">',
    )
    assert "<script" not in reply.text_html and "<img" not in reply.text_html
    assert 'href="javascript' not in reply.text_html
    assert "&lt;script&gt;" in reply.text_html  # shown as text


# --- me too ---


def test_me_too_is_once_per_reader_never_on_ones_own_and_only_while_open(alice, bob, carol, paper):
    asked = ask(alice, paper)
    with pytest.raises(ResourceRefused, match="This is your own request."):
        resources.me_too(user=alice, resource_request=asked)
    assert resources.me_too(user=bob, resource_request=asked) is True
    assert resources.me_too(user=bob, resource_request=asked) is False
    assert MeToo.objects.count() == 1

    resources.acknowledge(asked, by=carol)
    with pytest.raises(ResourceRefused, match="Only open requests take a “me too”."):
        resources.me_too(user=carol, resource_request=asked)
    assert MeToo.objects.count() == 1


# --- status ---


def test_a_verified_author_acknowledges_then_fulfils_with_a_link_and_the_asker_is_told(
    alice, carol, paper, django_capture_on_commit_callbacks
):
    asked = ask(alice, paper)
    with django_capture_on_commit_callbacks(execute=True):
        resources.acknowledge(asked, by=carol)
    with django_capture_on_commit_callbacks(execute=True):
        resources.fulfil(asked, by=carol, link="https://github.com/carol/tea")

    asked.refresh_from_db()
    assert asked.status == "fulfilled" and asked.fulfilled_url == "https://github.com/carol/tea"
    assert [m.subject for m in mail.outbox] == [
        "Your resource request is acknowledged",
        "Your resource request is fulfilled",
    ]
    assert "https://github.com/carol/tea" in mail.outbox[1].body


def test_declining_needs_a_reason_which_the_asker_is_told(
    alice, carol, paper, django_capture_on_commit_callbacks
):
    asked = ask(alice, paper)
    with pytest.raises(ResourceRefused, match="Say why the request is declined"):
        resources.decline(asked, by=carol, reason="  ")
    asked.refresh_from_db()
    assert asked.status == "open"

    with django_capture_on_commit_callbacks(execute=True):
        resources.decline(asked, by=carol, reason="The data are under embargo.")
    assert asked.status == "declined"
    assert "The data are under embargo." in mail.outbox[0].body


def test_the_asker_marks_their_request_fulfilled_but_not_acknowledged(alice, paper):
    asked = ask(alice, paper)
    with pytest.raises(ResourceRefused, match="Only a verified author") as refused:
        resources.acknowledge(asked, by=alice)
    assert refused.value.forbidden
    with pytest.raises(ResourceRefused, match="Give the link where the resource now is."):
        resources.fulfil(asked, by=alice, link="")
    resources.fulfil(asked, by=alice, link="http://example.org/data.csv")
    assert asked.status == "fulfilled"


def test_another_reader_cannot_change_the_status(alice, bob, paper):
    asked = ask(alice, paper)
    for change in (
        lambda: resources.acknowledge(asked, by=bob),
        lambda: resources.decline(asked, by=bob, reason="no"),
        lambda: resources.fulfil(asked, by=bob, link="https://example.org"),
    ):
        with pytest.raises(ResourceRefused) as refused:
            change()
        assert refused.value.forbidden
    asked.refresh_from_db()
    assert asked.status == "open"


def test_a_curator_may_change_the_status(alice, curator, paper):
    asked = ask(alice, paper)
    resources.decline(asked, by=curator, reason="Not a resource of this paper.")
    assert asked.status == "declined"


def test_a_closed_request_does_not_move_again(alice, carol, paper):
    asked = ask(alice, paper)
    resources.decline(asked, by=carol, reason="No.")
    with pytest.raises(ResourceRefused, match="This request is declined; not changed."):
        resources.fulfil(asked, by=carol, link="https://example.org")
    with pytest.raises(ResourceRefused, match="This request is declined; not changed."):
        resources.acknowledge(asked, by=carol)


# --- moderation and the profile ---


def test_only_curators_hide_and_restore(alice, bob, carol, curator, paper):
    asked = ask(alice, paper)
    for user in (alice, bob, carol):
        with pytest.raises(ResourceRefused, match="Only curators"):
            resources.hide(asked, curator=user, reason="spam")
    with pytest.raises(ResourceRefused, match="Say why it is hidden."):
        resources.hide(asked, curator=curator, reason="")
    resources.hide(asked, curator=curator, reason="spam")
    assert asked.is_hidden and asked.hidden_reason == "spam"
    resources.restore(asked, curator=curator)
    assert not asked.is_hidden


def test_answered_by_lists_a_researchers_visible_answers(alice, carol, curator, paper):
    asked = ask(alice, paper)
    shown = resources.answer(user=carol, resource_request=asked, text="Shown")
    hidden = resources.answer(user=carol, resource_request=asked, text="Hidden")
    resources.hide(hidden, curator=curator, reason="off topic")
    assert resources.answered_by(carol) == [shown]


def test_a_claim_verified_by_orcid_sign_in_tells_its_author_of_waiting_requests(
    alice, django_capture_on_commit_callbacks
):
    from accounts.claims import claim_authorship
    from accounts.models import Profile
    from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory

    orcid = "0000-0002-1825-0097"
    paper = PaperFactory()
    authorship = AuthorshipFactory(paper=paper, position=0, author=AuthorFactory(orcid=orcid))
    with django_capture_on_commit_callbacks(execute=True):
        ask(alice, paper, message="Where is the code?", kind="code")
    assert mail.outbox == []

    dora = UserFactory(username="dora")
    Profile.objects.filter(user=dora).update(orcid=orcid, orcid_proven=True)
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_authorship(user=dora, authorship=authorship)

    assert claim.status == Claim.Status.VERIFIED
    (told,) = mail.outbox
    assert told.to == [dora.email] and "Where is the code?" in told.body
