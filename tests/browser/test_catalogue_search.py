"""Searching and filtering the catalogue in Chromium, on the bundled demo catalogue."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAPER = "THE IMPACT OF PARASITE MANIPULATION AND PREDATOR FORAGING BEHAVIOR"


@pytest.fixture
def demo(transactional_db):
    # transactional_db: the live server runs in another thread and must see these rows.
    call_command("load_demo", verbosity=0)


def test_a_reader_searches_filters_and_opens_a_paper(page, live_server, demo):
    page.goto(live_server.url + "/")
    page.get_by_label("Search the catalogue").fill("ecology")
    page.get_by_label("Search the catalogue").press("Enter")

    page.wait_for_url("**/papers/?q=ecology")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “ecology”")
    results = page.locator(".paper-card")
    expect(results.first).to_be_visible()
    assert results.count() >= 2  # journals named "... Ecology" and an ecology article
    expect(page.get_by_label("Sort by")).to_have_value("relevance")

    page.get_by_label("Type").select_option(label="Journal article")
    page.get_by_label("Has an abstract").uncheck()
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(r"type=journal-article"))
    expect(page.get_by_label("Type")).to_have_value("journal-article")
    expect(results).to_have_count(1)
    expect(page.locator(".result-count")).to_contain_text("1 paper")
    # Anchored: each card also has "More like this: <title>", a link naming the paper too.
    link = page.get_by_role("link", name=re.compile("^" + PAPER, re.IGNORECASE))

    link.click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(PAPER, re.IGNORECASE))
