"""The paper page as a reader sees it in Chromium, on the bundled demo catalogue."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DOI = "10.1136/jclinpath-2020-206745"
TITLE = (
    "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
    "mutations in plasma ctDNA"
)


@pytest.fixture
def demo(transactional_db):
    # transactional_db: the live server runs in another thread and must see these rows.
    call_command("load_demo", verbosity=0)


def dom_position(locator):
    """Where the element stands in document order (its index among all elements)."""
    return locator.evaluate("el => [...document.querySelectorAll('*')].indexOf(el)")


def test_a_reader_sees_every_block_of_the_seed_page_in_order(page, live_server, demo):
    page.goto(f"{live_server.url}/doi/{DOI}")

    expect(page).to_have_title(f"{TITLE} · Research Portal")
    heading = page.get_by_role("heading", level=2)
    blocks = [
        page.locator(".rating-badge"),
        page.locator(".work-type").filter(has_text="Journal article"),
        page.get_by_role("heading", level=1, name=TITLE),
        heading.filter(has_text=re.compile(r"^Journal$")),
        page.get_by_role("link", name="Journal of Clinical Pathology"),
        page.get_by_text("Volume 74, Issue 5, Pages 314-320"),
        heading.filter(has_text="Publisher"),
        page.get_by_role("link", name=DOI, exact=True),
        heading.filter(has_text="Keywords"),
        heading.filter(has_text="Categories"),
        heading.filter(has_text="Funding"),
        page.get_by_role("listitem").filter(
            has_text="National Key Research and Development Program [2017YFC0906500"
        ),
        page.get_by_role("link", name="Ask authors/readers for more resources"),
        heading.filter(has_text="Abstract"),
        page.get_by_role("heading", level=3, name="Background"),
        heading.filter(has_text="Authors"),
        page.get_by_role("link", name="Jun Xu", exact=True),
        page.get_by_role("link", name="Jie Huang", exact=True),
        page.get_by_role("link", name="I am an author on this paper"),
        page.get_by_text("Click your name to claim this paper and add it to your profile."),
        page.get_by_role("heading", level=2, name="Reviews", exact=True),
        page.get_by_role("heading", level=3, name="Primary Rating"),
        page.get_by_text("Not enough ratings", exact=True),
        page.get_by_role("heading", level=3, name="Secondary Ratings"),
        page.get_by_text("Novelty", exact=True),
        page.get_by_text("Significance", exact=True),
        page.get_by_text("Scientific rigor", exact=True),
        page.get_by_role("link", name="Rate this paper"),
        heading.filter(has_text="Recommended"),
        # load_demo builds the lists: each entry says why it is there.
        page.locator(".related-item .related-reason").first,
    ]
    for block in blocks:
        expect(block).to_be_visible()
    positions = [dom_position(block) for block in blocks]
    assert positions == sorted(positions)

    expect(page.get_by_role("link", name=DOI, exact=True)).to_have_attribute(
        "href", f"https://doi.org/{DOI}"
    )
    expect(page.locator(".author-name")).to_have_count(15)
    expect(
        page.get_by_role("link", name="ORCID iD of Xuexi Yang: 0000-0002-3513-6501")
    ).to_have_attribute("href", "https://orcid.org/0000-0002-3513-6501")
    expect(page.locator('meta[name="citation_doi"]')).to_have_attribute("content", DOI)
    expect(page.locator('meta[name="citation_author"]')).to_have_count(15)


def test_the_paper_and_the_reviews_sit_side_by_side_on_a_wide_screen(page, live_server, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/doi/{DOI}")

    paper = page.locator("article.paper").bounding_box()
    reviews = page.get_by_role("region", name="Reviews", exact=True).bounding_box()

    assert reviews["x"] > paper["x"] + paper["width"] - 1
    assert abs(reviews["y"] - paper["y"]) < 5


def test_on_a_phone_the_reviews_come_after_the_authors(page, live_server, demo):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/doi/{DOI}")

    authors = page.get_by_role("region", name="Authors").bounding_box()
    reviews = page.get_by_role("region", name="Reviews", exact=True).bounding_box()

    assert reviews["y"] > authors["y"] + authors["height"] - 1
    # Nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_bibtex_link_downloads_the_citation(page, live_server, demo):
    page.goto(f"{live_server.url}/doi/{DOI}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="BibTeX").click()

    download = download_info.value
    assert download.suggested_filename == "xu2021construction.bib"
    assert open(download.path(), encoding="utf-8").read().startswith("@article{xu2021construction,")


def test_an_unknown_doi_shows_the_friendly_404(page, live_server, demo):
    response = page.goto(f"{live_server.url}/doi/10.1234/no-such-paper")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
