"""A researcher imports their Zotero library (a .bib file) in the browser: the progress page
follows the import to its end, with a real worker consuming from Redis and fetching the new
DOI from the local replay server, and lists the collection's papers (the collection has no
page of its own yet)."""

import time

import pytest
from celery import Celery
from playwright.sync_api import expect

from portal.celery import app as portal_app
from tests.browser.test_add_paper import log_in
from tests.conftest import ROOT
from tests.factories import UserFactory
from tests.records import FIXTURES, import_record
from tests.replay import Reply

pytestmark = pytest.mark.browser

SREP_DOI = "10.1038/srep16696"
SREP_RECORD = ROOT / "tests" / "fixtures" / "crossref" / "10.1038_srep16696.json"


@pytest.fixture
def worker_on_redis(start_worker, redis_url, replay_server):
    """A real worker on Redis, its own queue the default of both the worker (which enqueues
    the fetches of the import it runs) and the web code (which enqueues the import): see
    tests/browser/test_add_paper.py for why the web needs an app of its own."""
    queue = f"test-import-{time.monotonic_ns()}"
    worker = start_worker(
        broker_url=redis_url,
        queue=queue,
        env={
            "CROSSREF_API_URL": replay_server.url + "/crossref",
            "DATACITE_API_URL": replay_server.url + "/datacite",
            "OPENALEX_API_URL": replay_server.url + "/openalex",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        },
    )
    web = Celery("web", set_as_current=False)
    web.config_from_object("django.conf:settings", namespace="CELERY")
    web.conf.broker_url = redis_url
    web.conf.broker_transport_options = {}
    web.conf.task_default_queue = queue
    web.set_default()
    web.set_current()
    try:
        yield worker
    finally:
        portal_app.set_default()
        portal_app.set_current()
        web.close()


def test_a_bib_file_is_imported_and_its_papers_listed(
    page,
    live_server,
    transactional_db,
    replay_server,
    worker_on_redis,  # noqa: F811
):
    replay_server.reply(f"/crossref/works/{SREP_DOI}", Reply(200, SREP_RECORD.read_bytes()))
    for name in (
        "10.3389_fgene.2017.00147.json",
        "10.1016_j.ffa.2015.10.008.json",
        "10.1136_jclinpath-2020-206745.json",
        "10.4000_dms.865.json",
    ):
        import_record(name)
    user = UserFactory(username="alice")

    log_in(page, live_server.url, user, next_path="/library/import/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import your library")
    page.get_by_label("Export file").set_input_files(FIXTURES / "library" / "zotero.bib")
    page.get_by_label("Into the collection").select_option(label="A new collection (name it below)")
    page.get_by_label("New collection's name").fill("From Zotero")
    page.get_by_role("button", name="Import").click()

    page.wait_for_url(f"{live_server.url}/library/imports/*/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of zotero.bib")
    # No reload from the test: the page reloads itself until the import and its fetch end.
    status = page.get_by_role("status").filter(has_text="Done:")
    expect(status).to_contain_text("5 papers added to “From Zotero”", timeout=30000)
    expect(page.get_by_text("1 (1 fetched, 0 on the way, 0 not found)")).to_be_visible(
        timeout=30000
    )
    expect(
        page.get_by_role("link", name="Single-molecule FRET studies", exact=False)
    ).to_be_visible()
    expect(
        page.get_by_role("link", name="An Algorithm for Template-Based Prediction", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("cell", name="On random graphs I")).to_be_visible()
    assert "library.imports.import_library" in worker_on_redis.output()
