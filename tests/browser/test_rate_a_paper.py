"""Rating a paper in Chromium as a new reader would: "Rate this paper" on a demo paper leads
to the log-in and back to the form; the rating then updates the summary in place (with
JavaScript), and the same form works as a plain POST with JavaScript off."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from reviews.models import Review
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

DOI = "10.1136/jclinpath-2020-206745"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def demo(transactional_db, settings):
    settings.RATINGS_MIN_SHOWN = 1  # the reader's one rating shows as the average
    call_command("load_demo", verbosity=0)
    cache.clear()
    yield
    cache.clear()


def log_in(page, username):
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_a_new_reader_logs_in_from_the_paper_and_rates_it_in_place(page, live_server, demo):
    UserFactory(username="reader")
    page.goto(f"{live_server.url}/doi/{DOI}")
    reviews = page.get_by_role("region", name="Reviews", exact=True)
    expect(reviews.get_by_text("Not enough ratings", exact=True)).to_be_visible()

    page.get_by_role("link", name="Rate this paper").click()
    log_in(page, "reader")
    expect(page.get_by_role("heading", name="Rate this paper")).to_be_visible()  # the form

    page.get_by_role("link", name="Back to the paper").click()
    reviews.get_by_role("radio", name="4").check()
    reviews.get_by_label("Novelty").select_option("5")
    reviews.get_by_label("Your review (optional; plain text or Markdown)").fill(
        "Useful **reference panel**. <script>alert('x')</script>"
    )
    with page.expect_response(lambda response: "/review/" in response.url):
        reviews.get_by_role("button", name="Rate this paper").click()

    # Updated in place: no page load, the new summary and the reader's form are there.
    expect(reviews.locator(".rating-big")).to_have_text("4.0")
    expect(reviews.get_by_text("from 1 rating")).to_be_visible()
    expect(reviews.get_by_role("status")).to_have_text("Thank you: your rating is in.")
    expect(reviews.get_by_role("button", name="Update my review")).to_be_visible()
    review = Review.objects.get()
    assert (review.rating, review.novelty) == (4, 5)

    page.reload()
    written = page.get_by_role("region", name="Written reviews (1)")
    expect(written.locator("strong")).to_have_text("reference panel")
    expect(written.get_by_text("<script>alert('x')</script>")).to_be_visible()  # as text


def test_without_javascript_the_form_posts_and_comes_back(browser, live_server, demo):
    UserFactory(username="plain")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/doi/{DOI}")
    page.get_by_role("link", name="Rate this paper").click()
    log_in(page, "plain")

    page.get_by_role("radio", name="2").check()
    page.get_by_role("button", name="Rate this paper").click()

    expect(page.get_by_text("Thank you: your rating is in.")).to_be_visible()
    expect(page.locator(".rating-big")).to_have_text("2.0")
    assert Review.objects.get().rating == 2
    context.close()
