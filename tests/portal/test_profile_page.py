"""The public profile page (portal.profile_page): verified papers, reviews and answers,
never an email address, and a pinned number of queries."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import claims
from accounts.models import Claim, Profile
from papers.models import Paper
from reviews.models import ResourceAnswer, ResourceRequest, Review
from reviews.ratings import hide_review, submit_review
from tests.conftest import authorship_of
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    KeywordFactory,
    PaperFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def profile_url(user):
    return reverse("accounts:profile", args=[user.pk])


def test_the_public_profile_lists_verified_papers_and_never_the_email(client, carol, paper):
    Profile.objects.filter(user=carol).update(
        affiliation="Christ Church", bio="Logician.", orcid="0000-0002-1825-0097"
    )

    html = client.get(profile_url(carol)).content.decode()

    assert "Carol Carroll" in html and "Christ Church" in html and "Logician." in html
    assert "0000-0002-1825-0097" in html and "(not proven)" in html
    assert paper.title in html and "as Carol Carroll" in html
    assert "carol@example.org" not in html and "@example.org" not in html
    assert "No reviews yet." in html and "No answered resource requests yet." in html


def test_verified_papers_carry_their_rating_summary(client, carol, paper):
    Paper.objects.filter(pk=paper.pk).update(rating_average="4.75", rating_count=12)
    other = PaperFactory(title="A paper few have rated")
    authorship = AuthorshipFactory(paper=other, position=0, author=AuthorFactory())
    Claim.objects.create(user=carol, authorship=authorship, paper=other, status="verified")
    Paper.objects.filter(pk=other.pk).update(rating_average="5.00", rating_count=1)

    html = client.get(profile_url(carol)).content.decode()

    assert "rated 4.8 from 12 ratings" in html
    assert html.count("Not enough ratings") == 1


def test_pending_claims_are_not_on_the_public_profile(client, alice, paper):
    claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))

    html = client.get(profile_url(alice)).content.decode()

    assert paper.title not in html and "No verified papers yet." in html


def test_an_unknown_or_inactive_researcher_is_a_404(client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert client.get(profile_url(alice)).status_code == 404
    assert client.get(reverse("accounts:profile", args=[999999])).status_code == 404


@pytest.mark.parametrize("n", [1, 12])
def test_the_public_profile_runs_a_constant_number_of_queries(
    client, alice, django_assert_num_queries, n
):
    profile = alice.profile
    for _ in range(n):
        paper = PaperFactory()
        authorship = AuthorshipFactory(paper=paper, position=0, author=AuthorFactory())
        Claim.objects.create(user=alice, authorship=authorship, paper=paper, status="verified")
        profile.interest_categories.add(CategoryFactory())
        profile.interest_keywords.add(KeywordFactory())
        asked = ResourceRequest.objects.create(paper=paper, kind="data", message="Data?")
        ResourceAnswer.objects.create(request=asked, user=alice, text="Here.")
        Review.objects.create(paper=PaperFactory(), user=alice, rating=4, text_html="<p>Ok</p>")

    # user+profile, interest categories, interest keywords, verified claims with papers,
    # reviews with their papers, answers to resource requests with their requests and papers
    with django_assert_num_queries(6):
        response = client.get(profile_url(alice))

    assert response.content.decode().count('class="small">as ') == n
    assert response.content.decode().count("#resource-request-") == n
    assert response.content.decode().count('class="review-stars"') == n


def test_the_public_profile_lists_visible_reviews_only(client, alice):
    shown = submit_review(user=alice, paper=PaperFactory(title="A shown paper"), rating=5)[0]
    hidden, _ = submit_review(user=alice, paper=PaperFactory(title="A hidden one"), rating=1)
    hide_review(hidden, curator=UserFactory(is_staff=True), reason="Spam.")

    page = client.get(profile_url(alice)).text

    assert "A shown paper" in page and f"{shown.rating}/5" in page
    assert "A hidden one" not in page


def test_the_public_profile_lists_the_answers_a_researcher_gave(client, alice, bob, paper):
    from reviews import resources

    asked = resources.ask(user=bob, paper=paper, kind="code", message="Scripts?")
    resources.answer(
        user=alice,
        resource_request=asked,
        text="On GitHub <script>alert(1)</script>",
        link="https://github.com/alice/tea",
    )

    html = client.get(profile_url(alice)).content.decode()

    assert "No answered resource requests yet." not in html
    assert f"Code for “{paper.title}”" in html
    assert 'href="https://github.com/alice/tea" rel="nofollow noopener noreferrer"' in html
    assert "<script>alert(1)" not in html
    assert "No answered resource requests yet." in client.get(profile_url(bob)).content.decode()
