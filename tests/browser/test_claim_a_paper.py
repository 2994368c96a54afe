"""Issue 5's acceptance test, in Chromium: a new researcher signs up, verifies the address
from the captured email, claims an author on a demo paper, a curator approves it in the
admin, and the paper shows on the researcher's public profile.

The live server runs in this process, so Django's test mail outbox holds the email.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import ClaimDecision
from portal.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, ensure_demo_admin

pytestmark = pytest.mark.browser

DOI = "10.1136/jclinpath-2020-206745"
TITLE = (
    "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
    "mutations in plasma ctDNA"
)
PASSWORD = "a long and unusual passphrase"


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)
    ensure_demo_admin()
    cache.clear()  # rate-limit counters of earlier runs
    yield
    cache.clear()


def test_a_new_researcher_signs_up_claims_a_paper_and_a_curator_approves_it(
    page, browser, live_server, demo
):
    base = live_server.url

    # Sign up, then verify the address from the email.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Sign up").click()
    page.locator("#id_email").fill("jun.xu@example.org")
    page.locator("#id_username").fill("junxu")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    (message,) = mail.outbox
    assert message.to == ["jun.xu@example.org"]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("link", name="junxu")).to_be_visible()  # logged in

    # The profile: a display name and an affiliation.
    page.get_by_role("link", name="junxu").click()
    page.get_by_label("Display name").fill("Jun Xu")
    page.get_by_label("Affiliation").fill("China-Japan Friendship Hospital")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    # Claim "Jun Xu" on the demo paper by clicking the name, then confirming.
    page.goto(f"{base}/doi/{DOI}")
    page.locator(".authors").get_by_role("link", name="Jun Xu", exact=True).click()
    expect(page.get_by_role("heading", name=f"Claim Jun Xu on “{TITLE}”?")).to_be_visible()
    page.get_by_role("button", name="Yes, claim Jun Xu").click()
    expect(page.get_by_text("Your claim is waiting for a curator.")).to_be_visible()
    # Another demo paper names a Jun Xu: offered to claim at once; not this time.
    expect(page.get_by_role("heading", name="Are these papers yours too?")).to_be_visible()
    page.get_by_role("link", name="Not now").click()
    expect(page.locator(".authors .claim-pending")).to_have_text("claim pending")

    # A curator approves it in the admin, giving a reason.
    curator = browser.new_context().new_page()
    curator.goto(f"{base}/admin/accounts/claim/?status__exact=pending")
    curator.get_by_label("Username").fill(DEMO_ADMIN_USERNAME)
    curator.get_by_label("Password").fill(DEMO_ADMIN_PASSWORD)
    curator.get_by_role("button", name="Log in").click()
    row = curator.get_by_role("row").filter(has_text="junxu")
    expect(row).to_contain_text("Jun Xu")
    expect(row).to_contain_text("100%")  # the name similarity
    row.get_by_role("checkbox").check()
    curator.locator("select[name=action]").select_option(label="Approve selected claims")
    curator.get_by_role("button", name="Go").click()
    curator.get_by_label("Reason").fill("Name and email domain match.")
    curator.get_by_role("button", name="Approve 1 claim").click()
    expect(curator.get_by_text("1 claim(s) approved")).to_be_visible()
    curator.context.close()
    decision = ClaimDecision.objects.get(claim__user__username="junxu")
    assert (decision.verdict, decision.reason) == ("approved", "Name and email domain match.")

    # The paper is on the researcher's public profile, and the paper page says so.
    user = get_user_model().objects.get(username="junxu")
    page.goto(f"{base}/researchers/{user.pk}/")
    expect(page.get_by_role("heading", level=1, name="Jun Xu")).to_be_visible()
    verified = page.get_by_role("region", name="Verified papers")
    expect(verified.get_by_role("link", name=TITLE)).to_be_visible()
    expect(page.get_by_text("jun.xu@example.org")).to_have_count(0)
    page.goto(f"{base}/doi/{DOI}")
    expect(page.locator(".authors .verified-author")).to_have_text("verified author: Jun Xu")
