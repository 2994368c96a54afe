"""Review rules that depend on accounts: verified authors do not rate their own paper, and
ratings by readers whose ORCID was proven by ORCID sign-in are marked as verified."""

import pytest
from django.urls import reverse

from accounts.claims import approve_claim, claim_authorship
from accounts.models import Profile
from reviews.models import Review
from reviews.ratings import ReviewRefused, submit_review
from tests.factories import AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def authored():
    """A paper and a user holding a verified claim on one of its authorships."""
    paper = PaperFactory()
    author = UserFactory()
    claim = claim_authorship(user=author, authorship=AuthorshipFactory(paper=paper, position=0))
    approve_claim(claim, by=UserFactory(is_staff=True, is_superuser=True), reason="Same person.")
    return paper, author


def test_a_verified_author_cannot_rate_their_own_paper(authored):
    paper, author = authored
    with pytest.raises(ReviewRefused, match="verified author of this paper"):
        submit_review(user=author, paper=paper, rating=5)
    assert not Review.objects.exists()
    submit_review(user=author, paper=PaperFactory(), rating=4)  # others' papers are fine


def test_the_page_tells_a_verified_author_why_there_is_no_rating_form(client, authored):
    paper, author = authored
    client.force_login(author)

    page = client.get(paper.get_absolute_url()).text
    post = client.post(reverse("reviews:review", args=[paper.pk]), {"rating": "5"})

    assert "You are a verified author of this paper, so you cannot rate it." in page
    assert "data-review-form" not in page
    assert post.status_code == 403
    assert not Review.objects.exists()


def test_a_pending_claim_does_not_stop_rating():
    paper, user = PaperFactory(), UserFactory()
    claim_authorship(user=user, authorship=AuthorshipFactory(paper=paper, position=0))
    review, _ = submit_review(user=user, paper=paper, rating=3)
    assert review.pk


def test_a_rating_by_an_orcid_proven_reader_is_marked_verified(client):
    paper = PaperFactory()
    proven, typed = UserFactory(), UserFactory()
    Profile.objects.update_or_create(
        user=proven, defaults={"orcid": "0000-0002-1825-0097", "orcid_proven": True}
    )
    Profile.objects.update_or_create(
        user=typed, defaults={"orcid": "0000-0001-5109-3700", "orcid_proven": False}
    )
    first, _ = submit_review(user=proven, paper=paper, rating=4, text="Checked the data.")
    second, _ = submit_review(user=typed, paper=paper, rating=4, text="Looks fine.")

    assert first.verified_researcher and not second.verified_researcher
    page = client.get(paper.get_absolute_url()).text
    assert page.count("verified researcher</span>") == 1


def test_reviews_show_the_public_name_never_the_email(client):
    paper = PaperFactory()
    user = UserFactory(username="mreader", email="m.reader@example.org")
    Profile.objects.update_or_create(user=user, defaults={"display_name": "Maria Reader"})
    submit_review(user=user, paper=paper, rating=4, text="Careful work.")

    page = client.get(paper.get_absolute_url()).text

    assert "by Maria Reader" in page
    assert "m.reader@example.org" not in page


def test_a_deleted_accounts_review_stays_as_by_a_deleted_user(client):
    paper, user = PaperFactory(), UserFactory()
    submit_review(user=user, paper=paper, rating=4, text="Still useful.")
    user.delete()

    page = client.get(paper.get_absolute_url()).text

    assert "by a deleted user" in page
    assert Review.objects.get().user is None
