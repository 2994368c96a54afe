"""A preprint and its published version in Chromium: one card in search, each page naming
the other, on the real Crossref list items of tests/fixtures/crossref-lists/version_pairs.jsonl
(Ecology and Evolution 10.1002/ece3.2314 and its bioRxiv preprint 10.1101/014852)."""

import re

import pytest
from playwright.sync_api import expect

from tests.papers.test_version_groups import PREPRINT, PUBLISHED, paper, single_import, work

pytestmark = pytest.mark.browser


@pytest.fixture
def versions(transactional_db):
    # transactional_db: the live server runs in another thread and must see these rows.
    single_import(work(PREPRINT), work(PUBLISHED))


def test_a_reader_finds_one_card_and_moves_between_the_versions(page, live_server, versions):
    page.goto(live_server.url + "/papers/?q=games+are+over")

    expect(page.locator(".paper-card")).to_have_count(1)
    page.locator(".paper-card").get_by_role("link", name=re.compile("^After the games")).click()
    expect(page).to_have_url(re.compile(re.escape(paper(PUBLISHED).get_absolute_url())))

    versions = page.get_by_role("region", name="Other versions of this work")
    expect(versions).to_contain_text("Preprint:")
    versions.get_by_role("link").click()
    expect(page).to_have_url(re.compile(re.escape(paper(PREPRINT).get_absolute_url())))
    expect(page.get_by_role("region", name="Other versions of this work")).to_contain_text(
        "Published version:"
    )
