"""Find papers like this in Chromium: paste an abstract, read the results, follow "More like
this", on the real arXiv listings of tests/fixtures/arxiv with their vectors and index."""

import re

import pytest
from playwright.sync_api import expect

from papers.models import Paper
from tests.papers.test_vectors import catalogue_without

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue(transactional_db):
    # transactional_db: the live server runs in another thread and must see these rows.
    catalogue_without(set())
    return Paper.objects.exclude(abstract="").order_by("pk")[10]


def test_a_reader_pastes_an_abstract_and_follows_more_like_this(page, live_server, catalogue):
    paper = catalogue
    page.goto(live_server.url + "/papers/")
    page.get_by_role("link", name="Find papers like a text you paste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find papers like this")

    page.get_by_label("Text to compare").fill(paper.abstract)
    page.get_by_role("button", name="Find similar papers").click()

    expect(page.locator(".result-count")).to_have_text("20 similar papers")
    first = page.locator(".paper-card").first
    expect(first.get_by_role("heading", level=3)).to_have_text(paper.title)
    expect(first.locator(".paper-card-similar")).to_contain_text("Shares: ")
    expect(page.get_by_label("Text to compare")).to_have_value(paper.abstract)
    second = page.locator(".paper-card").nth(1)
    second_title = second.get_by_role("heading", level=3).inner_text()

    second.get_by_role("link", name=re.compile("More like this")).click()

    page.wait_for_url(re.compile(r"/papers/similar/\?paper=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Papers like “{second_title}”")
    expect(page.locator(".paper-card")).to_have_count(20)
    titles = page.locator(".paper-card h3").all_inner_texts()
    assert second_title not in titles


def test_an_empty_text_is_refused_with_the_reason(page, live_server, catalogue):
    page.goto(live_server.url + "/papers/similar/")
    page.get_by_label("Text to compare").fill("   !!!!   ")
    page.get_by_role("button", name="Find similar papers").click()

    expect(page.get_by_role("alert")).to_contain_text("nothing to compare")
    expect(page.get_by_label("Text to compare")).to_have_attribute("aria-invalid", "true")
