"""factory_boy factories for named test data (users, papers and what hangs off them)."""

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from papers.models import (
    Author,
    Authorship,
    Category,
    Funder,
    Funding,
    Journal,
    Keyword,
    Paper,
)
from reviews.ratings import bayesian_score


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True  # the password is set before the save

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        """Users made by tests have signed up and verified their address (allauth requires a
        verified address to log in); pass verified_email=False for one who has not."""
        if create and user.email and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


class JournalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Journal

    title = factory.Sequence(lambda n: f"Journal of Test Studies {n}")
    issn_print = factory.Sequence(lambda n: f"{1000 + n:04d}-{n % 10000:04d}")
    publisher = "Test Publisher"


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    given_name = "Ada"
    family_name = factory.Sequence(lambda n: f"Lovelace{n}")
    name = factory.LazyAttribute(lambda a: f"{a.given_name} {a.family_name}")


class KeywordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Keyword

    name = factory.Sequence(lambda n: f"keyword {n}")
    slug = factory.Sequence(lambda n: f"keyword-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder

    name = factory.Sequence(lambda n: f"Test Science Foundation {n}")


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    doi = factory.Sequence(lambda n: f"10.5555/test.{n}")
    title = factory.Sequence(lambda n: f"A study of test paper number {n}")
    work_type = "journal-article"
    abstract = "We describe a test paper. It has two sentences."
    published_year = 2021
    journal = factory.SubFactory(JournalFactory)
    rating_average = None
    rating_count = 0
    # What reviews.ratings would store for such an average and count (for "Best rated").
    rating_score = factory.LazyAttribute(
        lambda paper: (
            bayesian_score(
                float(paper.rating_average) * paper.rating_count,
                paper.rating_count,
                mean=settings.RATING_PRIOR_MEAN,
            )
            if paper.rating_average is not None and paper.rating_count
            else None
        )
    )


class AuthorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorship

    paper = factory.SubFactory(PaperFactory)
    author = factory.SubFactory(AuthorFactory)
    position = factory.Sequence(lambda n: n)
    affiliations = factory.LazyFunction(lambda: ["Test University"])


class FundingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funding

    paper = factory.SubFactory(PaperFactory)
    funder = factory.SubFactory(FunderFactory)
    awards = factory.LazyFunction(lambda: ["ABC-123"])
    position = factory.Sequence(lambda n: n)


class RecommendationFactory(factory.django.DjangoModelFactory):
    """A personal pick, as recommendations.picks would store it (tests make them directly)."""

    class Meta:
        model = "recommendations.Recommendation"

    user = factory.SubFactory(UserFactory)
    paper = factory.SubFactory(PaperFactory)
    rank = factory.Sequence(lambda n: n + 1)
    score = 0.5
    reason = "interest"
    detail = "Graph theory"
