"""Atom feeds (library.feeds): one per follow, at a URL holding its secret token, and one
per public collection. Validated by parsing with feedparser (bozo == 0: well-formed and
well-typed) and by asserting the elements RFC 4287 requires: the feed's id, title, updated
and author, and each entry's id, title, updated and link."""

from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from library import collections, follows
from library.models import Follow
from papers.models import Paper
from tests.factories import AuthorFactory, AuthorshipFactory, JournalFactory, PaperFactory

pytestmark = pytest.mark.django_db
ATOM = "application/atom+xml"


def parsed(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(ATOM)
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    for element in ("id", "title", "updated", "author"):
        assert feed.feed.get(element), element
    for entry in feed.entries:
        for element in ("id", "title", "updated", "link"):
            assert entry.get(element), element
    return feed


def test_a_follows_feed_validates_and_lists_its_papers_newest_first(client, alice):
    ada = AuthorFactory(name="Ada Lovelace")
    mine, _ = follows.follow(user=alice, kind=Follow.Kind.AUTHOR, target=ada)
    older = PaperFactory(title="On Bernoulli numbers & <engines>")
    Paper.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    newer = PaperFactory(title="Notes on the analytical engine")
    for paper in (older, newer):
        AuthorshipFactory(paper=paper, author=ada)
    PaperFactory(title="Not hers")

    feed = parsed(client.get(f"/library/follows/{mine.feed_token}/feed.atom"))

    assert "New paper by Ada Lovelace" in feed.feed.title or "Ada Lovelace" in feed.feed.title
    assert [entry.title for entry in feed.entries] == [newer.title, older.title]
    assert feed.entries[0].link.endswith(newer.get_absolute_url())
    assert "Ada Lovelace" in feed.entries[0].summary
    assert len({entry.id for entry in feed.entries}) == 2
    # The same paper keeps its entry id from one reading to the next.
    again = parsed(client.get(f"/library/follows/{mine.feed_token}/feed.atom"))
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]


def test_a_saved_search_feed_validates(client, alice):
    saved, _ = follows.follow(user=alice, kind=Follow.Kind.SEARCH, query="q=graph")
    PaperFactory(title="Graph theory")

    feed = parsed(client.get(f"/library/follows/{saved.feed_token}/feed.atom"))

    assert [entry.title for entry in feed.entries] == ["Graph theory"]
    assert "/papers/?q=graph" in feed.feed.link


def test_an_empty_feed_validates(client, alice):
    journal = JournalFactory()
    mine, _ = follows.follow(user=alice, kind=Follow.Kind.JOURNAL, target=journal)

    assert parsed(client.get(f"/library/follows/{mine.feed_token}/feed.atom")).entries == []


def test_a_feed_needs_its_token_and_dies_with_the_follow(client, alice):
    mine, _ = follows.follow(user=alice, kind=Follow.Kind.JOURNAL, target=JournalFactory())

    assert client.get("/library/follows/not-the-token/feed.atom").status_code == 404
    follows.unfollow(user=alice, follow_id=mine.pk)
    assert client.get(f"/library/follows/{mine.feed_token}/feed.atom").status_code == 404


def test_a_public_collections_feed_validates_and_a_private_one_is_404(client, alice):
    papers = [PaperFactory(title="First read"), PaperFactory(title="Second read")]
    public = collections.create_collection(owner=alice, name="Tea", is_public=True)
    collections.add_papers(collection=public, papers=papers, by=alice)
    private = collections.create_collection(owner=alice, name="Secret")
    collections.add_papers(collection=private, papers=papers, by=alice)

    feed = parsed(client.get(f"/library/collections/{public.pk}/feed.atom"))

    assert feed.feed.title.startswith("Tea")
    assert {entry.title for entry in feed.entries} == {"First read", "Second read"}
    assert client.get(f"/library/collections/{private.pk}/feed.atom").status_code == 404
    client.force_login(alice)  # not even to its owner: a feed reader has no session
    assert client.get(f"/library/collections/{private.pk}/feed.atom").status_code == 404
    assert client.get("/library/collections/999999/feed.atom").status_code == 404
