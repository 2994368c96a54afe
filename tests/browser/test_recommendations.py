"""Issue 7's acceptance test, in Chromium, on the demo catalogue: a paper page shows a
filled "Recommended" block with reasons, and the demo reader sees their personal picks,
dismisses one as not relevant, and it is gone."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from portal.demo import DEMO_READER_PASSWORD, DEMO_READER_USERNAME, ensure_demo_reader

pytestmark = pytest.mark.browser

BLOGS = "10.53731/avg2ykg-gdxppcd"  # "Do we need to fix science blogs?", rated 5 by the reader
NEWSLETTER = "The rise of the (science) newsletter"


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)
    ensure_demo_reader()
    cache.clear()
    yield
    cache.clear()


def test_a_paper_page_recommends_papers_with_reasons(page, live_server, demo):
    page.goto(f"{live_server.url}/doi/{BLOGS}")

    block = page.locator("section.recommended")
    expect(block.get_by_role("heading", name="Recommended")).to_be_visible()
    expect(block.get_by_text("No Data Available")).to_have_count(0)
    first = block.locator(".related-item").first
    expect(first.get_by_role("link", name=NEWSLETTER)).to_be_visible()
    expect(first.locator(".related-reason")).not_to_be_empty()


def test_the_demo_reader_sees_picks_and_dismisses_one(page, live_server, demo):
    page.goto(f"{live_server.url}/accounts/login/?next=/me/recommendations/")
    page.get_by_label("Username").fill(DEMO_READER_USERNAME)
    page.get_by_label("Password").fill(DEMO_READER_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1, name="Recommended for you")).to_be_visible()
    first = page.locator(".pick").first
    expect(first.get_by_role("link", name=NEWSLETTER)).to_be_visible()
    expect(first.locator(".pick-reason")).to_have_text(
        "Because you rated “Do we need to fix science blogs?”"
    )

    first.get_by_role("button", name=f"Not relevant: {NEWSLETTER}").click()

    expect(
        page.get_by_text(f"“{NEWSLETTER}” will not be recommended to you again.")
    ).to_be_visible()
    expect(page.locator(".pick").get_by_role("link", name=NEWSLETTER)).to_have_count(0)
