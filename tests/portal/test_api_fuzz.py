"""Schemathesis against the whole API, as an attacker would try it.

Every operation of the served OpenAPI schema is called with requests generated from that
schema, in-process through the WSGI application, on the test database seeded with a small
catalogue (real recorded Crossref records, a review, claims, a resource request, a personal
pick). It runs once per role: anonymous, a signed-in reader (token) and a curator (staff
with the claim and resource-request permissions, token). Generated ids are mixed with the
seeded ones, so that detail routes and writes reach real logic, not only 404s and 400s.

Each response must not be a server error and must match the schema (body and status code).
The run is derandomized: the same cases every time, on SQLite and PostgreSQL alike.
"""

import collections

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Claim
from library import collections as library_collections
from reviews import ratings, resources
from tests.factories import CategoryFactory, KeywordFactory, RecommendationFactory, UserFactory
from tests.records import import_record

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES_PER_OPERATION = 20
MIN_CASES_PER_ROLE = 500  # three roles: at least 1,500 cases a run
# Of the responses, how many must be 2xx: proof that generated requests reach the logic
# (about 0.45 anonymous, 0.6 signed in; the rest are refusals, as they should be).
MIN_SUCCESS_SHARE = 0.3

RECORDS = [
    "10.1136_jclinpath-2020-206745.json",
    "10.1016_j.ffa.2015.10.008.json",
    "10.1038_srep16696.json",
]


@pytest.fixture
def application(settings):
    """Django's WSGI application, served in-process like the test client does it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ALLOWED_HOSTS = ["localhost"]  # the Host Schemathesis sends
    # Django closes the connection around each request; the test's transaction must outlive
    # it (the test client does the same).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def catalogue(db):
    """The seeded rows, and the users of each role with their API tokens."""
    papers = [import_record(name) for name in RECORDS]
    category, keyword = CategoryFactory(), KeywordFactory()
    papers[0].categories.add(category)
    papers[0].keywords.add(keyword)
    reader = UserFactory(username="reader")
    author = UserFactory(username="author")
    curator = UserFactory(username="curator", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_claim",
                "change_claim",
                "view_resourcerequest",
                "change_resourcerequest",
                "view_resourceanswer",
                "change_resourceanswer",
            ]
        )
    )
    authorships = [a for paper in papers for a in paper.authorships.all()]
    claims = [
        Claim.objects.create(
            user=author, authorship=authorships[0], paper=papers[0], status=Claim.Status.VERIFIED
        ),
        Claim.objects.create(user=reader, authorship=authorships[-1], paper=papers[-1]),
    ]
    review, _ = ratings.submit_review(user=author, paper=papers[1], rating=4, text="Clear.")
    asked = resources.ask(user=reader, paper=papers[0], kind="code", message="Is the code out?")
    RecommendationFactory(user=reader, paper=papers[2])
    # The reader's private list (shared with the author) and the author's public one.
    own = library_collections.create_collection(owner=reader, name="To read")
    library_collections.share(collection=own, user=author, by=reader)
    library_collections.add_papers(collection=own, papers=papers[:2], by=reader)
    public = library_collections.create_collection(owner=author, name="Mine", is_public=True)
    library_collections.add_papers(collection=public, papers=papers[1:], by=author)
    return {
        "tokens": {
            "anonymous": None,
            "reader": Token.objects.create(user=reader).key,
            "curator": Token.objects.create(user=curator).key,
        },
        # Known values for each kind of path parameter and body field.
        "ids": {
            "papers": [p.pk for p in papers],
            "journals": [p.journal_id for p in papers if p.journal_id],
            "authors": [a.author_id for a in authorships[:5]],
            "funders": [f.funder_id for p in papers for f in p.fundings.all()],
            "claims": [c.pk for c in claims],
            "reviews": [review.pk],
            "resource-requests": [asked.pk],
            "researchers": [reader.pk, author.pk],
            "recommendations": [papers[2].pk],
            "authorship": [a.pk for a in authorships[:5]],
            "collections": [own.pk, public.pk],
        },
        "slugs": {"categories": [category.slug], "keywords": [keyword.slug]},
        "dois": [p.doi for p in papers],
    }


@pytest.fixture
def schema(application, db):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


def known_values(operation, catalogue):
    """{path parameter, query parameter or body field: seeded values} for one operation."""
    ids = catalogue["ids"]
    resource = operation.path.removeprefix("/api/v1/").split("/")[0]
    if resource == "me":
        resource = "recommendations"
    known = {
        "id": ids.get(resource, []),
        "paper_id": ids["papers"],
        "slug": catalogue["slugs"].get(resource, []),
        "doi": catalogue["dois"],
        "paper": ids["papers"],
        "authorship": ids["authorship"],
        "user": ids["researchers"],
        "journal": ids["journals"],
        "funder": ids["funders"],
        "page": [1],
        "collection_id": ids["collections"],
        "username": ["reader", "author", "curator"],
        "interest_categories": [catalogue["slugs"]["categories"]],
        "interest_keywords": [catalogue["slugs"]["keywords"]],
    }
    return {name: values for name, values in known.items() if values}


def with_known_values(case, picks):
    """The case with some generated values replaced by seeded ones (``picks``: name ->
    value, None to keep the generated one), wherever the case has that name."""
    for name, value in picks.items():
        if value is None:
            continue
        if name in (case.path_parameters or {}):
            case.path_parameters = {**case.path_parameters, name: value}
        elif name in (case.query or {}):
            case.query = {**case.query, name: value}
        elif isinstance(case.body, dict) and name in case.body:
            case.body = {**case.body, name: value}
    return case


def fuzz(schema, catalogue, role):
    """Run every operation as ``role``; returns ({operation: statuses Counter}, failures)."""
    token = catalogue["tokens"][role]
    headers = {"Authorization": f"Token {token}"} if token else {}
    statuses, failures = {}, []
    for result in schema.get_all_operations():
        operation = result.ok()
        statuses[operation.label] = collections.Counter()
        try:
            fuzz_operation(operation, catalogue, headers, statuses[operation.label])
        except (Exception, FailureGroup) as error:  # reported with the others by the test
            failures.append(f"{operation.label} as {role}:\n{error}")
    return statuses, failures


def fuzz_operation(operation, catalogue, headers, statuses):
    """Call ``operation`` with generated requests, counting answers by status in
    ``statuses``; raises on the first failed check (after Hypothesis shrank the case)."""
    known = known_values(operation, catalogue)
    # For each name, a seeded value three times in four, else (None) the generated one.
    picks = st.fixed_dictionaries(
        {name: st.sampled_from([*values * 3, None]) for name, values in known.items()}
    )
    # Valid requests, and requests that break the schema (wrong types, missing fields).
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases, picks=picks)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def call(case, picks):
        case = with_known_values(case, picks)
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    call()


@pytest.mark.parametrize("role", ["anonymous", "reader", "curator"])
def test_no_generated_request_gets_a_server_error_or_an_answer_off_the_schema(
    schema, catalogue, role
):
    by_operation, failures = fuzz(schema, catalogue, role)

    statuses = sum(by_operation.values(), collections.Counter())
    total = statuses.total()
    # The share of 2xx is taken over the operations open to the role: one that refused
    # every case with 401/403 is signed-in only (the permission matrix checks that answer).
    open_to_role = [counts for counts in by_operation.values() if set(counts) - {401, 403}]
    reachable = sum(counts.total() for counts in open_to_role)
    succeeded = sum(
        n for counts in open_to_role for status, n in counts.items() if 200 <= status < 300
    )
    print(f"\n{role}: {total} cases, {succeeded} answered 2xx; by status {dict(statuses)}")
    for label, counts in by_operation.items():
        print(f"  {label}: {dict(counts)}")
    assert not failures, "\n\n".join(failures)
    assert total >= MIN_CASES_PER_ROLE
    assert succeeded >= MIN_SUCCESS_SHARE * reachable
