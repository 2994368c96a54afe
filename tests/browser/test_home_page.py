"""Browser smoke test: the home page as a person sees it, in Debian's Chromium."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_visitor_sees_the_portal_and_can_search(page, live_server):
    page.goto(live_server.url + "/")

    expect(page).to_have_title("Research Portal")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Find, rate and discuss research papers"
    )
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("contentinfo")).to_contain_text("open-source research portal")
    # The stylesheet really loaded: the header is laid out by our CSS, not the browser default.
    assert (
        page.locator(".site-header").evaluate("e => getComputedStyle(e).borderBottomStyle")
        == "solid"
    )

    page.get_by_label("Search the catalogue").fill("lupus")
    page.get_by_label("Search the catalogue").press("Enter")
    page.wait_for_url("**/papers/?q=lupus")
