"""accounts.claims: the rules of claiming, called directly."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from accounts import claims, emails
from accounts.emails import send_claim_decision
from accounts.models import Claim, ClaimDecision, ClaimDispute, Profile, SentEmail
from tests.conftest import authorship_of
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory

pytestmark = pytest.mark.django_db

ORCID = "0000-0002-1825-0097"


def prove_orcid(user, orcid=ORCID):
    Profile.objects.filter(user=user).update(orcid=orcid, orcid_proven=True)


def test_a_claim_waits_for_a_curator(alice, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    assert claim.status == Claim.Status.PENDING
    assert claim.paper == paper and claim.decided_at is None
    assert not claims.is_verified_author(alice, paper)


def test_a_proven_orcid_equal_to_the_authors_is_verified_at_once_and_recorded(alice, paper):
    authorship = authorship_of(paper, 1)
    authorship.author.orcid = ORCID
    authorship.author.save()
    prove_orcid(alice)

    claim = claims.claim_authorship(user=alice, authorship=authorship)

    assert claim.status == Claim.Status.VERIFIED and claim.decided_at
    decision = claim.decisions.get()
    assert decision.verdict == ClaimDecision.Verdict.VERIFIED_BY_ORCID
    assert decision.decided_by is None and "ORCID" in decision.reason
    assert claims.is_verified_author(alice, paper)


def test_a_typed_orcid_equal_to_the_authors_still_waits_for_a_curator(alice, paper):
    authorship = authorship_of(paper, 1)
    authorship.author.orcid = ORCID
    authorship.author.save()
    Profile.objects.filter(user=alice).update(orcid=ORCID, orcid_proven=False)

    claim = claims.claim_authorship(user=alice, authorship=authorship)

    assert claim.status == Claim.Status.PENDING


def test_a_proven_orcid_that_differs_from_the_authors_waits(alice, paper):
    authorship = authorship_of(paper, 1)
    authorship.author.orcid = "0000-0001-5109-3700"
    authorship.author.save()
    prove_orcid(alice)

    assert claims.claim_authorship(user=alice, authorship=authorship).status == "pending"


def test_claiming_the_same_authorship_again_returns_the_same_claim(alice, paper):
    first = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    again = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    assert again.pk == first.pk and Claim.objects.count() == 1


def test_a_second_user_is_told_the_authorship_is_taken(alice, bob, paper):
    theirs = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    with pytest.raises(claims.AuthorshipTaken) as taken:
        claims.claim_authorship(user=bob, authorship=authorship_of(paper, 1))

    assert taken.value.claim == theirs
    assert "already claimed" in str(taken.value) and "dispute" in str(taken.value)
    assert Claim.objects.count() == 1


def test_a_user_holds_one_authorship_per_paper(alice, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    with pytest.raises(claims.ClaimError, match="one authorship per paper"):
        claims.claim_authorship(user=alice, authorship=authorship_of(paper, 2))


def test_the_database_refuses_two_active_claims_on_one_authorship(alice, bob, paper):
    authorship = authorship_of(paper, 1)
    Claim.objects.create(user=alice, authorship=authorship, paper=paper)

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(user=bob, authorship=authorship, paper=paper)


def test_the_database_refuses_two_active_claims_by_one_user_on_one_paper(alice, paper):
    Claim.objects.create(user=alice, authorship=authorship_of(paper, 1), paper=paper)

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(user=alice, authorship=authorship_of(paper, 2), paper=paper)


def test_withdrawn_and_rejected_claims_do_not_block_a_new_claim(alice, bob, paper, curator):
    mine = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.withdraw_claim(mine, by=alice)
    bobs = claims.claim_authorship(user=bob, authorship=authorship_of(paper, 1))
    claims.reject_claim(bobs, by=curator, reason="Not him.")

    again = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    assert again.status == "pending" and Claim.objects.count() == 3


def test_only_the_claimant_withdraws(alice, bob, curator, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    for other in (bob, curator):
        with pytest.raises(PermissionDenied):
            claims.withdraw_claim(claim, by=other)
    claims.withdraw_claim(claim, by=alice)

    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN
    with pytest.raises(claims.ClaimError, match="no longer active"):
        claims.withdraw_claim(claim, by=alice)


def test_a_curator_approves_the_decision_is_recorded_and_the_user_emailed(
    alice, paper, curator, django_capture_on_commit_callbacks
):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    with django_capture_on_commit_callbacks() as after_commit:
        claims.approve_claim(claim, by=curator, reason="Same affiliation.")

    assert claim.status == Claim.Status.VERIFIED and claim.decided_at
    decision = claim.decisions.get()
    assert (decision.verdict, decision.decided_by, decision.reason) == (
        "approved",
        curator,
        "Same affiliation.",
    )
    assert claims.is_verified_author(alice, paper)
    assert list(claims.verified_papers(alice)) == [paper]
    assert list(claims.verified_author_users(paper)) == [alice]
    # The email is a task enqueued after commit (and author_verified is sent after commit,
    # for the requests that waited for an author); here the worker's part runs in-process.
    enqueued = [f for f in after_commit if f.__qualname__.startswith("PortalTask.")]
    assert len(enqueued) == 1 and len(after_commit) == 2 and not mail.outbox
    send_claim_decision.apply(args=(decision.pk,))
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"] and "approved" in message.subject
    assert paper.title in message.body and "Same affiliation." in message.body
    assert paper.title in message.alternatives[0][0]


def test_a_curator_rejects_with_a_reason_that_the_user_is_told(alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    with pytest.raises(claims.ClaimError, match="reason"):
        claims.reject_claim(claim, by=curator, reason="  ")

    claims.reject_claim(claim, by=curator, reason="The affiliation does not match.")
    send_claim_decision.apply(args=(claim.decisions.get().pk,))

    assert claim.status == Claim.Status.REJECTED
    (message,) = mail.outbox
    assert "not approved" in message.subject and "affiliation does not match" in message.body


def test_the_decision_email_goes_out_once_however_often_the_task_runs(alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator)
    decision = claim.decisions.get()

    for _ in range(3):
        send_claim_decision.apply(args=(decision.pk,))

    assert len(mail.outbox) == 1
    logged = SentEmail.objects.get(kind="claim_decision", key=str(decision.pk))
    assert (logged.recipient, logged.status, logged.attempts) == (alice, "sent", 1)
    assert logged.sent_at is not None


def test_a_failed_send_is_logged_and_the_retry_sends_it(alice, paper, curator, settings):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator)
    decision = claim.decisions.get()
    # A local port where no mail server listens: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    with pytest.raises(OSError):
        emails.send_claim_decision(decision.pk)

    logged = SentEmail.objects.get(kind="claim_decision", key=str(decision.pk))
    assert logged.status == "failed" and logged.sent_at is None
    assert logged.error.startswith("ConnectionRefusedError")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails.send_claim_decision(decision.pk) == 1
    assert len(mail.outbox) == 1
    logged.refresh_from_db()
    assert (logged.status, logged.attempts, logged.error) == ("sent", 2, "")


def test_an_orcid_verification_sends_no_email(alice, paper):
    authorship = authorship_of(paper, 1)
    authorship.author.orcid = ORCID
    authorship.author.save()
    prove_orcid(alice)
    claim = claims.claim_authorship(user=alice, authorship=authorship)

    assert emails.send_claim_decision(claim.decisions.get().pk) == 0
    assert not mail.outbox


def test_nobody_but_a_curator_decides(alice, bob, carol, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    for user in (alice, bob, carol):
        with pytest.raises(PermissionDenied):
            claims.approve_claim(claim, by=user)
        with pytest.raises(PermissionDenied):
            claims.reject_claim(claim, by=user, reason="no")
    claim.refresh_from_db()
    assert claim.status == "pending" and not ClaimDecision.objects.exists()


def test_an_approved_claim_cannot_be_approved_twice(alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.approve_claim(claim, by=curator)

    with pytest.raises(claims.ClaimError, match="verified"):
        claims.approve_claim(claim, by=curator)
    assert claim.decisions.count() == 1


def test_a_withdrawn_claim_cannot_be_approved(alice, paper, curator):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.withdraw_claim(claim, by=alice)

    with pytest.raises(claims.ClaimError):
        claims.approve_claim(claim, by=curator)
    claim.refresh_from_db()
    assert claim.status == "withdrawn"


def test_a_taken_authorship_can_be_disputed_and_curators_see_it(alice, bob, paper, curator):
    theirs = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    dispute = claims.dispute_claim(
        user=bob, authorship=authorship_of(paper, 1), reason="I am Alice Liddell."
    )
    again = claims.dispute_claim(user=bob, authorship=authorship_of(paper, 1), reason="Really.")

    assert again.pk == dispute.pk and again.reason == "Really."
    assert dispute.claim == theirs and dispute.resolved_at is None
    claims.reject_claim(theirs, by=curator, reason="Bob proved it.")
    dispute.refresh_from_db()
    assert dispute.resolved_at is not None


def test_one_cannot_dispute_ones_own_claim_or_an_unclaimed_author(alice, bob, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    with pytest.raises(claims.ClaimError, match="your own"):
        claims.dispute_claim(user=alice, authorship=authorship_of(paper, 1), reason="x")
    with pytest.raises(claims.ClaimError, match="Nobody claims"):
        claims.dispute_claim(user=bob, authorship=authorship_of(paper, 2), reason="x")
    with pytest.raises(claims.ClaimError, match="why"):
        claims.dispute_claim(user=bob, authorship=authorship_of(paper, 1), reason=" ")
    assert not ClaimDispute.objects.exists()


def test_an_authorship_removed_by_a_re_import_takes_its_claims_along(alice, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    authorship_of(paper, 1).delete()

    assert not Claim.objects.filter(pk=claim.pk).exists()


def test_verified_papers_lists_only_verified_claims(alice, curator):
    papers = [PaperFactory() for _ in range(3)]
    authorships = [AuthorshipFactory(paper=p, position=0, author=AuthorFactory()) for p in papers]
    verified = claims.claim_authorship(user=alice, authorship=authorships[0])
    claims.approve_claim(verified, by=curator)
    claims.claim_authorship(user=alice, authorship=authorships[1])  # pending

    assert list(claims.verified_papers(alice)) == [papers[0]]
    assert not claims.is_verified_author(alice, papers[1])


@pytest.mark.parametrize(
    ("a", "b", "at_least", "at_most"),
    [
        ("Ada Lovelace", "Ada Lovelace", 1.0, 1.0),
        ("Lovelace, Ada", "ada lovelace", 1.0, 1.0),
        ("José Müller", "Jose Muller", 1.0, 1.0),
        ("A. Lovelace", "Ada Lovelace", 1.0, 1.0),
        ("Ada King Lovelace", "Ada Lovelace", 0.75, 0.99),
        ("Ada Lovelace", "Charles Babbage", 0.0, 0.4),
        ("", "Ada Lovelace", 0.0, 0.0),
    ],
)
def test_name_similarity_scores_alike_names_high_and_others_low(a, b, at_least, at_most):
    assert at_least <= claims.name_similarity(a, b) <= at_most


def test_is_verified_author_is_false_for_anonymous_users(paper):
    from django.contrib.auth.models import AnonymousUser

    assert claims.is_verified_author(AnonymousUser(), paper) is False


def test_an_organisation_cannot_be_claimed(alice):
    consortium = AuthorshipFactory(
        position=0, author=AuthorFactory(name="The Tea Consortium", is_organization=True)
    )

    with pytest.raises(claims.ClaimError, match="organisation"):
        claims.claim_authorship(user=alice, authorship=consortium)
    assert not Claim.objects.exists()
