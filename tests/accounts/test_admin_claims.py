"""The curators' claims queue in the admin: the claimant and the authorship side by side,
bulk approve / reject behind a reason page, emails, and the recorded decisions."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import claims
from accounts.emails import send_claim_decision
from accounts.models import Claim, ClaimDecision, Profile
from tests.conftest import authorship_of
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_claim_changelist")


@pytest.fixture
def pending(alice, bob, paper):
    Profile.objects.filter(user=alice).update(affiliation="Oxford", orcid="0000-0002-1825-0097")
    return [
        claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1)),
        claims.claim_authorship(user=bob, authorship=authorship_of(paper, 2)),
    ]


def test_the_queue_shows_claimant_and_authorship_side_by_side(client, curator, pending):
    client.force_login(curator)

    html = client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()

    assert "Alice Liddell [alice] (Oxford)" in html
    assert "0000-0002-1825-0097 (typed, not proven)" in html
    assert "example.org" in html  # the email domain
    assert "alice@example.org" not in html  # not the whole address
    assert "University of Liddell" in html
    assert "100%" in html  # name similarity of Alice Liddell and Alice Liddell


@pytest.mark.parametrize("n_claims", [1, 15])
def test_the_queue_runs_a_constant_number_of_queries(
    client, curator, django_assert_num_queries, n_claims
):
    client.force_login(curator)
    for _ in range(n_claims):
        paper = PaperFactory()
        authorship = AuthorshipFactory(paper=paper, position=0, author=AuthorFactory())
        claims.claim_authorship(user=UserFactory(password=None), authorship=authorship)

    # session, user, the curator's permissions (user and group), the filtered count, the
    # full count, the rows with user, profile, authorship, author and paper joined.
    with django_assert_num_queries(7):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-similarity"') == n_claims


def test_approve_asks_for_a_reason_then_approves_all_and_emails_each(
    client, curator, pending, django_capture_on_commit_callbacks
):
    client.force_login(curator)
    selected = {"action": "approve_claims", "_selected_action": [c.pk for c in pending]}

    page = client.post(CHANGELIST, selected)
    assert page.status_code == 200 and "Approve 2 claims" in page.content.decode()
    assert not ClaimDecision.objects.exists()

    with django_capture_on_commit_callbacks() as after_commit:
        response = client.post(CHANGELIST, {**selected, "apply": "1", "reason": "Checked."})

    assert response.status_code == 302
    assert set(Claim.objects.values_list("status", flat=True)) == {"verified"}
    decisions = ClaimDecision.objects.all()
    assert {(d.verdict, d.decided_by_id, d.reason) for d in decisions} == {
        ("approved", curator.pk, "Checked.")
    }
    # Per decision, after commit: its email task enqueued, and author_verified sent (for the
    # requests that waited for an author). The tasks run here as a worker would.
    enqueued = [f for f in after_commit if f.__qualname__.startswith("PortalTask.")]
    assert len(enqueued) == 2 and len(after_commit) == 4
    for decision in decisions:
        send_claim_decision.apply(args=(decision.pk,))
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]


def test_reject_requires_a_reason(client, curator, pending):
    client.force_login(curator)
    selected = {"action": "reject_claims", "_selected_action": [pending[0].pk], "apply": "1"}

    page = client.post(CHANGELIST, {**selected, "reason": ""})

    assert "This field is required." in page.content.decode()
    pending[0].refresh_from_db()
    assert pending[0].status == "pending"
    client.post(CHANGELIST, {**selected, "reason": "Different person."})
    pending[0].refresh_from_db()
    assert pending[0].status == "rejected"
    assert pending[0].decisions.get().reason == "Different person."


def test_a_claim_already_decided_is_reported_not_changed(client, curator, pending):
    claims.withdraw_claim(pending[0], by=pending[0].user)
    client.force_login(curator)

    response = client.post(
        CHANGELIST,
        {"action": "approve_claims", "_selected_action": [pending[0].pk], "apply": "1"},
        follow=True,
    )

    assert "withdrawn; not changed" in response.content.decode()
    pending[0].refresh_from_db()
    assert pending[0].status == "withdrawn"


def test_staff_without_the_claim_permission_cannot_decide(client, pending):
    staff = UserFactory(username="staff", is_staff=True)
    client.force_login(staff)

    response = client.post(
        CHANGELIST,
        {"action": "approve_claims", "_selected_action": [pending[0].pk], "apply": "1"},
    )

    assert response.status_code == 403
    pending[0].refresh_from_db()
    assert pending[0].status == "pending"


def test_curators_see_disputes(client, curator, pending, bob, paper):
    claims.dispute_claim(user=bob, authorship=authorship_of(paper, 1), reason="That is me.")
    client.force_login(curator)

    disputes = client.get(reverse("admin:accounts_claimdispute_changelist")).content.decode()
    claim_page = client.get(
        reverse("admin:accounts_claim_change", args=[pending[0].pk])
    ).content.decode()

    assert "That is me." in disputes and "bob" in disputes
    assert "That is me." in claim_page
