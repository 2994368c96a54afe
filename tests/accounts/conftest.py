"""The people of the accounts tests, each with different rights:

- alice: a researcher with no claim;
- bob: another researcher;
- carol: the verified author of ``paper``'s first authorship;
- curator: staff allowed to change claims (not a superuser).
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache

from accounts.models import Claim
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Several users per test: PBKDF2's deliberate slowness would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth keeps its rate-limit counters in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Liddell")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bob", last_name="Builder")


@pytest.fixture
def paper(db):
    paper = PaperFactory(title="Tea parties considered harmful")
    for position, (given, family) in enumerate(
        [("Carol", "Carroll"), ("Alice", "Liddell"), ("Bob", "Builder")]
    ):
        AuthorshipFactory(
            paper=paper,
            position=position,
            author=AuthorFactory(given_name=given, family_name=family),
            affiliations=[f"University of {family}"],
        )
    return paper


@pytest.fixture
def carol(paper):
    carol = UserFactory(username="carol", first_name="Carol", last_name="Carroll")
    first = paper.authorships.get(position=0)
    Claim.objects.create(user=carol, authorship=first, paper=paper, status=Claim.Status.VERIFIED)
    return carol


@pytest.fixture
def curator(db):
    curator = UserFactory(username="curator", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts",
            codename__in=["view_claim", "change_claim", "view_claimdispute", "change_claimdispute"],
        )
    )
    return curator


def authorship_of(paper, position):
    return paper.authorships.select_related("author").get(position=position)
