"""Following an author from their page in Chromium, with JavaScript and without it (the
button is a plain form): the button turns to Unfollow, and "My follows" lists the author
with their feed."""

import pytest
from playwright.sync_api import expect

from library.models import Follow
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ada(transactional_db):
    author = AuthorFactory(given_name="Ada", family_name="Lovelace", name="Ada Lovelace")
    AuthorshipFactory(paper=PaperFactory(title="Notes on the analytical engine"), author=author)
    UserFactory(username="reader")
    return author


def follow_ada(page, live_server, ada):
    page.goto(f"{live_server.url}{ada.get_absolute_url()}")
    page.get_by_role("link", name="Sign in to follow Ada Lovelace").click()
    page.locator("#id_login").fill("reader")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()

    page.get_by_role("button", name="Follow Ada Lovelace").click()

    expect(page.get_by_text("You now follow Ada Lovelace.", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    assert Follow.objects.get().author_id == ada.pk

    page.goto(f"{live_server.url}/library/follows/")
    follows = page.get_by_role("region", name="My follows")
    expect(follows.get_by_role("link", name="Ada Lovelace", exact=True)).to_be_visible()
    expect(follows.get_by_role("link", name="Atom feed of Ada Lovelace")).to_be_visible()

    follows.get_by_role("button", name="Unfollow Ada Lovelace").click()
    expect(page.get_by_text("You no longer follow Ada Lovelace.")).to_be_visible()
    expect(page.get_by_text("You follow nothing yet.", exact=False)).to_be_visible()
    assert not Follow.objects.exists()


def test_a_reader_follows_an_author_from_their_page(page, live_server, ada):
    follow_ada(page, live_server, ada)


def test_a_reader_follows_an_author_without_javascript(browser, live_server, ada):
    context = browser.new_context(java_script_enabled=False)
    try:
        follow_ada(context.new_page(), live_server, ada)
    finally:
        context.close()
