"""Saving a paper in Chromium: the paper page's Save control saves in place (save.js, with
an aria-live status, no reload), the paper is then in the reading list, and the reader
marks it read there through the plain forms."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from library.models import Entry
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

DOI = "10.1136/jclinpath-2020-206745"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)
    cache.clear()
    yield
    cache.clear()


def test_a_reader_saves_a_paper_in_place_and_marks_it_read(page, live_server, demo):
    UserFactory(username="reader")
    page.goto(f"{live_server.url}/doi/{DOI}")
    page.get_by_role("link", name="Sign in to save").click()
    page.locator("#id_login").fill("reader")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    save = page.get_by_role("region", name="Save")
    expect(save.get_by_text("Not saved yet.")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    save.get_by_role("button", name="Save", exact=True).click()

    expect(save.get_by_text("Saved in Reading list.")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True  # saved in place, no new page
    assert save.locator("[aria-live=polite]").count() == 1
    entry = Entry.objects.get()
    assert entry.paper.doi == DOI

    page.get_by_role("link", name="My library").click()
    page.get_by_role("link", name="Reading list").click()
    expect(page.get_by_role("heading", name="Reading list", level=1)).to_be_visible()
    page.get_by_role("button", name="Mark read").click()

    expect(page.get_by_text("Marked read.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark to read")).to_be_visible()
    entry.refresh_from_db()
    assert entry.state == "read"
