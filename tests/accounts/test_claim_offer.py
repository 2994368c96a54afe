"""After a claim: the same author's other papers, and namesakes', offered to claim at once
(accounts.claims.other_papers_to_claim, the "Are these papers yours too?" page)."""

import pytest
from django.urls import reverse

from accounts import claims
from accounts.models import Claim
from tests.conftest import authorship_of
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_other_papers(paper):
    """Alice Liddell's record on ``paper`` also sits on an older paper; a namesake record
    (no ORCID, so kept apart) on a newer one; another Alice and an organisation elsewhere."""
    alice_author = authorship_of(paper, 1).author
    older = PaperFactory(title="Croquet with flamingos", published_year=2001)
    same = AuthorshipFactory(paper=older, author=alice_author, position=0)
    newer = PaperFactory(title="Looking-glass insects", published_year=2020)
    namesake = AuthorshipFactory(
        paper=newer,
        author=AuthorFactory(given_name="Alice", family_name="Liddell", name="ALICE LIDDELL"),
        position=2,
    )
    AuthorshipFactory(
        paper=PaperFactory(),
        author=AuthorFactory(given_name="Alice", family_name="Hargreaves", name="Alice Hargreaves"),
    )
    return namesake, same


def test_the_same_author_and_namesakes_are_offered_newest_first(alice, paper, alices_other_papers):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    offered = claims.other_papers_to_claim(user=alice, authorship=authorship_of(paper, 1))

    assert offered == list(alices_other_papers)


def test_papers_claimed_by_anyone_or_already_by_the_user_are_not_offered(
    alice, bob, paper, alices_other_papers
):
    namesake, same = alices_other_papers
    claims.claim_authorship(user=bob, authorship=namesake)
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    claims.claim_authorship(user=alice, authorship=same)

    assert claims.other_papers_to_claim(user=alice, authorship=authorship_of(paper, 1)) == []


def test_a_claim_leads_to_the_offer_and_the_ticked_papers_are_claimed(
    client, alice, paper, alices_other_papers, django_assert_num_queries
):
    namesake, same = alices_other_papers
    client.force_login(alice)
    first = authorship_of(paper, 1)

    response = client.post(reverse("accounts:claim-confirm", args=[first.pk]))
    more = reverse("accounts:claim-more", args=[first.pk])
    assert response.headers["Location"] == more
    html = client.get(more).content.decode()
    assert "Are these papers yours too?" in html
    assert html.index("Looking-glass insects") < html.index("Croquet with flamingos")
    assert f'value="{same.pk}" id="offer-{same.pk}" checked' in html

    response = client.post(more, {"authorship": [str(namesake.pk), "999999", "x"]})

    assert response.headers["Location"] == paper.get_absolute_url()
    held = set(Claim.objects.filter(user=alice).values_list("authorship_id", flat=True))
    assert held == {first.pk, namesake.pk}


def test_the_offer_page_costs_the_same_queries_for_one_or_many_papers(
    client, alice, paper, alices_other_papers, django_assert_num_queries
):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(alice)
    more = reverse("accounts:claim-more", args=[authorship_of(paper, 1).pk])
    client.get(more)  # the session and the user, read once before counting

    def count():
        # The session, the user, the authorship, the user's claim on it, the offer.
        with django_assert_num_queries(5) as captured:
            client.get(more)
        return len(captured)

    before = count()
    author = authorship_of(paper, 1).author
    for _ in range(5):
        AuthorshipFactory(paper=PaperFactory(), author=author)
    assert count() == before


def test_only_the_claimant_sees_the_offer(client, alice, bob, paper, alices_other_papers):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    client.force_login(bob)

    response = client.get(reverse("accounts:claim-more", args=[authorship_of(paper, 1).pk]))

    assert response.status_code == 404


def test_a_claim_with_nothing_more_to_offer_goes_back_to_the_paper(client, alice, paper):
    client.force_login(alice)
    first = authorship_of(paper, 1)

    response = client.post(reverse("accounts:claim-confirm", args=[first.pk]))

    assert response.headers["Location"] == paper.get_absolute_url()
