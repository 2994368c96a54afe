"""Under the Content-Security-Policy the pages with JavaScript still work, in Chromium, and
the browser reports no violation: the review form, Swagger UI and the admin's change form."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import expect

from papers.models import Paper
from tests.factories import UserFactory
from tests.records import import_record

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
# The page records every violation event; the console gets Chromium's own report too.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def violations(page):
    """The CSP violations the page reports, from the console and from the DOM event."""
    found = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def collect():
        return found + page.evaluate("window.cspViolations || []")

    return collect


@pytest.fixture
def papers(transactional_db, settings):
    settings.RATINGS_MIN_SHOWN = 1
    cache.clear()
    yield [
        import_record("10.1038_srep16696.json"),
        import_record("10.1136_jclinpath-2020-206745.json"),
    ]
    cache.clear()


def log_in(page, url, username):
    page.goto(url)
    page.locator("#id_login, #id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()


def test_the_review_form_submits_in_place_without_a_violation(
    page, live_server, papers, violations
):
    UserFactory(username="reader")
    paper = papers[0]
    log_in(page, f"{live_server.url}/accounts/login/?next={paper.get_absolute_url()}", "reader")
    reviews = page.get_by_role("region", name="Reviews", exact=True)

    reviews.get_by_role("radio", name="4").check()
    with page.expect_response(lambda response: "/review/" in response.url):
        reviews.get_by_role("button", name="Rate this paper").click()

    # In place (review-form.js ran): the thank-you status, the summary, no page load.
    expect(reviews.get_by_role("status")).to_have_text("Thank you: your rating is in.")
    expect(reviews.locator(".rating-big")).to_have_text("4.0")
    # The 4-star bar (second row) is the full width: SVG, no inline style.
    expect(reviews.locator(".rating-distribution rect").nth(1)).to_have_attribute("width", "100")
    assert violations() == []


def test_swagger_ui_lists_the_operations_without_a_violation(page, live_server, violations):
    page.goto(f"{live_server.url}/api/v1/docs/")

    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/papers/").first).to_be_visible()
    assert page.locator(".opblock").count() > 10
    assert violations() == []


def test_the_admin_change_form_and_its_autocomplete_work_without_a_violation(
    page, live_server, papers, violations
):
    get_user_model().objects.create_superuser("curator", "curator@example.org", PASSWORD)
    paper, other = papers
    log_in(page, f"{live_server.url}/admin/login/?next=/admin/", "curator")
    page.goto(f"{live_server.url}/admin/papers/paper/{paper.pk}/change/")

    # The journal is an autocomplete (select2, jQuery): search and pick the other journal.
    page.locator(".field-journal .select2-selection").click()
    page.locator(".select2-search__field").fill(other.journal.title[:12])
    page.locator(".select2-results__option", has_text=other.journal.title).first.click()
    # An inline's "Add another" row comes from admin's inlines.js.
    keywords = page.locator(".inline-group", has_text="keyword").first
    rows = keywords.locator("tr.form-row").count()
    keywords.locator(".add-row a").click()
    assert keywords.locator("tr.form-row").count() == rows + 1
    page.locator("input[name=_save]").click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Paper.objects.get(pk=paper.pk).journal_id == other.journal_id
    assert violations() == []
