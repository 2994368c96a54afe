"""Claiming from the paper page: the confirmation page, withdraw, dispute, and how claims
show in the authors block (one extra query, whatever the number of authors)."""

import pytest
from django.urls import reverse

from accounts import claims
from accounts.models import Claim, ClaimDispute
from tests.conftest import authorship_of
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory
from tests.papers.test_paper_page import SIGNED_IN_QUERIES
from tests.papers.test_paper_page import UNCITED_PAGE_QUERIES as PAGE_QUERIES

pytestmark = pytest.mark.django_db


def confirm_url(authorship):
    return reverse("accounts:claim-confirm", args=[authorship.pk])


def test_the_confirmation_page_asks_before_claiming(client, alice, paper):
    client.force_login(alice)
    authorship = authorship_of(paper, 1)

    html = client.get(confirm_url(authorship)).content.decode()

    assert f"Claim Alice Liddell on “{paper.title}”?" in html
    assert "csrfmiddlewaretoken" in html
    assert not Claim.objects.exists()


def test_posting_the_confirmation_makes_a_pending_claim(client, alice, paper):
    client.force_login(alice)

    response = client.post(confirm_url(authorship_of(paper, 1)), follow=True)

    claim = Claim.objects.get()
    assert (claim.user, claim.authorship, claim.status) == (
        alice,
        authorship_of(paper, 1),
        "pending",
    )
    assert "Your claim is waiting for a curator." in response.content.decode()


def test_claiming_needs_a_log_in(client, paper):
    response = client.post(confirm_url(authorship_of(paper, 1)))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Claim.objects.exists()


def test_a_taken_authorship_sends_the_second_user_to_the_dispute_page(client, alice, bob, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(bob)

    page = client.get(confirm_url(authorship_of(paper, 1))).content.decode()
    response = client.post(confirm_url(authorship_of(paper, 1)), follow=True)

    assert "Alice Liddell is already claimed" in page
    assert response.redirect_chain[-1][0] == reverse(
        "accounts:claim-dispute", args=[authorship_of(paper, 1).pk]
    )
    assert "already claimed by another researcher" in response.content.decode()
    client.post(
        reverse("accounts:claim-dispute", args=[authorship_of(paper, 1).pk]),
        {"reason": "I am the real Alice Liddell, see my staff page."},
    )
    assert ClaimDispute.objects.get().user == bob


def test_the_owner_withdraws_from_the_paper_page(client, alice, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(alice)

    html = client.get(paper.get_absolute_url()).content.decode()
    assert reverse("accounts:claim-withdraw", args=[claim.pk]) in html
    client.post(reverse("accounts:claim-withdraw", args=[claim.pk]))

    claim.refresh_from_db()
    assert claim.status == "withdrawn"


def test_another_user_cannot_withdraw_a_claim(client, alice, bob, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(bob)

    response = client.post(reverse("accounts:claim-withdraw", args=[claim.pk]))

    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.status == "pending"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)"],
)
def test_withdrawing_never_redirects_off_site(client, alice, paper, next_url):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(alice)

    response = client.post(reverse("accounts:claim-withdraw", args=[claim.pk]), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()


def test_withdrawing_returns_to_the_page_the_form_names(client, alice, paper):
    claim = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(alice)

    response = client.post(
        reverse("accounts:claim-withdraw", args=[claim.pk]),
        {"next": reverse("accounts:profile-edit")},
    )

    assert response["Location"] == reverse("accounts:profile-edit")


def test_pending_and_verified_claims_show_differently(client, alice, bob, carol, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(bob)

    html = client.get(paper.get_absolute_url()).content.decode()

    profile = reverse("accounts:profile", args=[carol.pk])
    assert (
        f'<a class="badge verified-author" href="{profile}">verified author: Carol Carroll</a>'
        in html
    )
    assert html.count('class="badge claim-pending"') == 1
    # Bob may still claim the unclaimed author (himself), by clicking his name.
    assert f'href="{confirm_url(authorship_of(paper, 2))}"' in html
    assert f'href="{confirm_url(authorship_of(paper, 1))}"' not in html


def test_anonymous_readers_see_verified_authors_but_no_pending_claims(client, alice, carol, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    html = client.get(paper.get_absolute_url()).content.decode()

    assert "verified author: Carol Carroll" in html
    assert "claim pending" not in html
    assert "csrfmiddlewaretoken" not in html  # the anonymous page is cached and shared


def test_the_claimant_sees_their_own_claim_and_no_claim_links(client, alice, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(alice)

    html = client.get(paper.get_absolute_url()).content.decode()

    assert "You claim <strong>Alice Liddell</strong> on this paper" in html
    assert "waiting for a curator" in html
    assert "/claims/authorship/" not in html


def test_a_verified_author_is_offered_the_summary_and_keyword_pages(client, carol, paper):
    client.force_login(carol)

    html = client.get(paper.get_absolute_url()).content.decode()

    assert reverse("accounts:paper-summary", args=[paper.pk]) in html
    assert reverse("accounts:paper-keywords", args=[paper.pk]) in html


def paper_with_claims(n_authors):
    paper = PaperFactory()
    for position in range(n_authors):
        authorship = AuthorshipFactory(paper=paper, position=position, author=AuthorFactory())
        user = UserFactory(password=None)  # no hashing: these users never log in
        Claim.objects.create(
            user=user,
            authorship=authorship,
            paper=paper,
            status="verified" if position % 2 else "pending",
        )
    return paper


@pytest.mark.parametrize("n_authors", [1, 20])
def test_the_page_with_claims_runs_a_constant_number_of_queries(
    client, django_assert_num_queries, n_authors
):
    paper = paper_with_claims(n_authors)

    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(paper.get_absolute_url())

    assert response.content.decode().count("verified author:") == n_authors // 2


@pytest.mark.parametrize("n_authors", [1, 20])
def test_the_page_with_claims_for_a_logged_in_reader_adds_only_the_signed_in_queries(
    client, django_assert_num_queries, n_authors
):
    paper = paper_with_claims(n_authors)
    client.force_login(UserFactory(username="reader"))

    with django_assert_num_queries(PAGE_QUERIES + SIGNED_IN_QUERIES):
        response = client.get(paper.get_absolute_url())

    assert response.content.decode().count("claim pending") == n_authors - n_authors // 2
