"""Every page carries a Content-Security-Policy that forbids inline and foreign scripts."""

import re

import pytest
from django.urls import reverse

from tests.conftest import ROOT
from tests.records import import_record

pytestmark = pytest.mark.django_db

EXPECTED = {
    "default-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def policy_of(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def assert_strict(response):
    policy = policy_of(response)
    for name, values in EXPECTED.items():
        assert policy[name] == values, name
    # Scripts and styles: our origin, plus a nonce only when a page asked for one.
    for name in ("script-src", "style-src"):
        assert policy[name] - {"'self'"} <= {
            value for value in policy[name] if value.startswith("'nonce-")
        }, name


def test_the_home_page_and_a_paper_page_carry_the_policy(client):
    paper = import_record("10.1038_srep16696.json")

    assert_strict(client.get("/"))
    assert_strict(client.get(paper.get_absolute_url()))


def test_the_admin_carries_the_policy(admin_client):
    paper = import_record("10.1038_srep16696.json")

    assert_strict(admin_client.get(reverse("admin:login")))
    assert_strict(admin_client.get(reverse("admin:papers_paper_change", args=[paper.pk])))


def test_the_browsable_api_carries_the_policy(client):
    response = client.get("/api/v1/papers/", HTTP_ACCEPT="text/html")

    assert response["Content-Type"].startswith("text/html")
    assert_strict(response)


def test_error_pages_carry_the_policy(client):
    assert_strict(client.get("/papers/999999/"))
    assert_strict(client.get("/no-such-page/"))


def test_the_api_docs_page_loads_its_start_up_script_from_a_file(client):
    page = client.get("/api/v1/docs/")
    html = page.content.decode()

    assert_strict(page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script has a src
    assert "<style" not in html
    script = client.get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


TEMPLATES = [
    path
    for app in ("portal", "papers", "reviews", "accounts")
    for path in (ROOT / app / "templates").rglob("*.html")
    # Emails are not web pages: mail clients need their styles inline.
    if "emails" not in path.parts
]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_page_template_has_an_inline_script_style_or_event_handler(path):
    text = path.read_text()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert "<style" not in text
    assert not re.search(r"""\sstyle\s*=\s*["']""", text)
    assert not re.search(r"""\son[a-z]+\s*=\s*["']""", text)
