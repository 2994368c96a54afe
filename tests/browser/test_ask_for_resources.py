"""Issue 6 point 7 in Chromium: a new reader signs up, asks for a resource on a demo paper
without JavaScript tricks (a plain form), and sees the request listed on the paper page.
A logged-out reader's "Ask" leads to the log-in and back to the form."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DOI = "10.1136/jclinpath-2020-206745"
PASSWORD = "a long and unusual passphrase"


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)
    cache.clear()  # rate-limit counters of earlier runs
    yield
    cache.clear()


def test_a_new_reader_asks_for_a_resource_and_sees_it_listed(page, live_server, demo):
    base = live_server.url

    # Logged out, "Ask" leads to the log-in, which is where a new reader signs up.
    page.goto(f"{base}/doi/{DOI}")
    expect(page.get_by_text("No resource requests yet.")).to_be_visible()
    page.get_by_role("link", name="Ask authors/readers for more resources").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=.*resources.*ask"))

    page.goto(f"{base}/accounts/signup/")
    page.locator("#id_email").fill("reader@example.org")
    page.locator("#id_username").fill("newreader")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("link", name="newreader")).to_be_visible()  # logged in

    page.goto(f"{base}/doi/{DOI}")
    page.get_by_role("link", name="Ask authors/readers for more resources").click()
    expect(
        page.get_by_role("heading", name="Ask authors/readers for more resources")
    ).to_be_visible()
    page.get_by_label("What do you ask for?").select_option(label="Protocol")
    page.get_by_label("Your request").fill("Could you share the plasma extraction protocol?")
    page.get_by_role("button", name="Send the request").click()

    expect(page.get_by_text("Your request is listed; the authors are told.")).to_be_visible()
    request_block = page.locator(".resource-request")
    expect(request_block).to_have_count(1)
    expect(request_block).to_contain_text("Could you share the plasma extraction protocol?")
    expect(request_block.locator(".resource-kind")).to_have_text("Protocol")
    expect(request_block.locator(".resource-status")).to_have_text("Open")
    expect(request_block).to_contain_text("asked by newreader")
    expect(page.get_by_text("0 requests fulfilled")).to_be_visible()
