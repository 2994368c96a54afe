"""The paper page's Cite block and private note in Chromium: the formatted references open
without JavaScript's help (a <details>), "Copy" puts one on the clipboard, and a reader
keeps a note through the plain form, which only they then see."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from library.models import Note
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

DOI = "10.1136/jclinpath-2020-206745"
PASSWORD = "correct horse battery staple"
APA = "Xu, J., Qu, S., Sun, N., Zhang, W., Zhang, J., Song, Q., Lin, M., Gao, W., Zheng, Q."


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)
    cache.clear()
    yield
    cache.clear()


def test_a_reader_opens_the_cite_block_and_copies_a_reference(page, context, live_server, demo):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/doi/{DOI}")
    cite = page.get_by_role("region", name="Cite")
    expect(cite.get_by_role("link", name="CSL-JSON")).to_be_visible()
    expect(cite.get_by_text(APA)).to_be_hidden()

    cite.get_by_text("Formatted reference: APA,").click()

    expect(cite.get_by_text(APA)).to_be_visible()
    copy = cite.locator('button[data-copy="cite-apa"]')  # its name changes when clicked
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()").startswith(APA)


def test_a_reader_keeps_a_private_note_that_only_they_see(page, live_server, demo):
    UserFactory(username="reader")
    page.goto(f"{live_server.url}/doi/{DOI}")
    page.get_by_role("link", name="Log in", exact=True).last.click()
    page.locator("#id_login").fill("reader")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    note = page.get_by_role("region", name="My note")
    note.get_by_label("Your private note").fill("Check the ctDNA panel against ours.")
    note.get_by_role("button", name="Save note").click()

    expect(page.get_by_text("Note saved.")).to_be_visible()
    expect(note.get_by_label("Your private note")).to_have_value(
        "Check the ctDNA panel against ours."
    )
    assert Note.objects.get().text == "Check the ctDNA panel against ours."
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/doi/{DOI}")
    expect(page.get_by_text("Check the ctDNA panel")).to_have_count(0)
