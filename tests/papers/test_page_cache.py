"""Paper pages kept for anonymous readers (papers.page_cache): who gets a kept page, who never
does, and what a kept page may not carry."""

import pytest
from django.core.cache import caches
from django.test import Client

from papers import curation, page_cache
from papers.models import Paper
from tests.factories import AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper():
    paper = PaperFactory(title="Kept pages for anonymous readers", metadata_status="fetched")
    AuthorshipFactory(paper=paper, position=0)
    return paper


def rename(paper, title):
    # Through the write path, which bumps the paper's version (its page's cached fragments).
    paper = Paper.objects.get(pk=paper.pk)
    curation.record_edit(
        paper, curation.set_fields(paper, {"title": title}, source="curator"), source="curator"
    )


def test_an_anonymous_reader_gets_the_kept_page_without_any_query(
    client, paper, django_assert_num_queries
):
    first = client.get(paper.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(paper.get_absolute_url())
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]


def test_the_id_url_is_kept_too(client, paper, django_assert_num_queries):
    url = f"/papers/{paper.pk}/"
    first = client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).content == first.content


def test_a_kept_page_is_what_anonymous_readers_see_until_it_expires(client, paper, settings):
    client.get(paper.get_absolute_url())
    rename(paper, "A renamed paper")
    assert "Kept pages for anonymous readers" in client.get(paper.get_absolute_url()).text

    settings.PAPER_PAGE_CACHE_SECONDS = 0  # off: every request renders
    assert "A renamed paper" in client.get(paper.get_absolute_url()).text


def test_a_signed_in_reader_always_gets_a_fresh_page(client, paper):
    client.get(paper.get_absolute_url())
    rename(paper, "A renamed paper")
    client.force_login(UserFactory())
    page = client.get(paper.get_absolute_url()).text
    assert "A renamed paper" in page
    assert "Log out" in page or "log out" in page.lower()


def test_a_page_rendered_for_a_signed_in_reader_is_never_kept(client, paper):
    signed_in = Client()
    signed_in.force_login(UserFactory())
    signed_in.get(paper.get_absolute_url())
    rename(paper, "A renamed paper")
    assert "A renamed paper" in client.get(paper.get_absolute_url()).text


def test_a_request_with_a_query_string_is_rendered(client, paper):
    client.get(paper.get_absolute_url())
    rename(paper, "A renamed paper")
    assert "A renamed paper" in client.get(paper.get_absolute_url() + "?from=email").text


def test_a_reader_with_flash_messages_gets_a_fresh_page(client, paper):
    client.get(paper.get_absolute_url())
    rename(paper, "A renamed paper")
    client.cookies["messages"] = "anything"
    assert "A renamed paper" in client.get(paper.get_absolute_url()).text


def test_a_page_waiting_for_its_metadata_is_never_kept(client):
    paper = PaperFactory(title="", metadata_status="pending")
    client.get(paper.get_absolute_url())
    Paper.objects.filter(pk=paper.pk).update(title="Arrived", metadata_status="fetched")
    assert "Arrived" in client.get(paper.get_absolute_url()).text


def test_a_404_is_not_kept(client):
    url = "/doi/10.5555/not-yet-here"
    assert client.get(url).status_code == 404
    PaperFactory(doi="10.5555/not-yet-here")
    assert client.get(url).status_code == 200


def test_each_host_has_its_own_copy_because_the_page_holds_absolute_urls(paper, settings):
    settings.ALLOWED_HOSTS = ["testserver", "portal.example.org"]
    Client().get(paper.get_absolute_url())
    page = Client(HTTP_HOST="portal.example.org").get(paper.get_absolute_url()).text
    assert f"http://portal.example.org{paper.get_absolute_url()}" in page


def test_a_kept_page_carries_no_cookie_and_no_csrf_token(client, paper):
    client.get(paper.get_absolute_url())
    kept = Client().get(paper.get_absolute_url())
    assert not kept.cookies
    assert "csrfmiddlewaretoken" not in kept.text


def test_the_browser_revalidates_with_the_etag_and_gets_304(client, paper):
    first = client.get(paper.get_absolute_url())
    etag = first["ETag"]
    again = client.get(paper.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    rename(paper, "A renamed paper")
    signed_in = Client()
    signed_in.force_login(UserFactory())
    fresh = signed_in.get(paper.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200  # changed page, new ETag


def test_a_page_rendered_by_one_web_process_is_served_by_the_others(
    client, paper, django_assert_num_queries
):
    first = client.get(paper.get_absolute_url())
    caches["pages"].clear()  # another process: its own memory is empty, the shared cache is not
    with django_assert_num_queries(0):
        assert client.get(paper.get_absolute_url()).content == first.content


def test_a_shared_copy_older_than_the_limit_is_not_served(client, paper, rf, settings):
    client.get(paper.get_absolute_url())
    key = page_cache._key(rf.get(paper.get_absolute_url()))
    rendered_at, *rest = caches["default"].get(key)
    too_old = rendered_at - settings.PAPER_PAGE_CACHE_SECONDS - 1
    caches["default"].set(key, (too_old, *rest))
    caches["pages"].clear()
    rename(paper, "A renamed paper")
    assert "A renamed paper" in client.get(paper.get_absolute_url()).text


def test_pages_are_rendered_when_the_shared_cache_is_unreachable(client, paper, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        },
    }
    caches.close_all()
    first = client.get(paper.get_absolute_url())
    rename(paper, "A renamed paper")
    caches["pages"].clear()
    second = client.get(paper.get_absolute_url())
    assert first.status_code == second.status_code == 200
    assert "A renamed paper" in second.text
