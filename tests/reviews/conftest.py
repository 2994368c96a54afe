"""The reviews tests' own ``paper`` (one author), ``carol`` (its verified author) and
``curator`` (allowed to change resource requests and answers, not claims); alice and bob are
the root conftest's."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Claim
from portal.celery import app as celery_app
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    # The emails are Celery tasks enqueued after commit; here they run in-process, so a test
    # that executes the on-commit callbacks sees the email (the worker wiring is the same
    # as accounts' decision email, tested against a real worker there).
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def paper(db):
    paper = PaperFactory(title="Tea parties considered harmful")
    AuthorshipFactory(
        paper=paper, position=0, author=AuthorFactory(given_name="Carol", family_name="Carroll")
    )
    return paper


@pytest.fixture
def carol(paper):
    carol = UserFactory(username="carol", first_name="Carol", last_name="Carroll")
    Claim.objects.create(
        user=carol,
        authorship=paper.authorships.get(),
        paper=paper,
        status=Claim.Status.VERIFIED,
    )
    return carol


@pytest.fixture
def curator(db):
    curator = UserFactory(username="curator", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="reviews",
            codename__in=[
                "view_resourcerequest",
                "change_resourcerequest",
                "view_resourceanswer",
                "change_resourceanswer",
            ],
        )
    )
    return curator
