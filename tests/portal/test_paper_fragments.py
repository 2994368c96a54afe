"""The paper page from cached fragments (portal.paper_fragments): every write that changes
what the page shows is on the page at once, no reader's own parts reach another reader, no
fragment holds a CSRF token or a nonce, and a signed-in page costs a fixed number of queries.

Each write-path test first renders the page (so its fragments are cached), then writes
through the portal's own function, then reads the page again as a signed-in reader (whose
page is never the anonymous page cache's copy).
"""

import dataclasses

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import claims, profiles
from accounts.forms import FREQUENCY_FIELDS
from accounts.models import Claim
from papers import curation, merge, recommend
from papers.crossref import parse_work
from papers.ingest import UPDATED, ImportReport, import_works, upsert_work
from papers.models import Keyword, Paper, PaperKeyword
from papers.recommend import rebuild_related
from portal import paper_fragments
from reviews import ratings, resources
from reviews.models import Review
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory
from tests.records import crossref_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def dave(db):
    return UserFactory(username="dave", first_name="Dave", last_name="Reader")


def page_as(user, paper):
    """The paper page as ``user`` sees it (a fresh client, logged in)."""
    client = Client()
    client.force_login(user)
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def cached_fragments(paper):
    """The fragments kept for ``paper``'s current version (built if they are not)."""
    paper = Paper.objects.for_page_row().get(pk=paper.pk)
    return paper_fragments.fragments_for(RequestFactory().get("/"), paper)


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


# --- every write path is on the page at once ---


def test_a_curator_edit_through_curation(paper, dave):
    assert "Tea parties considered harmful" in page_as(dave, paper)
    paper = Paper.objects.get(pk=paper.pk)
    changed = curation.set_fields(paper, {"title": "Tea parties reconsidered"}, source="curator")
    curation.record_edit(paper, changed, source="curator")

    html = page_as(dave, paper)
    assert "Tea parties reconsidered" in html
    assert "Tea parties considered harmful" not in html


def test_a_registry_import_of_a_changed_record(dave):
    work = parse_work(crossref_record("10.1016_j.ffa.2015.10.008.json"))
    paper, _ = upsert_work(work)
    assert work.title in page_as(dave, paper)

    _, outcome = upsert_work(dataclasses.replace(work, title="A corrected title from Crossref"))

    assert outcome == UPDATED
    html = page_as(dave, paper)
    assert "A corrected title from Crossref" in html


def test_a_bulk_import_of_a_changed_record_and_a_renamed_author(
    dave, django_capture_on_commit_callbacks
):
    record = crossref_record("10.1016_j.ffa.2015.10.008.json")
    work = parse_work(record)
    import_works([("first", work)], report=ImportReport(), source="crossref")
    paper = Paper.objects.get(doi=work.doi)
    assert work.title in page_as(dave, paper)
    other = PaperFactory()
    AuthorshipFactory(
        paper=other, author=AuthorFactory(orcid="0000-0002-1825-0097", name="J. Carberry")
    )
    assert "J. Carberry" in page_as(dave, other)

    changed = dataclasses.replace(work, title="A corrected title from the bulk path")
    changed = dataclasses.replace(
        changed,
        authors=(
            dataclasses.replace(changed.authors[0], orcid="0000-0002-1825-0097"),
            *changed.authors[1:],
        ),
    )
    # The author's other papers are bumped once the import commits (papers.versions).
    with django_capture_on_commit_callbacks(execute=True):
        report = import_works([("again", changed)], report=ImportReport(), source="crossref")

    assert report.updated == 1, report
    assert "A corrected title from the bulk path" in page_as(dave, paper)
    # The ORCID author's name now comes from the record, on every page that shows them.
    assert "J. Carberry" not in page_as(dave, other)


def test_a_rating_recompute_that_uses_update(paper, dave, alice, bob, settings):
    settings.RATINGS_MIN_SHOWN = 2
    # Reviews written without the write path (an old import), then the nightly recompute.
    Review.objects.create(paper=paper, user=alice, rating=5)
    Review.objects.create(paper=paper, user=bob, rating=4)
    assert "from 2 ratings" not in page_as(dave, paper)

    ratings.recompute_all([paper.pk])

    html = page_as(dave, paper)
    assert "from 2 ratings" in html
    assert '<p class="rating-big">4.5</p>' in html


def test_a_review_written_hidden_and_restored(paper, dave, alice, curator):
    page_as(dave, paper)
    review, _ = ratings.submit_review(user=alice, paper=paper, rating=4, text="Sound methods.")
    assert "Sound methods." in page_as(dave, paper)

    ratings.hide_review(review, curator=curator, reason="spam")
    assert "Sound methods." not in page_as(dave, paper)

    ratings.restore_review(review)
    assert "Sound methods." in page_as(dave, paper)


def test_a_helpful_vote(paper, dave, alice, bob):
    review, _ = ratings.submit_review(user=alice, paper=paper, rating=4, text="Sound methods.")
    assert "0 found this helpful" in page_as(dave, paper)

    ratings.mark_helpful(user=bob, review=review)

    assert "1 found this helpful" in page_as(dave, paper)


def test_resource_requests_answers_me_toos_moves_and_moderation(paper, dave, alice, bob, carol):
    page_as(dave, paper)
    asked = resources.ask(user=alice, paper=paper, kind="data", message="The raw counts, please")
    assert "The raw counts, please" in page_as(dave, paper)

    resources.me_too(user=bob, resource_request=asked)
    assert "1 also wants this" in page_as(dave, paper)

    reply = resources.answer(user=carol, resource_request=asked, text="Uploading them now")
    assert "Uploading them now" in page_as(dave, paper)

    resources.fulfil(asked, by=carol, link="https://data.example.org/counts")
    assert "https://data.example.org/counts" in page_as(dave, paper)

    staff = UserFactory(username="moderator", is_staff=True, is_superuser=True)
    resources.hide(reply, curator=staff, reason="wrong paper")
    assert "Uploading them now" not in page_as(dave, paper)
    resources.restore(reply, curator=staff)
    assert "Uploading them now" in page_as(dave, paper)


def test_claims_made_decided_and_withdrawn(paper, dave, bob, curator):
    assert "claim pending" not in page_as(dave, paper)
    authorship = paper.authorships.get(position=2)
    claim = claims.claim_authorship(user=bob, authorship=authorship)
    assert "claim pending" in page_as(dave, paper)

    claims.approve_claim(claim, by=curator)
    assert "verified author: Bob Builder" in page_as(dave, paper)

    claims.withdraw_claim(Claim.objects.get(pk=claim.pk), by=bob)
    html = page_as(dave, paper)
    assert "verified author: Bob Builder" not in html
    assert "claim pending" not in html


def test_an_author_merge(paper, dave):
    other = PaperFactory(title="Another paper by the same person")
    keep = AuthorFactory(given_name="Carol L.", family_name="Carroll")
    AuthorshipFactory(paper=other, position=0, author=keep)
    assert "Carol L. Carroll" not in page_as(dave, paper)

    merge.merge_authors(keep=keep, others=[paper.authorships.get(position=0).author])

    assert "Carol L. Carroll" in page_as(dave, paper)


def test_a_keyword_merge(paper, dave):
    old = Keyword.objects.create(name="tea ceremonies", slug="tea-ceremonies")
    new = Keyword.objects.create(name="tea rituals", slug="tea-rituals")
    PaperKeyword.objects.create(paper=paper, keyword=old, source="curator")
    assert "tea ceremonies" in page_as(dave, paper)

    merge.merge_keywords(keep=new, others=[old])

    html = page_as(dave, paper)
    assert "tea rituals" in html
    assert "tea ceremonies" not in html


def test_a_journal_renamed_in_the_admin(paper, dave, admin_client):
    journal = paper.journal
    assert journal.title in page_as(dave, paper)

    response = admin_client.post(
        reverse("admin:papers_journal_change", args=[journal.pk]),
        {"title": "Journal of Renamed Things", "issn_print": "", "issn_electronic": ""},
    )

    assert response.status_code == 302
    assert "Journal of Renamed Things" in page_as(dave, paper)


def test_a_rebuild_of_the_related_lists(dave):
    paper = PaperFactory(title="Tea parties in the garden", abstract="Tea, cakes and hats.")
    PaperFactory(title="Tea parties by the river", abstract="Tea, cakes and boats.")
    assert "Tea parties by the river" not in page_as(dave, paper)

    rebuild_related()

    assert "Tea parties by the river" in page_as(dave, paper)


def _rename_on_profile(user, display_name):
    client = Client()
    client.force_login(user)
    frequencies = {name: "off" for name in FREQUENCY_FIELDS}
    response = client.post(
        reverse("accounts:profile-edit"), {"display_name": display_name, **frequencies}
    )
    assert response.status_code == 302


@pytest.fixture
def people_on_the_page(paper, alice, bob, carol):
    """Alice reviewed the paper and asked for its data, Bob answered, Carol is its verified
    author: each name is on the page (cached)."""
    ratings.submit_review(user=alice, paper=paper, rating=4, text="Sound methods.")
    asked = resources.ask(user=alice, paper=paper, kind="data", message="The raw counts")
    resources.answer(user=bob, resource_request=asked, text="Uploading them now")
    return paper


@pytest.mark.parametrize(
    ("who", "new_name"),
    [("alice", "Dr A. Liddell"), ("bob", "Robert the Builder"), ("carol", "Prof. C. Carroll")],
)
def test_a_name_changed_on_a_profile_is_on_the_page_at_once(
    people_on_the_page, dave, who, new_name, request, django_assert_num_queries
):
    paper = people_on_the_page
    user = request.getfixturevalue(who)
    assert new_name not in page_as(dave, paper)
    version = Paper.objects.get(pk=paper.pk).content_version
    other = PaperFactory(title="A paper none of them touched")

    _rename_on_profile(user, new_name)

    assert new_name in page_as(dave, paper)
    assert Paper.objects.get(pk=paper.pk).content_version == version + 1
    assert Paper.objects.get(pk=other.pk).content_version == other.content_version
    # One UPDATE whatever the number of papers (subqueries of ids).
    with django_assert_num_queries(1):
        assert profiles.bump_pages_showing(user.pk) == 1


def test_a_name_changed_in_the_admin_is_on_the_page_at_once(people_on_the_page, dave, admin_client):
    paper = people_on_the_page
    alice = Review.objects.get(paper=paper).user
    assert "Alicia" not in page_as(dave, paper)
    data = {
        "username": "alice",
        "first_name": "Alicia",
        "last_name": "Liddell",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": alice.profile.pk,
        "profile-0-user": alice.pk,
        **{f"profile-0-{name}": "off" for name in FREQUENCY_FIELDS},
    }

    response = admin_client.post(reverse("admin:accounts_user_change", args=[alice.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Alicia Liddell" in page_as(dave, paper)


def test_a_deleted_account_leaves_the_page_at_once(people_on_the_page, dave, alice, carol):
    paper = people_on_the_page
    resources.me_too(user=carol, resource_request=paper.resource_requests.get())
    html = page_as(dave, paper)
    assert "Alice Liddell" in html and "a deleted user" not in html
    assert "verified author: Carol Carroll" in html
    assert "1 also wants this" in html
    for user in (alice, carol):
        user.set_password("tea-party-42")
        user.save()
        client = Client()
        client.force_login(user)
        response = client.post(reverse("accounts:delete"), {"password": "tea-party-42"})
        assert response.status_code == 302

    html = page_as(dave, paper)
    assert "a deleted user" in html
    assert "Sound methods." in html
    assert "verified author: Carol Carroll" not in html
    assert "also wants this" not in html  # Carol's "me too" went with her account


@pytest.fixture
def listed_pair(dave):
    """Paper A whose "Recommended" list shows paper B (A's page cached)."""
    a = PaperFactory(title="Tea parties in the garden", abstract="Tea, cakes and hats.")
    b = PaperFactory(
        title="Tea parties by the river", abstract="Tea, cakes and boats.", published_year=2019
    )
    rebuild_related()
    assert "Tea parties by the river" in page_as(dave, a)
    return a, b


def test_a_listed_paper_renamed_by_a_curator_is_renamed_in_the_lists_showing_it(
    listed_pair, dave, django_assert_num_queries, django_capture_on_commit_callbacks
):
    a, b = listed_pair
    b = Paper.objects.get(pk=b.pk)
    changed = curation.set_fields(b, {"title": "Tea parties on the lake"}, source="curator")

    with django_capture_on_commit_callbacks() as callbacks:
        curation.record_edit(b, changed, source="curator")
    # Not inside the edit's transaction (it would lock A's row: papers.versions).
    assert "Tea parties by the river" in page_as(dave, a)
    bump = callbacks[0]  # the re-placement task is enqueued after it, and not run here
    # A's row locked, then bumped (and, inside this test's transaction, a savepoint around).
    with django_assert_num_queries(4):
        bump()

    # Once committed: the re-placement task may run much later.
    html = page_as(dave, a)
    assert "Tea parties on the lake" in html
    assert "Tea parties by the river" not in html
    # One UPDATE, whatever the number of lists showing B.
    with django_assert_num_queries(1):
        curation.bump_version(curation.pages_listing([b.pk]))


def test_a_listed_paper_whose_year_a_curator_changed_shows_it_in_the_lists(
    listed_pair, dave, django_capture_on_commit_callbacks
):
    a, b = listed_pair
    b = Paper.objects.get(pk=b.pk)
    changed = curation.set_fields(b, {"published_year": 2021}, source="curator")
    with django_capture_on_commit_callbacks(execute=True):
        curation.record_edit(b, changed, source="curator")

    assert "2021" in page_as(dave, a).split('id="h-recommended"')[1]


def test_a_listed_paper_renamed_by_a_bulk_import_is_renamed_in_the_lists(
    dave, django_capture_on_commit_callbacks
):
    work = parse_work(crossref_record("10.1016_j.ffa.2015.10.008.json"))
    import_works([("first", work)], report=ImportReport(), source="crossref")
    a = PaperFactory(title=work.title, abstract=work.abstract)
    rebuild_related()
    assert work.title in page_as(dave, a).split('id="h-recommended"')[1]

    renamed = dataclasses.replace(work, title="A corrected title from the bulk path")
    with django_capture_on_commit_callbacks(execute=True):
        report = import_works([("again", renamed)], report=ImportReport(), source="crossref")

    assert report.updated == 1, report
    listed = page_as(dave, a).split('id="h-recommended"')[1]
    assert "A corrected title from the bulk path" in listed


def test_a_listed_papers_journal_renamed_in_the_admin(listed_pair, dave, admin_client):
    a, b = listed_pair
    journal = Paper.objects.get(pk=b.pk).journal

    response = admin_client.post(
        reverse("admin:papers_journal_change", args=[journal.pk]),
        {"title": "Annals of the River Bank", "issn_print": "", "issn_electronic": ""},
    )

    assert response.status_code == 302
    assert "Annals of the River Bank" in page_as(dave, a).split('id="h-recommended"')[1]


def test_a_second_rebuild_bumps_only_the_papers_whose_list_changed(dave, settings):
    # Three entries: the sauropod papers' lists are one neighbour and two fills, which an
    # old paper (not "recent") does not displace.
    settings.RELATED_PAPERS_SHOWN = 3
    garden = PaperFactory(title="Tea parties in the garden", abstract="Tea, cakes and hats.")
    PaperFactory(title="Tea parties by the river", abstract="Tea, cakes and boats.")
    dinosaur = PaperFactory(title="Sauropod neck posture", abstract="Long necks of sauropods.")
    PaperFactory(title="Sauropod neck muscles", abstract="Neck muscles of sauropods.")
    rebuild_related()
    assert "Tea parties on the lake" not in page_as(dave, garden)
    page_as(dave, dinosaur)
    versions = dict(Paper.objects.values_list("pk", "content_version"))
    PaperFactory(
        title="Tea parties on the lake", abstract="Tea, cakes and hats.", published_year=1990
    )

    rebuild_related()

    now = dict(Paper.objects.values_list("pk", "content_version"))
    assert now[dinosaur.pk] == versions[dinosaur.pk]  # its list is the same: fragments kept
    assert now[garden.pk] == versions[garden.pk] + 1
    assert "Tea parties on the lake" in page_as(dave, garden)
    assert "Sauropod neck muscles" in page_as(dave, dinosaur)


def test_a_rebuild_changing_many_lists_keys_every_page_anew_without_writing_papers(
    dave, monkeypatch
):
    garden = PaperFactory(title="Tea parties in the garden", abstract="Tea, cakes and hats.")
    PaperFactory(title="Tea parties by the river", abstract="Tea, cakes and boats.")
    rebuild_related()
    assert "Tea parties on the lake" not in page_as(dave, garden)  # its fragments are cached
    versions = dict(Paper.objects.values_list("pk", "content_version"))
    generation = recommend.current_run().page_generation
    PaperFactory(title="Tea parties on the lake", abstract="Tea, cakes and hats.")
    # Two of the three lists change: "many" for this test.
    monkeypatch.setattr(recommend, "BUMP_ALL_ABOVE", 1)

    rebuild_related()

    assert recommend.current_run().page_generation == generation + 1
    old = {pk: v for pk, v in Paper.objects.values_list("pk", "content_version") if pk in versions}
    assert old == versions  # no paper row written
    assert "Tea parties on the lake" in page_as(dave, garden)


def test_a_rebuild_whose_lists_were_not_compared_with_the_shown_ones_keys_pages_anew(dave):
    garden = PaperFactory(title="Tea parties in the garden", abstract="Tea, cakes and hats.")
    PaperFactory(title="Tea parties by the river", abstract="Tea, cakes and boats.")
    rebuild_related()
    page_as(dave, garden)
    late = recommend.start_rebuild()  # compared with the run shown now...
    rebuild_related()  # ...which another run replaces before it finishes
    generation = recommend.current_run().page_generation
    versions = dict(Paper.objects.values_list("pk", "content_version"))

    for chunk in late.chunks.all():
        recommend.rank_chunk(late.pk, chunk.number)

    assert recommend.current_run().pk == late.pk
    assert recommend.current_run().page_generation == generation + 1
    assert dict(Paper.objects.values_list("pk", "content_version")) == versions
    assert "Tea parties by the river" in page_as(dave, garden)


@pytest.mark.parametrize("n", [2, 6])
def test_a_rebuild_with_nothing_changed_bumps_no_paper(n, django_assert_num_queries):
    for number in range(n):
        PaperFactory(title=f"Tea parties number {number}", abstract="Tea, cakes and hats.")
    rebuild_related()
    versions = dict(Paper.objects.values_list("pk", "content_version"))

    # The same number of queries whatever the number of papers in a write batch: the
    # comparison is one query a batch, and no UPDATE of papers (the rows go in by COPY on
    # PostgreSQL, which the count does not see, by one executemany elsewhere). The rebuild
    # also writes the vector space, every paper's vectors and the index (papers.vectors),
    # lists the paper ids and cuts them into chunks (papers.recommend.start_rebuild), and for
    # the chunk reads its candidates' vectors and the resolved reference links once
    # (papers.cocitation), marks it done and, the last one, finishes the run. Before that it
    # looks for abandoned runs (one query) and has the planner count the vectors, and after
    # it the lists (ANALYZE, twice). The index is saved with its papers' years and
    # categories (papers.index_columns: two streamed reads).
    with django_assert_num_queries(62 if connection.vendor == "postgresql" else 64):
        rebuild_related()

    assert dict(Paper.objects.values_list("pk", "content_version")) == versions


# --- nothing of one reader reaches another ---


def test_alices_own_parts_never_reach_bobs_page_after_she_rendered_it_first(
    paper, alice, bob, dave
):
    asked = resources.ask(user=dave, paper=paper, kind="code", message="The scripts, please")
    review, _ = ratings.submit_review(user=dave, paper=paper, rating=3, text="Too short.")
    ratings.submit_review(user=alice, paper=paper, rating=5, text="")  # a rating, no text
    resources.me_too(user=alice, resource_request=asked)
    ratings.mark_helpful(user=alice, review=review)
    claims.claim_authorship(user=alice, authorship=paper.authorships.get(position=1))

    as_alice = page_as(alice, paper)
    assert "Update my review" in as_alice
    assert "You want this too" in as_alice
    assert "You found this helpful" in as_alice
    assert "You claim <strong>Alice Liddell</strong>" in as_alice
    assert '<a class="who" href="/accounts/profile/">alice</a>' in as_alice

    as_bob = page_as(bob, paper)
    for alices in (
        "Update my review",
        "Delete my review",
        "You want this too",
        "You found this helpful",
        "You claim",
        "Withdraw my claim",
        '<a class="who" href="/accounts/profile/">alice</a>',
    ):
        assert alices not in as_bob
    # Bob gets his own: a rating form, "Me too", "Helpful", and a dispute link on Alice's
    # pending claim (which Alice, holding it, does not get).
    assert "Rate this paper" in as_bob
    assert "Me too" in as_bob
    assert ">Helpful</button>" in as_bob
    dispute = reverse("accounts:claim-dispute", args=[paper.authorships.get(position=1).pk])
    assert dispute in as_bob
    assert dispute not in as_alice


def test_no_fragment_holds_a_csrf_token_a_nonce_or_a_readers_name(paper, alice, dave):
    ratings.submit_review(user=dave, paper=paper, rating=3, text="Too short.")
    client = Client()
    client.force_login(alice)
    response = client.get(paper.get_absolute_url())
    token = response.context["csrf_token"]
    assert str(token) in response.content.decode()  # the page has forms, with her token

    fragments = cached_fragments(paper)

    texts = list(strings_in(fragments))
    assert any("Too short." in text for text in texts)  # it is the kept entry
    for text in texts:
        assert "csrfmiddlewaretoken" not in text
        assert str(token) not in text
        assert "nonce" not in text
        assert ">alice<" not in text


def test_anonymous_and_signed_in_readers_see_different_author_lists(paper, client, dave, settings):
    settings.PAPER_PAGE_CACHE_SECONDS = 0
    anonymous = client.get(paper.get_absolute_url()).content.decode()
    assert "Claim Alice Liddell as you" not in anonymous

    assert "Claim Alice Liddell as you" in page_as(dave, paper)
    # And the other way round, once both variants are cached.
    assert "Claim Alice Liddell as you" not in client.get(paper.get_absolute_url()).text


# --- queries ---


def busy_paper(n):
    """A paper with ``n`` authors, ``n`` written reviews and ``n`` open requests."""
    paper = PaperFactory()
    for position in range(n):
        AuthorshipFactory(paper=paper, position=position, author=AuthorFactory())
        user = UserFactory()
        ratings.submit_review(user=user, paper=paper, rating=4, text=f"Review {position}")
        resources.ask(user=user, paper=paper, kind="data", message=f"Request {position}")
    return paper


@pytest.mark.parametrize("n", [1, 12])
def test_a_signed_in_page_from_cached_fragments_costs_eight_queries(
    django_assert_num_queries, dave, n
):
    paper = busy_paper(n)
    page_as(dave, paper)  # the fragments are cached
    client = Client()
    client.force_login(dave)

    # The session, the user, the paper's row, the reader's review, their private note,
    # their collections with the paper's saved state (the Save control), their helpful
    # votes on the shown reviews, their "me too"s on others' open requests.
    with django_assert_num_queries(8):
        response = client.get(paper.get_absolute_url())

    html = response.content.decode()
    assert html.count('class="review"') == n
    assert html.count('class="resource-request ') == n
    assert html.count(">Helpful</button>") == n


def test_the_fragments_are_kept_in_the_shared_cache_too(paper, dave, django_assert_num_queries):
    page_as(dave, paper)
    caches["pages"].clear()  # another web process: only the shared cache has them
    client = Client()
    client.force_login(dave)

    # The session, the user, the paper's row, the reader's review and note, their
    # collections with the paper's saved state: nothing is rebuilt.
    with django_assert_num_queries(6):
        response = client.get(paper.get_absolute_url())

    assert "Tea parties considered harmful" in response.content.decode()
