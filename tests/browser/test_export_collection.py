"""A reader downloads a collection's BibTeX in Chromium: signed in through the log-in form,
they open the collection's export link, and the browser saves a file named for the
collection that parses back with bibtexparser, their private note in it.

(This branch has no collection page yet: the test opens the export link directly, as a
reader following it from that page or from a bookmark would.)"""

import bibtexparser
import pytest
from django.core.cache import cache
from django.core.management import call_command

from library import collections, notes
from papers.models import Paper
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


def test_a_reader_downloads_a_collections_bibtex(page, live_server, demo):
    reader = UserFactory(username="reader")
    paper = Paper.objects.get(doi=DOI)
    thesis = collections.create_collection(owner=reader, name="Thesis chapter 2")
    collections.add_papers(collection=thesis, papers=[paper], by=reader)
    notes.save_note(user=reader, paper=paper, text="Compare the ctDNA panel with ours.")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill("reader")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    with page.expect_download() as started:
        try:
            page.goto(f"{live_server.url}/library/collections/{thesis.pk}/export.bib")
        except Exception as error:  # Chromium ends a navigation that turns into a download
            assert "Download is starting" in str(error) or "ERR_ABORTED" in str(error)
    download = started.value

    assert download.suggested_filename == "thesis-chapter-2.bib"
    text = open(download.path(), encoding="utf-8").read()
    [entry] = bibtexparser.parse_string(text).entries
    assert entry["doi"] == DOI
    assert entry["annote"] == "Compare the ctDNA panel with ours."
    assert entry.key.startswith("xu2021")
