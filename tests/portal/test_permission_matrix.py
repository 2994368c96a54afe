"""The permission matrix: every route of the URL configuration, every HTTP method it
accepts, five roles, one exact expected answer per cell.

The routes are read from the URLconf when the test runs, so a route added without an entry
here fails the test by name, and so does an entry whose route is gone. Each cell runs on
the same world inside a transaction that is rolled back, so a write (made with a valid body:
a 2xx or a plain redirect means the action ran) never leaks into the next cell.

The roles: ``anonymous``; ``user``, who owns the things under test (alice: the review, the
resource request, the pending claim, the recommendation); ``other``, another signed-in
reader (bob); ``author``, the verified author of the paper (carol); ``curator``, staff with
the view/change permissions curators work with (claims, disputes, reviews, resource
requests and answers, the catalogue), not a superuser.

An answer is its status code, except redirects: "302 login" (to the site's log-in page),
"302 admin login", "302 error" (back with an error message: the action was refused) and
"302" (any other redirect: the action ran, or the page sent the reader on).

Each route is tried with GET, POST, PUT, PATCH and DELETE: a method without an entry must
be refused (405) to the signed-in curator, so a view that quietly takes a new method is
seen too (read-only pages answer GET and HEAD only, with ``require_safe``).

The admin is covered by a rule (only the curator gets in, as far as their permissions go),
but each of its routes is enumerated like any other, so a new admin view needs an entry.
"""

import datetime
import json
from dataclasses import dataclass, field

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token

from accounts import claims, unsubscribe
from accounts.models import Claim, ClaimDecision, EmailKind, SentEmail
from library import collections, follows, notes
from library.models import Follow, ImportJob
from papers.models import (
    JournalRef,
    Paper,
    PaperCategory,
    PaperKeyword,
    RecommendationRun,
    VersionLink,
)
from recommendations import digests
from recommendations.models import Digest
from reviews import resources
from reviews.models import Review
from reviews.ratings import submit_review
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    FundingFactory,
    KeywordFactory,
    PaperFactory,
    RecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
NEW_PASSWORD = "a new and rather long passphrase"
NEW_PASSWORD = "a new and rather long passphrase"
ROLES = ("anonymous", "user", "other", "author", "curator")
# The methods each route is tried with. A method a route has no entry for must be refused
# (405) to a signed-in curator. HEAD and OPTIONS answer like GET or describe the route.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

LOGIN = "302 login"
ADMIN_LOGIN = "302 admin login"
ERROR = "302 error"
MOVED = "302"

CURATOR_PERMISSIONS = {
    "accounts": ["view_claim", "change_claim", "view_claimdispute", "change_claimdispute"],
    "reviews": [
        "view_review",
        "change_review",
        "view_resourcerequest",
        "change_resourcerequest",
        "view_resourceanswer",
        "change_resourceanswer",
    ],
    "papers": [
        f"{action}_{model}"
        for action in ("view", "change")
        for model in (
            "paper",
            "journal",
            "author",
            "keyword",
            "category",
            "funder",
            "versionlink",
            "journalref",
        )
    ],
}


def row(anonymous, user, other, author, curator):
    return dict(zip(ROLES, (anonymous, user, other, author, curator), strict=True))


# A private collection's owner-only forms: the editor is refused, everyone else told nothing.
OWNER_ONLY = row(LOGIN, MOVED, 404, 403, 404)


def everyone(expected):
    return row(expected, expected, expected, expected, expected)


def signed_in(expected, *, anonymous=LOGIN):
    return row(anonymous, expected, expected, expected, expected)


def every_method(expected):
    """For views that answer whatever the method (allauth's redirects)."""
    return {method: expected for method in METHODS}


def put_like_post(put, refused):
    """Django's FormView treats PUT as POST, without parsing the body (Django reads form
    bodies of POST only): the empty form is shown again, or the view sends the reader on
    before looking at the method. PATCH and DELETE are ``refused``."""
    return {"PUT": put, "PATCH": refused, "DELETE": refused}


@dataclass
class Form:
    """A request body sent as a browser form."""

    data: dict
    expected: dict


@dataclass
class Json:
    """A request body sent as JSON."""

    data: dict
    expected: dict


@dataclass
class Route:
    url: object  # world -> path
    methods: dict = field(default_factory=dict)  # method -> expected row, Form or Json

    def __init__(self, url, **methods):
        self.url, self.methods = url, methods


# --- the world ---


@dataclass
class World:
    alice: object
    bob: object
    carol: object
    curator: object
    paper: Paper
    other_paper: Paper
    review: Review
    asked: object
    claim: Claim
    note: object
    collection: object
    import_job: object
    follow: object
    public_collection: object
    free_authorship: object
    journal: object
    author: object
    category: object
    keyword: object
    funder: object
    sessions: dict

    def user_of(self, role):
        return {
            "user": self.alice,
            "other": self.bob,
            "author": self.carol,
            "curator": self.curator,
        }.get(role)


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # ORCID sign-in configured as in production (from the environment).
    settings.SOCIALACCOUNT_PROVIDERS = {
        "orcid": {"MEMBER_API": False, "APPS": [{"client_id": "id", "secret": "s", "key": ""}]}
    }
    alice = UserFactory(username="alice", first_name="Alice", last_name="Liddell")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Builder")
    carol = UserFactory(username="carol", first_name="Carol", last_name="Carroll")
    curator = UserFactory(username="curator", is_staff=True)
    for app_label, codenames in CURATOR_PERMISSIONS.items():
        curator.user_permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )

    paper = PaperFactory(title="Tea parties considered harmful")
    authorships = [
        AuthorshipFactory(
            paper=paper,
            position=position,
            author=AuthorFactory(given_name=given, family_name=family),
        )
        for position, (given, family) in enumerate(
            [("Carol", "Carroll"), ("Alice", "Liddell"), ("Dora", "Dormouse")]
        )
    ]
    verified = Claim.objects.create(
        user=carol,
        authorship=authorships[0],
        paper=paper,
        status=Claim.Status.VERIFIED,
    )
    ClaimDecision.objects.create(
        claim=verified, verdict=ClaimDecision.Verdict.APPROVED, decided_by=curator, reason="ok"
    )
    claim = claims.claim_authorship(user=alice, authorship=authorships[1])
    claims.dispute_claim(user=bob, authorship=authorships[0], reason="Carol is my alias.")
    category, keyword = CategoryFactory(), KeywordFactory()
    PaperCategory.objects.create(paper=paper, category=category)
    PaperKeyword.objects.create(paper=paper, keyword=keyword)
    funding = FundingFactory(paper=paper)
    other_paper = PaperFactory(title="Croquet with flamingos")
    # A published version whose preprint the catalogue does not hold yet (its admin pages).
    VersionLink.objects.create(
        paper=other_paper,
        doi="10.5555/croquet-preprint",
        relation="has-preprint",
        source="crossref",
    )
    RecommendationFactory(user=alice, paper=other_paper)
    RecommendationRun.objects.create()  # a rebuild under way (its admin pages)
    # A preprint naming its published version by a journal-ref only (its admin pages).
    JournalRef.objects.create(
        paper=other_paper, text="Wonderland 1:5,1865", volume="1", page="5", year=1865
    )

    review, _ = submit_review(user=alice, paper=paper, rating=4, text="Clear and careful.")
    submit_review(user=bob, paper=paper, rating=3, text="Fine.")
    asked = resources.ask(user=alice, paper=paper, kind="data", message="The raw data?")
    resources.answer(user=bob, resource_request=asked, text="Seconded.")
    Token.objects.create(user=alice)
    note = notes.save_note(user=alice, paper=paper, text="Mind the dormouse.")
    # alice's private collection, shared with carol for editing: bob and the curator are
    # strangers to it (404), carol edits its entries but may not manage it (403).
    collection = collections.create_collection(owner=alice, name="Looking-glass")
    collections.share(collection=collection, user=carol, by=alice)
    collections.add_papers(collection=collection, papers=[paper], by=alice)
    follow, _ = follows.follow(user=alice, kind=Follow.Kind.CATEGORY, target=category)
    public_collection = collections.create_collection(owner=alice, name="Tea", is_public=True)
    Digest.objects.create(
        user=alice,
        period="weekly",
        period_key="2024-W01",
        kinds=["recommendations"],
        window_start=timezone.now() - datetime.timedelta(days=7),
        window_end=timezone.now(),
        email=SentEmail.objects.create(
            kind=SentEmail.Kind.DIGEST, key="weekly:2024-W01", recipient=alice
        ),
    )

    SentEmail.objects.create(kind=SentEmail.Kind.REVIEW_HIDDEN, key="1:x", recipient=alice)

    # One row of every other model the admin lists, for its object pages.
    Group.objects.create(name="editors")
    app = SocialApp.objects.create(provider="example", name="Example", client_id="id")
    account = SocialAccount.objects.create(user=bob, provider="orcid", uid="0000-0002-1825-0097")
    SocialToken.objects.create(app=app, account=account, token="t")
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="4")
    SolarSchedule.objects.create(event="sunrise", latitude=51.75, longitude=-1.25)
    ClockedSchedule.objects.create(clocked_time="2030-01-01T00:00Z")
    PeriodicTask.objects.create(name="tick", task="portal.tasks.tick", interval=every_minute)

    sessions = {}
    for role, user in [("user", alice), ("other", bob), ("author", carol), ("curator", curator)]:
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return World(
        alice=alice,
        bob=bob,
        carol=carol,
        curator=curator,
        paper=paper,
        other_paper=other_paper,
        review=review,
        asked=asked,
        claim=claim,
        note=note,
        collection=collection,
        import_job=ImportJob.objects.create(
            owner=alice,
            collection_name="Zotero",
            new_collection=True,
            file_name="zotero.bib",
            format=ImportJob.Format.BIBTEX,
        ),
        follow=follow,
        public_collection=public_collection,
        free_authorship=authorships[2],
        journal=paper.journal,
        author=authorships[0].author,
        category=category,
        keyword=keyword,
        funder=funding.funder,
        sessions=sessions,
    )


def bib_upload():
    """A fresh BibTeX file for each cell (an upload is read once)."""
    return SimpleUploadedFile("refs.bib", b"@article{a, title={Tea}, year={2020}}\n")


def unsubscribe_token(w):
    url = unsubscribe.unsubscribe_url(w.alice.pk, [EmailKind.RECOMMENDATIONS])
    return url.rstrip("/").rsplit("/", 1)[1]


def not_relevant_token(w):
    return digests.not_relevant_url(w.alice.pk, w.other_paper.pk).rstrip("/").rsplit("/", 1)[1]


def email_confirmation_key(w):
    address = EmailAddress.objects.create(user=w.alice, email="alice@elsewhere.example.org")
    return EmailConfirmationHMAC(address).key


def password_reset_path(w):
    uid = user_pk_to_url_str(w.alice)
    return f"/accounts/password/reset/key/{uid}-{default_token_generator.make_token(w.alice)}/"


# --- the expected answers ---

API_SIGNED_IN = 403  # DRF's answer to an anonymous write, or a read that needs a log-in
PAPER_PAGE = everyone(200)

MATRIX = {
    # portal
    "healthz": Route(lambda w: "/healthz", GET=everyone(503)),  # no worker runs in tests
    "api/v1/schema/": Route(lambda w: "/api/v1/schema/", GET=everyone(200)),
    "api/v1/docs/": Route(lambda w: "/api/v1/docs/", GET=everyone(200)),
    # papers: pages and exports, open to everyone
    "": Route(lambda w: "/", GET=everyone(200)),
    "papers/": Route(lambda w: "/papers/", GET=everyone(200)),
    "papers/<int:pk>/": Route(lambda w: f"/papers/{w.paper.pk}/", GET=PAPER_PAGE),
    "papers/<int:pk>/cite.bib": Route(lambda w: f"/papers/{w.paper.pk}/cite.bib", GET=PAPER_PAGE),
    "papers/<int:pk>/cite.ris": Route(lambda w: f"/papers/{w.paper.pk}/cite.ris", GET=PAPER_PAGE),
    "papers/<int:pk>/cite.json": Route(lambda w: f"/papers/{w.paper.pk}/cite.json", GET=PAPER_PAGE),
    "doi/<doi:doi>": Route(lambda w: f"/doi/{w.paper.doi}", GET=PAPER_PAGE),
    "journals/<int:pk>/": Route(lambda w: f"/journals/{w.journal.pk}/", GET=everyone(200)),
    "authors/<int:pk>/": Route(lambda w: f"/authors/{w.author.pk}/", GET=everyone(200)),
    "categories/<str:slug>/": Route(lambda w: f"/categories/{w.category.slug}/", GET=everyone(200)),
    "keywords/<str:slug>/": Route(lambda w: f"/keywords/{w.keyword.slug}/", GET=everyone(200)),
    # Find papers like this: a read-only search, open to everyone (text by POST).
    "papers/similar/": Route(
        lambda w: "/papers/similar/",
        GET=everyone(200),
        POST=Form({"text": "Tea parties and croquet"}, everyone(200)),
    ),
    "papers/add/": Route(
        lambda w: "/papers/add/",
        GET=signed_in(200),
        POST=Form({"doi": "10.5555/matrix.added"}, signed_in(MOVED)),
    ),
    # reviews: pages
    "papers/<int:pk>/review/": Route(
        lambda w: f"/papers/{w.paper.pk}/review/",
        GET=signed_in(200),
        # The author may not rate their own paper.
        POST=Form({"rating": 5, "text": "Better."}, row(LOGIN, MOVED, MOVED, 403, MOVED)),
    ),
    "reviews/<int:review_id>/delete/": Route(
        lambda w: f"/reviews/{w.review.pk}/delete/",
        POST=Form({}, row(LOGIN, MOVED, ERROR, ERROR, ERROR)),
    ),
    "reviews/<int:review_id>/helpful/": Route(
        lambda w: f"/reviews/{w.review.pk}/helpful/",
        POST=Form({}, row(LOGIN, ERROR, MOVED, MOVED, MOVED)),  # not one's own
    ),
    "reviews/<int:review_id>/report/": Route(
        lambda w: f"/reviews/{w.review.pk}/report/",
        GET=signed_in(200),
        POST=Form({"reason": "Off topic."}, signed_in(MOVED)),
    ),
    "papers/<int:pk>/resources/ask/": Route(
        lambda w: f"/papers/{w.paper.pk}/resources/ask/",
        GET=signed_in(200),
        POST=Form({"kind": "code", "message": "The scripts?"}, signed_in(MOVED)),
    ),
    "resources/<int:request_id>/": Route(lambda w: f"/resources/{w.asked.pk}/", GET=everyone(200)),
    "resources/<int:request_id>/answer/": Route(
        lambda w: f"/resources/{w.asked.pk}/answer/",
        POST=Form({"text": "Here.", "link": "https://example.org/data"}, signed_in(MOVED)),
    ),
    "resources/<int:request_id>/me-too/": Route(
        lambda w: f"/resources/{w.asked.pk}/me-too/",
        POST=Form({}, row(LOGIN, 403, MOVED, MOVED, MOVED)),  # not on one's own request
    ),
    "resources/<int:request_id>/status/": Route(
        lambda w: f"/resources/{w.asked.pk}/status/",
        # The asker may only mark it fulfilled; the paper's author and curators manage it.
        POST=Form({"action": "acknowledge"}, row(LOGIN, 403, 403, MOVED, MOVED)),
    ),
    # accounts: pages
    "papers/<int:pk>/note/": Route(
        lambda w: f"/papers/{w.paper.pk}/note/",
        GET=signed_in(200),
        POST=Form({"text": "Curiouser and curiouser."}, signed_in(MOVED)),
    ),
    "library/import/": Route(
        lambda w: "/library/import/",
        GET=signed_in(200),
        POST=Form(lambda w: {"file": bib_upload(), "new_collection": "Imported"}, signed_in(MOVED)),
    ),
    # An import is its owner's only.
    "library/imports/<int:pk>/": Route(
        lambda w: f"/library/imports/{w.import_job.pk}/", GET=row(LOGIN, 200, 404, 404, 404)
    ),
    # library: pages. A private collection is 404 to all but its owner (alice) and its
    # editor (carol); only the owner manages it.
    "library/": Route(lambda w: "/library/", GET=signed_in(200)),
    "library/save/<int:pk>/": Route(
        lambda w: f"/library/save/{w.paper.pk}/", POST=Form({}, signed_in(MOVED))
    ),
    "library/collections/": Route(
        lambda w: "/library/collections/",
        GET=signed_in(200),
        POST=Form({"name": "Croquet"}, signed_in(MOVED)),
    ),
    "library/collections/<int:pk>/": Route(
        lambda w: f"/library/collections/{w.collection.pk}/", GET=row(404, 200, 404, 200, 404)
    ),
    "library/collections/<int:pk>/edit/": Route(
        lambda w: f"/library/collections/{w.collection.pk}/edit/",
        POST=Form({"name": "Chapter 2", "description": ""}, OWNER_ONLY),
    ),
    "library/collections/<int:pk>/publish/": Route(
        lambda w: f"/library/collections/{w.collection.pk}/publish/",
        POST=Form({"is_public": "1"}, OWNER_ONLY),
    ),
    "library/collections/<int:pk>/delete/": Route(
        lambda w: f"/library/collections/{w.collection.pk}/delete/", POST=Form({}, OWNER_ONLY)
    ),
    "library/collections/<int:pk>/share/": Route(
        lambda w: f"/library/collections/{w.collection.pk}/share/",
        POST=Form({"username": "bob"}, OWNER_ONLY),
    ),
    "library/collections/<int:pk>/unshare/<int:user_id>/": Route(
        lambda w: f"/library/collections/{w.collection.pk}/unshare/{w.carol.pk}/",
        POST=Form({}, OWNER_ONLY),
    ),
    "library/collections/<int:pk>/entries/<int:entry_id>/": Route(
        lambda w: (
            f"/library/collections/{w.collection.pk}/entries/{w.collection.entries.get().pk}/"
        ),
        POST=Form({"action": "read"}, row(LOGIN, MOVED, 404, MOVED, 404)),
    ),
    # library: follows (private: 404 to everyone else) and feeds (the token is the
    # credential: the same answer whoever is signed in)
    "library/follows/": Route(lambda w: "/library/follows/", GET=signed_in(200)),
    "library/follows/new/": Route(
        lambda w: "/library/follows/new/",
        POST=Form(lambda w: {"kind": "keyword", "target": w.keyword.slug}, signed_in(MOVED)),
    ),
    "library/follows/<int:pk>/unfollow/": Route(
        lambda w: f"/library/follows/{w.follow.pk}/unfollow/",
        POST=Form({}, row(LOGIN, MOVED, 404, 404, 404)),
    ),
    "library/follows/<int:pk>/rename/": Route(
        lambda w: f"/library/follows/{w.follow.pk}/rename/",
        # Only a saved search has a name: alice's category follow refuses with a message.
        POST=Form({"name": "Tea"}, row(LOGIN, ERROR, 404, 404, 404)),
    ),
    "library/follows/<str:token>/feed.atom": Route(
        lambda w: f"/library/follows/{w.follow.feed_token}/feed.atom", GET=everyone(200)
    ),
    "library/collections/<int:pk>/feed.atom": Route(
        lambda w: f"/library/collections/{w.public_collection.pk}/feed.atom", GET=everyone(200)
    ),
    "researchers/<int:pk>/": Route(lambda w: f"/researchers/{w.alice.pk}/", GET=everyone(200)),
    "accounts/profile/": Route(
        lambda w: "/accounts/profile/",
        GET=signed_in(200),
        POST=Form({"affiliation": "Oxford", "bio": "Tea."}, signed_in(MOVED)),
    ),
    "me/recommendations/": Route(lambda w: "/me/recommendations/", GET=signed_in(200)),
    "me/recommendations/<int:paper_pk>/dismiss/": Route(
        lambda w: f"/me/recommendations/{w.other_paper.pk}/dismiss/",
        POST=Form({}, signed_in(MOVED)),
    ),
    "accounts/token/": Route(
        lambda w: "/accounts/token/", POST=Form({"action": "regenerate"}, signed_in(MOVED))
    ),
    "accounts/export/": Route(lambda w: "/accounts/export/", GET=signed_in(200)),
    "accounts/delete/": Route(
        lambda w: "/accounts/delete/",
        GET=signed_in(200),
        POST=Form({"password": PASSWORD}, signed_in(MOVED)),
    ),
    # The signed token in the URL is the credential: the same answer whoever is signed in.
    "email/unsubscribe/<str:token>/": Route(
        lambda w: f"/email/unsubscribe/{unsubscribe_token(w)}/",
        GET=everyone(200),
        POST=Form({"List-Unsubscribe": "One-Click"}, everyone(200)),
    ),
    "email/not-relevant/<str:token>/": Route(
        lambda w: f"/email/not-relevant/{not_relevant_token(w)}/",
        GET=everyone(200),
        POST=Form({}, everyone(200)),
    ),
    "claims/authorship/<int:authorship_pk>/": Route(
        lambda w: f"/claims/authorship/{w.free_authorship.pk}/",
        GET=signed_in(200),
        # alice and carol already hold an authorship on this paper.
        POST=Form({}, row(LOGIN, ERROR, MOVED, ERROR, MOVED)),
    ),
    "claims/authorship/<int:authorship_pk>/dispute/": Route(
        lambda w: f"/claims/authorship/{w.claim.authorship_id}/dispute/",
        GET=signed_in(200),
        POST=Form({"reason": "That is me."}, row(LOGIN, ERROR, MOVED, MOVED, MOVED)),
    ),
    # Offered after a claim: the claimant's only.
    "claims/authorship/<int:authorship_pk>/more/": Route(
        lambda w: f"/claims/authorship/{w.claim.authorship_id}/more/",
        GET=row(LOGIN, 200, 404, 404, 404),
        POST=Form({}, row(LOGIN, MOVED, 404, 404, 404)),
    ),
    "claims/<int:pk>/withdraw/": Route(
        lambda w: f"/claims/{w.claim.pk}/withdraw/",
        POST=Form({}, row(LOGIN, MOVED, 404, 404, 404)),
    ),
    "papers/<int:paper_pk>/summary/": Route(
        lambda w: f"/papers/{w.paper.pk}/summary/",
        GET=row(LOGIN, 403, 403, 200, 403),
        POST=Form({"summary": "Tea, briefly."}, row(LOGIN, 403, 403, MOVED, 403)),
    ),
    "papers/<int:paper_pk>/keywords/": Route(
        lambda w: f"/papers/{w.paper.pk}/keywords/",
        GET=row(LOGIN, 403, 403, 200, 403),
        POST=Form({"keywords": "tea, parties"}, row(LOGIN, 403, 403, MOVED, 403)),
    ),
    # sign-in and account pages (allauth)
    "accounts/login/": Route(
        lambda w: "/accounts/login/",
        GET=signed_in(MOVED, anonymous=200),  # the signed-in are sent on
        POST=Form({"login": "alice", "password": PASSWORD}, everyone(MOVED)),
        **put_like_post(signed_in(MOVED, anonymous=200), signed_in(MOVED, anonymous=405)),
    ),
    "accounts/logout/": Route(
        lambda w: "/accounts/logout/",
        GET=signed_in(200, anonymous=MOVED),  # asks; nothing to do for the anonymous
        POST=Form({}, everyone(MOVED)),
    ),
    "accounts/inactive/": Route(lambda w: "/accounts/inactive/", GET=everyone(200)),
    "accounts/signup/": Route(
        lambda w: "/accounts/signup/",
        GET=signed_in(MOVED, anonymous=200),
        POST=Form(
            {
                "email": "dora@example.org",
                "username": "dora",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            everyone(MOVED),
        ),
        **put_like_post(signed_in(MOVED, anonymous=200), signed_in(MOVED, anonymous=405)),
    ),
    "accounts/reauthenticate/": Route(
        lambda w: "/accounts/reauthenticate/",
        GET=signed_in(200),
        POST=Form({"password": PASSWORD}, signed_in(MOVED)),
        **put_like_post(signed_in(200), signed_in(405)),
    ),
    "accounts/email/": Route(
        lambda w: "/accounts/email/",
        GET=signed_in(200),
        POST=Form({"action_add": "", "email": "new-address@example.org"}, signed_in(MOVED)),
        **put_like_post(signed_in(MOVED), signed_in(405)),
    ),
    "accounts/confirm-email/": Route(lambda w: "/accounts/confirm-email/", GET=everyone(200)),
    "accounts/password/change/": Route(
        lambda w: "/accounts/password/change/",
        GET=signed_in(200),
        POST=Form(
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
            signed_in(MOVED),
        ),
        **put_like_post(signed_in(200), signed_in(405)),
    ),
    # Everyone here has a password (change it instead): sent on, whatever the method.
    "accounts/password/set/": Route(
        lambda w: "/accounts/password/set/", **every_method(signed_in(MOVED))
    ),
    "accounts/password/reset/": Route(
        lambda w: "/accounts/password/reset/",
        GET=everyone(200),
        POST=Form({"email": "alice@example.org"}, everyone(MOVED)),
        **put_like_post(everyone(200), everyone(405)),
    ),
    # No log-in by code is under way: back to the log-in page (the signed-in: on to the
    # home page), whatever the method.
    "accounts/login/code/confirm/": Route(
        lambda w: "/accounts/login/code/confirm/", **every_method(signed_in(MOVED))
    ),
    "accounts/confirm-email/(?P<key>[-:\\w]+)/$": Route(
        lambda w: f"/accounts/confirm-email/{email_confirmation_key(w)}/",
        GET=everyone(200),
        # The key is the credential: it confirms alice's new address whoever posts it; only
        # alice's own session stays signed in, the others are asked to log in.
        POST=Form({}, row(LOGIN, MOVED, LOGIN, LOGIN, LOGIN)),
    ),
    "accounts/password/reset/key/done/": Route(
        lambda w: "/accounts/password/reset/key/done/", GET=everyone(200)
    ),
    # A valid key is moved out of the URL (into the session), whatever the method.
    "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": Route(
        password_reset_path, **every_method(everyone(MOVED))
    ),
    "accounts/password/reset/done/": Route(
        lambda w: "/accounts/password/reset/done/", GET=everyone(200)
    ),
    "accounts/3rdparty/login/cancelled/": Route(
        lambda w: "/accounts/3rdparty/login/cancelled/", GET=everyone(200)
    ),
    "accounts/3rdparty/login/error/": Route(
        lambda w: "/accounts/3rdparty/login/error/", GET=everyone(401)
    ),
    # No ORCID sign-up is under way: back to the log-in page, whatever the method.
    "accounts/3rdparty/signup/": Route(
        lambda w: "/accounts/3rdparty/signup/", **every_method(everyone(LOGIN))
    ),
    "accounts/3rdparty/": Route(
        lambda w: "/accounts/3rdparty/",
        GET=signed_in(200),
        # Disconnecting bob's linked account: only bob may; the others see the form again.
        POST=Form(
            lambda w: {"account": SocialAccount.objects.get(user=w.bob).pk},
            row(LOGIN, 200, MOVED, 200, 200),
        ),
        **put_like_post(signed_in(200), signed_in(405)),
    ),
    # allauth's old addresses: redirects to the new ones, whatever the method.
    "accounts/social/login/cancelled/": Route(
        lambda w: "/accounts/social/login/cancelled/", **every_method(everyone(MOVED))
    ),
    "accounts/social/login/error/": Route(
        lambda w: "/accounts/social/login/error/", **every_method(everyone(MOVED))
    ),
    "accounts/social/signup/": Route(
        lambda w: "/accounts/social/signup/", **every_method(everyone(MOVED))
    ),
    "accounts/social/connections/": Route(
        lambda w: "/accounts/social/connections/", **every_method(everyone(MOVED))
    ),
    "accounts/orcid/login/": Route(
        lambda w: "/accounts/orcid/login/",
        GET=everyone(200),  # asks first: the redirect to ORCID is a POST
        POST=Form({}, everyone(MOVED)),
        # Other methods start the redirect to ORCID as well (nothing of ours changes).
        PUT=everyone(MOVED),
        PATCH=everyone(MOVED),
        DELETE=everyone(MOVED),
    ),
    # Without the state of a sign-in we started: an authentication error, whatever the method.
    "accounts/orcid/login/callback/": Route(
        lambda w: "/accounts/orcid/login/callback/", **every_method(everyone(401))
    ),
    # the browsable API's log-in links (allauth's views again)
    "api/v1/auth/login/": Route(
        lambda w: "/api/v1/auth/login/",
        GET=signed_in(MOVED, anonymous=200),
        POST=Form({"login": "alice", "password": PASSWORD}, everyone(MOVED)),
        **put_like_post(signed_in(MOVED, anonymous=200), signed_in(MOVED, anonymous=405)),
    ),
    "api/v1/auth/logout/": Route(
        lambda w: "/api/v1/auth/logout/",
        GET=signed_in(200, anonymous=MOVED),
        POST=Form({}, everyone(MOVED)),
    ),
    # the API: accounts
    "api/v1/researchers/$": Route(lambda w: "/api/v1/researchers/", GET=everyone(200)),
    "api/v1/researchers/me/$": Route(
        lambda w: "/api/v1/researchers/me/",
        GET=signed_in(200, anonymous=403),
        PATCH=Json({"bio": "Tea."}, signed_in(200, anonymous=403)),
    ),
    "api/v1/researchers/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/researchers/{w.alice.pk}/", GET=everyone(200)
    ),
    "api/v1/claims/$": Route(
        lambda w: "/api/v1/claims/",
        GET=signed_in(200, anonymous=403),
        POST=Json(
            lambda w: {"authorship": w.free_authorship.pk},
            row(403, 400, 201, 400, 201),  # alice and carol hold one on this paper
        ),
    ),
    "api/v1/claims/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/claims/{w.claim.pk}/", GET=row(403, 200, 404, 404, 200)
    ),
    "api/v1/claims/(?P<pk>[0-9]+)/approve/$": Route(
        lambda w: f"/api/v1/claims/{w.claim.pk}/approve/",
        POST=Json({"reason": "Same person."}, row(403, 403, 404, 404, 200)),
    ),
    "api/v1/claims/(?P<pk>[0-9]+)/reject/$": Route(
        lambda w: f"/api/v1/claims/{w.claim.pk}/reject/",
        POST=Json({"reason": "Not the same person."}, row(403, 403, 404, 404, 200)),
    ),
    "api/v1/claims/(?P<pk>[0-9]+)/withdraw/$": Route(
        lambda w: f"/api/v1/claims/{w.claim.pk}/withdraw/",
        # The curator sees every claim but withdraws none: only the claimant does.
        POST=Json({}, row(403, 200, 404, 404, 403)),
    ),
    "api/v1/me/recommendations/$": Route(
        lambda w: "/api/v1/me/recommendations/", GET=signed_in(200, anonymous=403)
    ),
    "api/v1/me/recommendations/(?P<paper_id>[0-9]+)/dismiss/$": Route(
        lambda w: f"/api/v1/me/recommendations/{w.other_paper.pk}/dismiss/",
        POST=Json({}, signed_in(204, anonymous=403)),
    ),
    # the API: private notes (only their author sees them: 404 to everyone else)
    "api/v1/notes/$": Route(
        lambda w: "/api/v1/notes/",
        GET=signed_in(200, anonymous=403),
        POST=Json(
            lambda w: {"paper": w.other_paper.pk, "text": "Flamingos."},
            signed_in(201, anonymous=403),
        ),
    ),
    "api/v1/notes/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/notes/{w.note.pk}/",
        GET=row(403, 200, 404, 404, 404),
        PUT=Json(lambda w: {"paper": w.paper.pk, "text": "Tea."}, row(403, 200, 404, 404, 404)),
        PATCH=Json({"text": "Tea."}, row(403, 200, 404, 404, 404)),
        DELETE=row(403, 204, 404, 404, 404),
    ),
    # the library: collection downloads (private: its owner and editors; 404 to the rest)
    r"^library/collections/(?P<pk>[0-9]+)/export\.(?P<extension>bib|ris|json|txt)$": Route(
        lambda w: f"/library/collections/{w.collection.pk}/export.bib",
        GET=row(404, 200, 404, 200, 404),
    ),
    r"^library/export\.(?P<extension>bib|ris|json|txt)$": Route(
        lambda w: "/library/export.ris", GET=signed_in(200)
    ),
    # the API: collections (private: 404 to all but the owner and carol, its editor; only
    # the owner manages it, carol gets 403)
    "api/v1/collections/$": Route(
        lambda w: "/api/v1/collections/",
        GET=signed_in(200, anonymous=403),
        POST=Json({"name": "Croquet"}, signed_in(201, anonymous=403)),
    ),
    "api/v1/collections/export/$": Route(
        lambda w: "/api/v1/collections/export/", GET=signed_in(200, anonymous=403)
    ),
    "api/v1/collections/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/collections/{w.collection.pk}/",
        GET=row(404, 200, 404, 200, 404),
        PUT=Json(
            {"name": "Through it", "description": "", "is_public": False},
            row(403, 200, 404, 403, 404),
        ),
        PATCH=Json({"is_public": True}, row(403, 200, 404, 403, 404)),
        DELETE=row(403, 204, 404, 403, 404),
    ),
    "api/v1/collections/(?P<pk>[0-9]+)/export/$": Route(
        lambda w: f"/api/v1/collections/{w.collection.pk}/export/",
        GET=row(404, 200, 404, 200, 404),
    ),
    "api/v1/collections/(?P<pk>[0-9]+)/share/$": Route(
        lambda w: f"/api/v1/collections/{w.collection.pk}/share/",
        POST=Json({"username": "bob"}, row(403, 200, 404, 403, 404)),
    ),
    "api/v1/collections/(?P<pk>[0-9]+)/unshare/$": Route(
        lambda w: f"/api/v1/collections/{w.collection.pk}/unshare/",
        POST=Json({"username": "carol"}, row(403, 200, 404, 403, 404)),
    ),
    "api/v1/collections/(?P<collection_id>[0-9]+)/entries/$": Route(
        lambda w: f"/api/v1/collections/{w.collection.pk}/entries/",
        GET=row(404, 200, 404, 200, 404),
        POST=Json(lambda w: {"paper": w.other_paper.pk}, row(403, 201, 404, 201, 404)),
    ),
    "api/v1/collections/(?P<collection_id>[0-9]+)/entries/(?P<paper_id>[0-9]+)/$": Route(
        lambda w: f"/api/v1/collections/{w.collection.pk}/entries/{w.paper.pk}/",
        GET=row(404, 200, 404, 200, 404),
        PATCH=Json({"note": "Jam tomorrow.", "state": "read"}, row(403, 200, 404, 200, 404)),
        DELETE=row(403, 204, 404, 204, 404),
    ),
    # the API: imports of reference managers' exports (their owner's only)
    "api/v1/imports/$": Route(
        lambda w: "/api/v1/imports/",
        GET=signed_in(200, anonymous=403),
        POST=Form(
            lambda w: {"file": bib_upload(), "collection_name": "Imported"},
            signed_in(202, anonymous=403),
        ),
    ),
    "api/v1/imports/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/imports/{w.import_job.pk}/", GET=row(403, 200, 404, 404, 404)
    ),
    "api/v1/imports/(?P<pk>[0-9]+)/items/$": Route(
        lambda w: f"/api/v1/imports/{w.import_job.pk}/items/", GET=row(403, 200, 404, 404, 404)
    ),
    # the API: follows (only their reader sees them: 404 to everyone else); following
    # again what one follows is 200, a new follow 201
    "api/v1/follows/$": Route(
        lambda w: "/api/v1/follows/",
        GET=signed_in(200, anonymous=403),
        POST=Json(
            lambda w: {"kind": "keyword", "target": w.keyword.slug},
            signed_in(201, anonymous=403),
        ),
    ),
    "api/v1/follows/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/follows/{w.follow.pk}/",
        GET=row(403, 200, 404, 404, 404),
        DELETE=row(403, 204, 404, 404, 404),
    ),
    # the API: the catalogue
    "api/v1/": Route(lambda w: "/api/v1/", GET=everyone(200)),
    "api/v1/papers/$": Route(
        lambda w: "/api/v1/papers/",
        GET=everyone(200),
        POST=Json({"doi": "10.5555/matrix.api"}, signed_in(202, anonymous=403)),
    ),
    "api/v1/papers/similar/$": Route(
        lambda w: "/api/v1/papers/similar/",
        POST=Json({"text": "Tea parties and croquet", "limit": 5}, everyone(200)),
    ),
    "api/v1/papers/doi/(?P<doi>.+)/$": Route(
        lambda w: f"/api/v1/papers/doi/{w.paper.doi}/", GET=everyone(200)
    ),
    "api/v1/papers/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/papers/{w.paper.pk}/", GET=everyone(200)
    ),
    "api/v1/papers/(?P<pk>[0-9]+)/related/$": Route(
        lambda w: f"/api/v1/papers/{w.paper.pk}/related/", GET=everyone(200)
    ),
    "api/v1/papers/(?P<pk>[0-9]+)/references/$": Route(
        lambda w: f"/api/v1/papers/{w.paper.pk}/references/", GET=everyone(200)
    ),
    "api/v1/papers/(?P<pk>[0-9]+)/cited-by/$": Route(
        lambda w: f"/api/v1/papers/{w.paper.pk}/cited-by/", GET=everyone(200)
    ),
    "api/v1/papers/(?P<pk>[0-9]+)/cite/$": Route(
        lambda w: f"/api/v1/papers/{w.paper.pk}/cite/", GET=everyone(200)
    ),
    "api/v1/journals/$": Route(lambda w: "/api/v1/journals/", GET=everyone(200)),
    "api/v1/journals/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/journals/{w.journal.pk}/", GET=everyone(200)
    ),
    "api/v1/authors/$": Route(lambda w: "/api/v1/authors/", GET=everyone(200)),
    "api/v1/authors/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/authors/{w.author.pk}/", GET=everyone(200)
    ),
    "api/v1/categories/$": Route(lambda w: "/api/v1/categories/", GET=everyone(200)),
    "api/v1/categories/(?P<slug>[^/]+)/$": Route(
        lambda w: f"/api/v1/categories/{w.category.slug}/", GET=everyone(200)
    ),
    "api/v1/keywords/$": Route(lambda w: "/api/v1/keywords/", GET=everyone(200)),
    "api/v1/keywords/(?P<slug>[^/]+)/$": Route(
        lambda w: f"/api/v1/keywords/{w.keyword.slug}/", GET=everyone(200)
    ),
    "api/v1/funders/$": Route(lambda w: "/api/v1/funders/", GET=everyone(200)),
    "api/v1/funders/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/funders/{w.funder.pk}/", GET=everyone(200)
    ),
    # the API: reviews and resource requests
    "api/v1/reviews/$": Route(
        lambda w: "/api/v1/reviews/",
        GET=everyone(200),
        # alice and bob reviewed the paper already; carol is its author.
        POST=Json(lambda w: {"paper": w.paper.pk, "rating": 4}, row(403, 409, 409, 403, 201)),
    ),
    "api/v1/reviews/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/reviews/{w.review.pk}/",
        GET=everyone(200),
        PUT=Json(
            lambda w: {"paper": w.paper.pk, "rating": 5, "text": "Even better."},
            row(403, 200, 403, 403, 403),
        ),
        PATCH=Json({"rating": 5}, row(403, 200, 403, 403, 403)),
        DELETE=row(403, 204, 403, 403, 403),
    ),
    "api/v1/resource-requests/$": Route(
        lambda w: "/api/v1/resource-requests/",
        GET=everyone(200),
        POST=Json(
            lambda w: {"paper": w.paper.pk, "kind": "code", "message": "The scripts?"},
            signed_in(201, anonymous=403),
        ),
    ),
    "api/v1/resource-requests/(?P<pk>[0-9]+)/$": Route(
        lambda w: f"/api/v1/resource-requests/{w.asked.pk}/", GET=everyone(200)
    ),
    "api/v1/resource-requests/(?P<pk>[0-9]+)/answers/$": Route(
        lambda w: f"/api/v1/resource-requests/{w.asked.pk}/answers/",
        POST=Json({"text": "Here."}, signed_in(201, anonymous=403)),
    ),
    "api/v1/resource-requests/(?P<pk>[0-9]+)/me-too/$": Route(
        lambda w: f"/api/v1/resource-requests/{w.asked.pk}/me-too/",
        POST=Json({}, row(403, 403, 200, 200, 200)),
    ),
    "api/v1/resource-requests/(?P<pk>[0-9]+)/status/$": Route(
        lambda w: f"/api/v1/resource-requests/{w.asked.pk}/status/",
        POST=Json({"status": "acknowledged"}, row(403, 403, 403, 200, 200)),
    ),
}

# --- the admin ---
#
# Anonymous and signed-in non-staff readers are sent to the admin's log-in page from every
# admin view. The curator's answer depends on their permissions and on each ModelAdmin's
# own rules (no "add" for claims and reviews, and so on): one row per registered model,
# over the five views Django gives each (changelist, add, history, delete, change). The
# sixth, "<object_id>/", only redirects to the change page.

NOT_STAFF = {role: ADMIN_LOGIN for role in ROLES if role != "curator"}
MODEL_VIEWS = ("changelist", "add", "history", "delete", "change")
SEEN = dict(changelist=200, add=403, history=200, delete=403, change=200)
UNSEEN = dict(changelist=403, add=403, history=403, delete=403, change=403)

ADMIN_MODELS = {
    "auth.group": UNSEEN,
    "django_celery_beat.periodictask": UNSEEN,
    "django_celery_beat.clockedschedule": UNSEEN,
    "django_celery_beat.crontabschedule": UNSEEN,
    "django_celery_beat.solarschedule": UNSEEN,
    "django_celery_beat.intervalschedule": UNSEEN,
    "accounts.user": UNSEEN,  # email addresses and passwords: superusers only
    "accounts.claim": SEEN,
    "accounts.claimdispute": SEEN,
    "accounts.claimdecision": UNSEEN,  # shown inside the claim
    "accounts.sentemail": UNSEEN,
    "recommendations.digest": UNSEEN,
    "library.collection": UNSEEN,  # private reading: superusers only
    "papers.paper": SEEN,
    "papers.journal": SEEN,
    "papers.author": SEEN,
    "papers.keyword": SEEN,
    "papers.category": SEEN,
    "papers.funder": SEEN,
    "papers.versionlink": SEEN,
    "papers.journalref": SEEN,  # read-only: imports write them
    "papers.recommendationrun": UNSEEN,  # operators (superusers) follow rebuilds
    "reviews.review": SEEN,
    "reviews.ratingsummary": UNSEEN,
    "reviews.resourcerequest": SEEN,
    "reviews.resourceanswer": SEEN,
    "account.emailaddress": UNSEEN,
    "socialaccount.socialapp": UNSEEN,
    "socialaccount.socialtoken": UNSEEN,
    "socialaccount.socialaccount": UNSEEN,
    "authtoken.tokenproxy": UNSEEN,
}


def admin_only(curator):
    return {**NOT_STAFF, "curator": curator}


def content_type_path(w):
    return f"/admin/r/{ContentType.objects.get_for_model(Paper).pk}/{w.paper.pk}/"


# The admin site's own views, by URL name (the app index's route lists every app label).
ADMIN_SITE = {
    "index": Route(lambda w: "/admin/", GET=admin_only(200)),
    # Non-staff readers get the log-in form (with "not authorised"), staff the index.
    "login": Route(lambda w: "/admin/login/", GET=row(200, 200, 200, 200, MOVED)),
    # The admin sends non-staff from its log-out to its index (its log-in page would loop);
    # log-out is a POST.
    "logout": Route(
        lambda w: "/admin/logout/",
        GET=row(MOVED, MOVED, MOVED, MOVED, 405),
        POST=Form({}, everyone(MOVED)),
    ),
    "password_change": Route(lambda w: "/admin/password_change/", GET=admin_only(200)),
    "password_change_done": Route(lambda w: "/admin/password_change/done/", GET=admin_only(200)),
    "autocomplete": Route(lambda w: "/admin/autocomplete/", GET=admin_only(403)),
    "jsi18n": Route(lambda w: "/admin/jsi18n/", GET=admin_only(200)),
    "view_on_site": Route(content_type_path, GET=admin_only(MOVED)),
    "app_list": Route(lambda w: "/admin/papers/", GET=admin_only(200)),
    "catch_all": Route(lambda w: "/admin/no-such-page/", GET=admin_only(404)),
    # The digest preview shows a user's email: it needs the permission to view users.
    "accounts_user_digest_preview": Route(
        lambda w: f"/admin/accounts/user/{w.alice.pk}/digest-preview/", GET=admin_only(403)
    ),
    "auth_user_password_change": Route(
        lambda w: f"/admin/accounts/user/{w.alice.pk}/password/", GET=admin_only(403)
    ),
}

ADMIN_MODEL_ROUTE = r"admin/(?P<app>\w+)/(?P<model>\w+)/(?P<rest>.*)"
MODEL_VIEW_OF_REST = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "redirect",
}


def admin_model_route(app, model, view):
    from django.apps import apps

    model_class = apps.get_model(app, model)

    def path(w):
        base = f"/admin/{app}/{model}/"
        if view in ("changelist", "add"):
            return base + ("add/" if view == "add" else "")
        first = model_class._default_manager.order_by("pk").first()
        assert first is not None, f"the world needs a {app}.{model} for its admin pages"
        # .pk, not the primary key column: DRF's TokenProxy gives its user's id as pk.
        return base + f"{first.pk}/" + ("" if view == "redirect" else f"{view}/")

    expected = MOVED if view == "redirect" else ADMIN_MODELS[f"{app}.{model}"][view]
    return Route(path, GET=admin_only(expected))


# --- reading the URLconf ---


def walk(patterns, prefix=""):
    """(route, URL name, view name) of every URL pattern, as Django's ResolverMatch.route
    writes the route (an included regex loses its "^")."""
    for pattern in patterns:
        part = str(pattern.pattern)
        route = prefix + (part[1:] if prefix and part.startswith("^") else part)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name, getattr(pattern.callback, "__name__", "")


def entry_for(route, name, view_name):
    """This route's entry in the matrix, or None."""
    import re

    if not route.startswith("admin/"):
        return MATRIX.get(route)
    site_key = "catch_all" if view_name == "catch_all_view" else name
    if site_key in ADMIN_SITE:
        return ADMIN_SITE[site_key]
    match = re.fullmatch(ADMIN_MODEL_ROUTE, route)
    if match and f"{match['app']}.{match['model']}" in ADMIN_MODELS:
        view = MODEL_VIEW_OF_REST.get(match["rest"])
        if view:
            return admin_model_route(match["app"], match["model"], view)
    return None


def routes_and_entries():
    """{route: entry or None} for every route of the URLconf (a shadowed duplicate, such
    as allauth's own "accounts/login/" behind ours, is one route)."""
    table = {}
    for route, name, view_name in walk(get_resolver().url_patterns):
        table.setdefault(route, entry_for(route, name, view_name))
    return table


def test_every_route_has_an_entry_and_every_entry_a_route():
    table = routes_and_entries()
    problems = [
        f"new endpoint {route} has no entry in the permission matrix"
        for route, entry in table.items()
        if entry is None
    ]
    problems += [
        f"the permission matrix has an entry for {route}, which is no longer a route"
        for route in MATRIX
        if route not in table
    ]
    names = {name for _, name, _ in walk(get_resolver().url_patterns)}
    problems += [
        f"the permission matrix has an entry for admin:{name}, which is no longer a route"
        for name in ADMIN_SITE
        if name != "catch_all" and name not in names
    ]
    admin_models = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin_site_models()}
    problems += [
        f"the permission matrix has an entry for the admin of {label}, no longer registered"
        for label in ADMIN_MODELS
        if label not in admin_models
    ]
    assert not problems, "\n".join(problems)


def admin_site_models():
    from django.contrib import admin

    return list(admin.site._registry)


# --- running the cells ---


def outcome(response):
    """The status code, or what kind of redirect (see the module docstring)."""
    if response.status_code not in (301, 302, 303):
        return response.status_code
    location = response["Location"].split("?")[0]
    if location == "/admin/login/":
        return ADMIN_LOGIN
    if location == resolve_url(settings.LOGIN_URL):
        return LOGIN
    levels = [message.level for message in messages.get_messages(response.wsgi_request)]
    return ERROR if messages.ERROR in levels else MOVED


def request(world, role, method, path_of, body):
    """One cell: the request made on the world, then rolled back. Returns (path, outcome)."""
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    # Kept pages and rate-limit counters (allauth's) live in caches, outside the rollback.
    caches["pages"].clear()
    caches["default"].clear()
    with transaction.atomic():
        path = path_of(world)
        if isinstance(body, Json):
            data = body.data(world) if callable(body.data) else body.data
            response = client.generic(
                method, path, json.dumps(data), content_type="application/json"
            )
        elif isinstance(body, Form):
            response = client.post(path, body.data(world) if callable(body.data) else body.data)
        else:
            response = client.generic(method, path)
        transaction.set_rollback(True)
    return path, outcome(response)


def test_every_role_gets_the_expected_answer_from_every_route(world):
    mismatches = []
    cells = 0
    for route, entry in sorted(routes_and_entries().items()):
        if entry is None:
            continue  # reported by the test above
        with transaction.atomic():
            sample = entry.url(world)
            transaction.set_rollback(True)
        reached = resolve(sample.split("?")[0]).route
        if reached != route:
            mismatches.append(f"{sample} reaches {reached}, not {route}: fix its entry's url")
            continue
        for method, spec in entry.methods.items():
            expected = spec if isinstance(spec, dict) else spec.expected
            body = None if isinstance(spec, dict) else spec
            for role in ROLES:
                cells += 1
                path, got = request(world, role, method, entry.url, body)
                if got != expected[role]:
                    mismatches.append(
                        f"{method} {path} ({route}) as {role}: expected {expected[role]}, got {got}"
                    )
        if route.startswith("admin/"):
            continue  # admin views take POST for their forms; the rule covers GET
        for method in METHODS:
            if method not in entry.methods:
                path, got = request(world, "curator", method, entry.url, None)
                if got != 405:
                    mismatches.append(
                        f"{method} {path} ({route}) as curator: a method without an entry "
                        f"must be refused with 405, got {got}"
                    )
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)
