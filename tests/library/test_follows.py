"""Follows (library.follows): following and unfollowing, saved searches, the new papers of
each kind of follow (a saved search's are exactly what /papers/ shows), alerts deduplicated
across follows, the watermark; and the Follow / Save this search buttons of the pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.account_data import export_account
from library import follows
from library.models import Follow
from papers import version_groups
from papers.models import Paper, PaperCategory, PaperKeyword
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    JournalFactory,
    KeywordFactory,
    PaperFactory,
)

pytestmark = pytest.mark.django_db
Kind = Follow.Kind


def added(paper, *, ago):
    """Say ``paper`` was added to the catalogue ``ago`` (a timedelta) before now."""
    Paper.objects.filter(pk=paper.pk).update(created_at=timezone.now() - ago)
    paper.refresh_from_db()
    return paper


def since_a_week():
    return timezone.now() - timedelta(days=7)


# --- the write path ---


def test_following_twice_keeps_one_follow(alice):
    author = AuthorFactory(name="Ada Lovelace")

    first, created = follows.follow(user=alice, kind=Kind.AUTHOR, target=author)
    again, created_again = follows.follow(user=alice, kind=Kind.AUTHOR, target=author)

    assert created and not created_again and first.pk == again.pk
    assert Follow.objects.filter(user=alice).count() == 1
    assert first.reason == "New paper by Ada Lovelace"
    assert len(first.feed_token) >= 32


def test_the_database_refuses_a_second_follow_and_a_follow_without_its_target(alice):
    journal = JournalFactory()
    follows.follow(user=alice, kind=Kind.JOURNAL, target=journal)
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=alice, kind=Kind.JOURNAL, journal=journal, alerted_until=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=alice, kind=Kind.AUTHOR, journal=journal, alerted_until=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(user=alice, kind=Kind.SEARCH, query="", alerted_until=now)


def test_unfollow_removes_only_ones_own_follow(alice, bob):
    category = CategoryFactory(name="cs.LG")
    mine, _ = follows.follow(user=alice, kind=Kind.CATEGORY, target=category)

    assert follows.unfollow(user=bob, follow_id=mine.pk) is False
    assert follows.unfollow(user=alice, follow_id=mine.pk) is True
    assert follows.unfollow(user=alice, follow_id=mine.pk) is False
    assert not Follow.objects.exists()


def test_a_saved_search_keeps_its_query_normalised_and_can_be_renamed(alice):
    saved, created = follows.follow(
        user=alice, kind=Kind.SEARCH, query="?sort=newest&q=graph+neural+networks&page=3&x=1"
    )
    same, created_again = follows.follow(
        user=alice, kind=Kind.SEARCH, query="q=graph+neural+networks&sort=newest"
    )

    assert created and not created_again and same.pk == saved.pk
    assert saved.query == "q=graph+neural+networks&sort=newest"
    assert saved.name == "graph neural networks"
    assert saved.reason == "New in your saved search “graph neural networks”"
    follows.rename(follow=saved, name="  GNNs  ", by=alice)
    assert Follow.objects.get(pk=saved.pk).name == "GNNs"
    follows.follow(user=alice, kind=Kind.SEARCH, query=saved.query)
    assert Follow.objects.get(pk=saved.pk).name == "GNNs"  # saved again without a name
    follows.follow(user=alice, kind=Kind.SEARCH, query=saved.query, name="G")
    assert Follow.objects.get(pk=saved.pk).name == "G"
    follows.rename(follow=saved, name="", by=alice)
    assert Follow.objects.get(pk=saved.pk).name == "graph neural networks"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "needs search text or a filter"),
        ("sort=newest&page=2", "needs search text or a filter"),
        ("q=x&year_min=soon", "cannot be saved"),
        ("q=x&sort=sideways", "cannot be saved"),
        ("q=" + "x" * 3000, "at most 2,000 characters"),
    ],
)
def test_a_search_that_cannot_be_saved_is_refused_with_a_reason(alice, query, message):
    with pytest.raises(ValidationError, match=message):
        follows.follow(user=alice, kind=Kind.SEARCH, query=query)


def test_an_unknown_kind_or_target_is_refused_with_a_reason():
    with pytest.raises(ValidationError, match="Unknown kind “planet”"):
        follows.target_of("planet", "1")
    with pytest.raises(ValidationError, match="There is no author “nobody”"):
        follows.target_of(Kind.AUTHOR, "nobody")
    with pytest.raises(ValidationError, match="There is no keyword “none”"):
        follows.target_of(Kind.KEYWORD, "none")


# --- new papers, per kind ---


def test_new_papers_of_an_author_journal_category_and_keyword(alice):
    author, journal = AuthorFactory(name="Ada Lovelace"), JournalFactory(title="Journal X")
    category, keyword = CategoryFactory(name="cs.LG"), KeywordFactory(name="graphs")
    new = PaperFactory(journal=journal)
    AuthorshipFactory(paper=new, author=author)
    PaperCategory.objects.create(paper=new, category=category)
    PaperKeyword.objects.create(paper=new, keyword=keyword)
    old = added(PaperFactory(journal=journal), ago=timedelta(days=30))
    AuthorshipFactory(paper=old, author=author)
    PaperCategory.objects.create(paper=old, category=category)
    PaperKeyword.objects.create(paper=old, keyword=keyword)
    PaperFactory()  # matches none

    for kind, target in [
        (Kind.AUTHOR, author),
        (Kind.JOURNAL, journal),
        (Kind.CATEGORY, category),
        (Kind.KEYWORD, keyword),
    ]:
        each, _ = follows.follow(user=alice, kind=kind, target=target)
        assert list(follows.new_papers_for(each, since_a_week())) == [new], kind
        assert list(follows.new_papers_for(each, None)) == [new, old], kind


def test_a_new_preprint_of_a_work_already_here_is_not_news(alice):
    author = AuthorFactory(name="Ada Lovelace")
    published = added(PaperFactory(published_year=2024), ago=timedelta(days=30))
    preprint = PaperFactory(published_year=2023, work_type="posted-content")
    for paper in (published, preprint):
        AuthorshipFactory(paper=paper, author=author)
    version_groups.link(preprint, published, relation="is-preprint-of")
    each, _ = follows.follow(user=alice, kind=Kind.AUTHOR, target=author)
    every_version, _ = follows.follow(
        user=alice, kind=Kind.SEARCH, query=f"q={preprint.title}&versions=all"
    )

    # One paper per work: the published version stands for both.
    assert list(follows.new_papers_for(each, since_a_week())) == []
    assert list(follows.new_papers_for(each, None)) == [published]
    # A saved search asking for every version gets the preprint.
    assert preprint in follows.new_papers_for(every_version, since_a_week())


def test_a_saved_search_finds_exactly_what_the_papers_list_shows(alice, client):
    category = CategoryFactory(slug="cs-lg")
    matching = [PaperFactory(title=f"Graph neural networks, part {n}") for n in range(3)]
    for paper in matching[:2]:
        PaperCategory.objects.create(paper=paper, category=category)
    PaperFactory(title="Graph colourings")
    PaperCategory.objects.create(paper=PaperFactory(title="Snakes"), category=category)

    for query in ["q=graph+neural", "q=graph+neural&category=cs-lg", "category=cs-lg&sort=oldest"]:
        saved, _ = follows.follow(user=alice, kind=Kind.SEARCH, query=query)
        page = client.get("/papers/?" + query)
        shown = {paper.pk for paper in page.context["papers"]}
        assert shown, query
        assert {p.pk for p in follows.new_papers_for(saved, None)} == shown, query


def test_a_saved_search_alerts_only_papers_added_after_the_watermark(alice):
    saved, _ = follows.follow(user=alice, kind=Kind.SEARCH, query="q=graph")
    added(PaperFactory(title="Graph theory of old"), ago=timedelta(days=3))
    Follow.objects.filter(pk=saved.pk).update(alerted_until=timezone.now() - timedelta(days=1))
    fresh = PaperFactory(title="Graph theory, new")

    assert [paper for paper, _ in follows.alerts_for(alice)] == [fresh]


# --- alerts: deduplicated, each once ---


def test_a_paper_matched_by_several_follows_is_alerted_once_with_the_most_specific_reason(
    alice,
):
    author, category = AuthorFactory(name="Ada Lovelace"), CategoryFactory(name="cs.LG")
    for kind, target in [(Kind.CATEGORY, category), (Kind.AUTHOR, author)]:
        follows.follow(user=alice, kind=kind, target=target)
    follows.follow(user=alice, kind=Kind.SEARCH, query="q=engines")
    Follow.objects.update(alerted_until=since_a_week())
    both = PaperFactory(title="Analytical engines")
    AuthorshipFactory(paper=both, author=author)
    PaperCategory.objects.create(paper=both, category=category)
    in_category = PaperFactory(title="Learning machines")
    PaperCategory.objects.create(paper=in_category, category=category)
    searched = PaperFactory(title="Difference engines")

    alerts = follows.alerts_for(alice)

    assert [(paper.pk, reason) for paper, reason in alerts] == [
        (searched.pk, "New in your saved search “engines”"),
        (in_category.pk, "New in cs.LG"),
        (both.pk, "New paper by Ada Lovelace"),
    ]


def test_the_watermark_alerts_each_paper_once(alice, bob):
    journal = JournalFactory(title="Journal X")
    follows.follow(user=alice, kind=Kind.JOURNAL, target=journal)
    follows.follow(user=bob, kind=Kind.JOURNAL, target=journal)
    Follow.objects.update(alerted_until=since_a_week())
    first = PaperFactory(journal=journal)

    assert follows.alerts_for(alice) == follows.alerts_for(alice)  # reading writes nothing
    assert [(p, r) for p, r in follows.alerts_for(alice)] == [(first, "New in Journal X")]
    follows.mark_alerted(alice, timezone.now())
    follows.mark_alerted(alice, timezone.now() - timedelta(days=30))  # never moves back

    assert follows.alerts_for(alice) == []
    second = PaperFactory(journal=journal)
    assert [p for p, _ in follows.alerts_for(alice)] == [second]
    assert [p for p, _ in follows.alerts_for(bob)] == [second, first]  # bob's own watermark


def test_a_new_follow_alerts_papers_added_from_then_on(alice):
    keyword = KeywordFactory(name="graphs")
    PaperKeyword.objects.create(paper=PaperFactory(), keyword=keyword)
    follows.follow(user=alice, kind=Kind.KEYWORD, target=keyword)

    assert follows.alerts_for(alice) == []
    later = PaperFactory()
    PaperKeyword.objects.create(paper=later, keyword=keyword)
    assert follows.alerts_for(alice) == [(later, "New with keyword graphs")]


# --- export and deletion ---


def test_follows_are_in_the_account_export_without_their_feed_token(alice):
    author = AuthorFactory(name="Ada Lovelace")
    mine, _ = follows.follow(user=alice, kind=Kind.AUTHOR, target=author)
    follows.follow(user=alice, kind=Kind.SEARCH, query="q=graphs", name="Graphs")

    exported = export_account(alice)["follows"]

    assert [(row["kind"], row["name"], row["query"]) for row in exported] == [
        ("author", "", ""),
        ("search", "Graphs", "q=graphs"),
    ]
    assert exported[0]["target"] == {
        "id": author.pk,
        "name": "Ada Lovelace",
        "url": author.get_absolute_url(),
    }
    assert mine.feed_token not in str(exported)


def test_deleting_an_account_deletes_its_follows_and_nothing_else(alice, bob):
    author = AuthorFactory()
    follows.follow(user=alice, kind=Kind.AUTHOR, target=author)
    theirs, _ = follows.follow(user=bob, kind=Kind.AUTHOR, target=author)

    alice.delete()

    assert list(Follow.objects.all()) == [theirs]
    author.refresh_from_db()  # the author stays


# --- the buttons on the pages ---


def test_an_anonymous_reader_gets_a_sign_in_link_on_an_author_page(client):
    author = AuthorFactory(name="Ada Lovelace")

    page = client.get(author.get_absolute_url()).content.decode()

    assert "Sign in to follow Ada Lovelace" in page
    assert 'action="/library/follows/new/"' not in page


def test_following_an_author_from_their_page_without_javascript(client, alice):
    author = AuthorFactory(name="Ada Lovelace")
    client.force_login(alice)
    url = author.get_absolute_url()

    response = client.post(
        "/library/follows/new/", {"kind": "author", "target": author.pk, "next": url}
    )

    assert response.status_code == 303 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "You now follow Ada Lovelace" in page
    assert "Unfollow" in page and "You follow Ada Lovelace" in page
    mine = Follow.objects.get(user=alice)
    response = client.post(f"/library/follows/{mine.pk}/unfollow/", {"next": url})
    assert response.status_code == 303 and response["Location"] == url
    assert "You no longer follow Ada Lovelace" in client.get(url).content.decode()


def test_a_follow_button_never_sends_the_reader_to_another_site(client, alice):
    journal = JournalFactory()
    client.force_login(alice)

    response = client.post(
        "/library/follows/new/",
        {"kind": "journal", "target": journal.pk, "next": "https://evil.example/"},
    )

    assert response["Location"] == journal.get_absolute_url()


def test_a_bad_follow_is_a_message_not_an_error(client, alice):
    client.force_login(alice)

    response = client.post("/library/follows/new/", {"kind": "author", "target": "x"})

    assert response.status_code == 303
    assert "There is no author “x”" in client.get(response["Location"]).content.decode()


def test_saving_a_search_from_the_papers_list(client, alice):
    PaperFactory(title="Graph neural networks")
    client.force_login(alice)
    assert "Save this search" not in client.get("/papers/").content.decode()
    page = client.get("/papers/?q=graph+neural").content.decode()
    assert "Save this search" in page

    response = client.post(
        "/library/follows/new/",
        {"kind": "search", "query": "q=graph+neural", "name": "GNN", "next": "/papers/?q=graph"},
    )

    assert response.status_code == 303
    saved = Follow.objects.get(user=alice, kind=Kind.SEARCH)
    assert (saved.query, saved.name) == ("q=graph+neural", "GNN")
    page = client.get("/papers/?q=graph+neural").content.decode()
    assert "Saved as “GNN”" in page and "Stop following this search" in page


def test_my_follows_lists_each_follow_with_its_feed(client, alice, bob):
    category = CategoryFactory(name="cs.LG")
    mine, _ = follows.follow(user=alice, kind=Kind.CATEGORY, target=category)
    theirs, _ = follows.follow(user=bob, kind=Kind.SEARCH, query="q=secret")
    client.force_login(alice)

    page = client.get("/library/follows/").content.decode()

    assert "cs.LG" in page and f"/library/follows/{mine.feed_token}/feed.atom" in page
    assert "secret" not in page and theirs.feed_token not in page
    assert client.post(f"/library/follows/{theirs.pk}/unfollow/").status_code == 404
    assert client.post(f"/library/follows/{theirs.pk}/rename/", {"name": "x"}).status_code == 404


@pytest.mark.parametrize("following", [False, True])
def test_a_signed_in_readers_category_page_costs_one_query_more_for_the_button(
    client, alice, django_assert_num_queries, following
):
    category = CategoryFactory()
    for _ in range(3):
        PaperCategory.objects.create(paper=PaperFactory(), category=category)
    if following:
        follows.follow(user=alice, kind=Kind.CATEGORY, target=category)
    client.force_login(alice)
    url = category.get_absolute_url()
    anonymous = _queries_of(client, url, signed_in=False)
    signed_in = _queries_of(client, url, signed_in=True)

    # The session and the user (middleware), then the follow of this category: 3 more.
    assert signed_in == anonymous + 3


def _queries_of(client, url, *, signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not signed_in:
        from django.test import Client

        client = Client()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
