"""Issue 4's acceptance test: a DOI added in the browser by a logged-in user shows "pending"
at once and the filled paper page soon after, with a real worker consuming from Redis and
fetching from the local replay server."""

import json

import pytest
from celery import Celery
from playwright.sync_api import expect

from portal.celery import app as portal_app
from tests.conftest import ROOT
from tests.factories import UserFactory
from tests.replay import Reply

pytestmark = pytest.mark.browser

SREP_DOI = "10.1038/srep16696"
SREP_RECORD = ROOT / "tests" / "fixtures" / "crossref" / "10.1038_srep16696.json"
PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def worker_on_redis(start_worker, redis_url, replay_server):
    """A real worker on Redis, and the web code publishing its tasks to that worker's queue.

    The project's Celery app publishes to the broker of the settings (the filesystem broker
    in tests). papers.metadata.fetch_metadata is a shared task, resolved through the current
    app on each use; the live server answers in other threads, which see the default app, so
    a Redis app is made both for the duration of the test.
    """
    worker = start_worker(
        broker_url=redis_url,
        env={
            "CROSSREF_API_URL": replay_server.url + "/crossref",
            "DATACITE_API_URL": replay_server.url + "/datacite",
        },
    )
    web = Celery("web", set_as_current=False)
    web.config_from_object("django.conf:settings", namespace="CELERY")
    web.conf.broker_url = redis_url
    web.conf.broker_transport_options = {}  # the filesystem broker's folders mean nothing here
    web.conf.task_default_queue = worker.queue
    web.set_default()
    web.set_current()
    try:
        yield worker
    finally:
        portal_app.set_default()
        portal_app.set_current()
        web.close()


def log_in(page, base_url, user, *, next_path):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{next_path}")


def test_a_doi_added_in_the_browser_shows_pending_then_the_filled_page(
    page, live_server, transactional_db, replay_server, worker_on_redis
):
    record = SREP_RECORD.read_bytes()
    message = json.loads(record)["message"]
    title = message["title"][0]
    authors = [f"{a['given']} {a['family']}" for a in message["author"]]
    # Crossref answers after 2 s, so "on its way" is on screen whichever process is quicker.
    replay_server.reply(f"/crossref/works/{SREP_DOI}", Reply(200, record, delay=2.0))
    user = UserFactory(username="alice")

    log_in(page, live_server.url, user, next_path="/papers/add/")
    page.get_by_label("DOI", exact=True).fill("https://doi.org/10.1038/SREP16696")
    page.get_by_role("button", name="Add paper").click()

    page.wait_for_url(f"{live_server.url}/doi/{SREP_DOI}")
    expect(page.get_by_text("Added: its metadata is on its way.")).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="Metadata for this DOI is on its way")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(SREP_DOI)

    # No reload from the test: the page's own refresh brings the metadata in.
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=30000)
    for name in (authors[0], authors[-1]):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_text("Metadata for this DOI is on its way")).to_have_count(0)
    expect(page.locator(".metadata-source")).to_contain_text("from Crossref, fetched")

    # It went through Redis to the worker, which asked the replay server.
    assert "papers.metadata.fetch_metadata" in worker_on_redis.output()
    assert f"/crossref/works/{SREP_DOI}" in [path for path, _ in replay_server.requests]
