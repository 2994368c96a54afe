"""Atom feeds (Django's syndication framework, ``Atom1Feed``): one per follow, one per public
collection.

- ``/library/follows/<token>/feed.atom``: the newest papers matching a follow
  (``follows.feed_papers``). Follows are private, and a feed reader has no session: the URL
  holds the follow's unguessable ``feed_token``; an unknown token is 404.
- ``/library/collections/<id>/feed.atom``: a public collection's entries, newest added
  first; a private collection is 404 to everyone (its owner reads it on its page).

Each feed names the portal as its author, so every entry has one as Atom requires; entry
ids are tag URIs that stay the same for the same paper (follow) or entry (collection).
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, get_tag_uri

from library import follows
from library.models import Collection, Entry

FEED_AUTHORS_SHOWN = 3


def _authors(paper):
    names = [authorship.author.name for authorship in paper.authorships.all()]
    shown = ", ".join(names[:FEED_AUTHORS_SHOWN])
    return shown + (" et al." if len(names) > FEED_AUTHORS_SHOWN else "")


def _summary(paper, reason=""):
    parts = [reason, _authors(paper)]
    if paper.journal:
        parts.append(paper.journal.title)
    if paper.published_year:
        parts.append(str(paper.published_year))
    return ". ".join(part for part in parts if part)


class FollowFeed(Feed):
    feed_type = Atom1Feed
    author_name = settings.SITE_NAME

    def get_object(self, request, token):
        found = follows.by_feed_token(token)
        if found is None:
            raise Http404("No such feed.")
        return found

    def title(self, obj):
        return f"{settings.SITE_NAME}: {obj.reason.replace('New ', 'new ', 1)}"

    def subtitle(self, obj):
        return f"Papers added to {settings.SITE_NAME} that match a follow: {obj.label}."

    def link(self, obj):
        if obj.kind == follows.Kind.SEARCH:
            return reverse("papers:list") + "?" + obj.query
        return obj.target.get_absolute_url()

    def feed_url(self, obj):
        return reverse("library:follow-feed", args=[obj.feed_token])

    def feed_guid(self, obj):
        return f"tag:{settings.SITE_URL.split('://', 1)[-1]},2026:follow:{obj.pk}"

    def items(self, obj):
        # The Feed instance serves every request: the reason rides on the items, not on it.
        papers = follows.feed_papers(obj)
        for paper in papers:
            paper.feed_reason = obj.reason
        return papers

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return _summary(item, item.feed_reason)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return get_tag_uri(settings.SITE_URL + item.get_absolute_url(), item.created_at)

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.created_at


class CollectionFeed(Feed):
    feed_type = Atom1Feed
    author_name = settings.SITE_NAME

    def get_object(self, request, pk):
        return get_object_or_404(Collection.objects.select_related("owner"), pk=pk, is_public=True)

    def title(self, obj):
        return f"{obj.name} — {settings.SITE_NAME}"

    def subtitle(self, obj):
        return obj.description or f"A public collection on {settings.SITE_NAME}."

    def link(self, obj):
        # The collection's own page: the feed's URL without its file name.
        return reverse("library:collection-feed", args=[obj.pk]).removesuffix("feed.atom")

    def feed_url(self, obj):
        return reverse("library:collection-feed", args=[obj.pk])

    def feed_guid(self, obj):
        return f"tag:{settings.SITE_URL.split('://', 1)[-1]},2026:collection:{obj.pk}"

    def items(self, obj):
        entries = (
            Entry.objects.filter(collection=obj)
            .select_related("paper__journal")
            .prefetch_related("paper__authorships__author")
            .order_by("-added_at", "-id")[: follows.FEED_ENTRIES]
        )
        return list(entries)

    def item_title(self, item):
        return item.paper.title

    def item_description(self, item):
        return _summary(item.paper, item.note)

    def item_link(self, item):
        return item.paper.get_absolute_url()

    def item_guid(self, item):
        return get_tag_uri(settings.SITE_URL + item.paper.get_absolute_url(), item.added_at)

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.added_at

    def item_updateddate(self, item):
        return item.added_at
