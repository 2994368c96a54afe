"""Only plain http(s) links reach an href: parsers, forms, model fields and templates."""

import copy
import json
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.template import Context, Template

from papers import datacite, openalex
from papers.crossref import parse_work
from papers.links import safe_link
from papers.metadata import fetch_metadata
from papers.models import Paper
from reviews import resources
from tests.conftest import ROOT
from tests.records import crossref_record
from tests.replay import Reply

FIXTURES = ROOT / "tests" / "fixtures"
SREP = "10.1038_srep16696.json"

SAFE = [
    "https://www.nature.com/articles/srep16696",
    "http://example.org/a?b=1&c=2#d",
    "HTTPS://Example.org/",
    "https://münchen.de/paper",
    "http://[::1]:8000/x",
]
UNSAFE = [
    "javascript:alert(14)//https://x",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "https&#58;//example.org",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://example.org/data",
    "//example.org/no-scheme",
    "/relative/path",
    "https:/example.org",
    "https:\\\\example.org",
    "https://user:secret@example.org/",
    "https://example.org@evil.example/",
    "https://",
    "https://example.org:port/",
    "https://exa mple.org/",
    "https://exa\u200bmple.org/",
    "https://example.org/" + "a" * 2000,
    "",
    None,
    42,
]


@pytest.mark.parametrize("link", SAFE)
def test_a_plain_http_or_https_link_is_safe(link):
    assert safe_link(link) == link


@pytest.mark.parametrize("link", UNSAFE)
def test_any_other_link_is_refused(link):
    assert safe_link(link) is None


def test_a_safe_link_is_returned_without_the_spaces_around_it():
    assert safe_link("  https://example.org/x \n") == "https://example.org/x"


def hrefs(page):
    """Every href and src on ``page``, as the browser reads them (entities decoded)."""

    class Links(HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            self.found += [value or "" for name, value in attrs if name in ("href", "src")]

    parser = Links()
    parser.found = []
    parser.feed(page)
    return parser.found


def crafted_record():
    record = copy.deepcopy(crossref_record(SREP))
    record["message"]["resource"] = {"primary": {"URL": "javascript:alert(14)//https://x"}}
    record["message"]["license"] = [{"URL": "javascript:alert(15)", "content-version": "vor"}]
    return record


def assert_no_script_link(client, paper):
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "Publisher's page" in page  # the landing page fell back to the record's URL
    links = hrefs(page)
    assert not [link for link in links if "javascript" in link.lower()]
    assert "alert(15)" not in page and "alert(14)" not in page


@pytest.mark.django_db
def test_a_crafted_crossref_record_imported_from_a_file_puts_no_javascript_link_on_the_page(
    client, tmp_path
):
    crafted = tmp_path / "crafted.json"
    crafted.write_text(json.dumps(crafted_record()))

    call_command("import_crossref", str(crafted), stdout=StringIO(), stderr=StringIO())

    paper = Paper.objects.get()
    assert paper.url == "https://doi.org/10.1038/srep16696"
    assert paper.license_url == ""
    assert_no_script_link(client, paper)


@pytest.mark.django_db
def test_a_crafted_crossref_record_fetched_by_doi_puts_no_javascript_link_on_the_page(
    client, replay_server
):
    replay_server.reply(
        "/crossref/works/10.1038/srep16696",
        Reply(200, json.dumps(crafted_record()).encode()),
    )
    paper = Paper.objects.create(
        doi="10.1038/srep16696",
        title="10.1038/srep16696",
        metadata_status=Paper.MetadataStatus.PENDING,
    )

    fetch_metadata.apply(args=(paper.pk,))

    paper.refresh_from_db()
    assert paper.metadata_status == Paper.MetadataStatus.FETCHED
    assert (paper.url, paper.license_url) == ("https://doi.org/10.1038/srep16696", "")
    assert_no_script_link(client, paper)


@pytest.mark.parametrize("link", [link for link in UNSAFE if isinstance(link, str) and link])
def test_no_obfuscated_link_in_a_crossref_record_is_kept(link):
    record = copy.deepcopy(crossref_record(SREP))
    record["message"]["resource"] = {"primary": {"URL": link}}
    record["message"]["URL"] = link
    record["message"]["license"] = [{"URL": link, "content-version": "vor"}]

    work = parse_work(record)

    assert (work.url, work.license_url) == (None, None)


def test_the_safe_licence_is_picked_when_an_unsafe_one_comes_first():
    record = copy.deepcopy(crossref_record(SREP))
    record["message"]["license"].insert(0, {"URL": "javascript:alert(1)", "content-version": "vor"})

    assert parse_work(record).license_url == "https://creativecommons.org/licenses/by/4.0"


def test_datacite_links_that_are_not_plain_http_are_dropped():
    record = json.loads((FIXTURES / "datacite" / "10.5061_dryad.8515.json").read_text())
    record["data"]["attributes"]["url"] = "JAVASCRIPT:alert(1)//http://x"
    record["data"]["attributes"]["rightsList"][0]["rightsUri"] = "https://u:p@evil.example/"

    work = datacite.parse_work(record)

    assert (work.url, work.license_url) == (None, None)


def test_openalex_skips_an_unsafe_open_access_link_for_the_next_safe_one():
    record = json.loads((FIXTURES / "openalex" / "W1982728624.json").read_text())
    record["best_oa_location"]["landing_page_url"] = "java\tscript:alert(1)"

    enrichment = openalex.parse_enrichment(record)

    assert enrichment.open_access_url == record["best_oa_location"]["pdf_url"]


@pytest.mark.parametrize("field", ["url", "license_url", "open_access_url"])
def test_a_curator_cannot_save_an_unsafe_link_on_a_paper(field):
    paper = Paper(doi="10.1234/x", title="X", **{field: "javascript:alert(1)//http://x.org"})

    with pytest.raises(ValidationError) as refused:
        paper.clean_fields()  # what the admin form runs for each field

    assert set(refused.value.message_dict) == {field}


@pytest.mark.parametrize("link", ["javascript:alert(1)", "https://u:p@example.org/", " data:,x"])
def test_a_resource_link_that_is_not_plain_http_is_refused(link):
    with pytest.raises(resources.ResourceRefused, match="starting with http"):
        resources.clean_link(link)


@pytest.mark.parametrize("stored", ["javascript:alert(1)", "&#106;avascript:alert(1)"])
def test_the_template_filter_renders_no_link_for_an_unsafe_stored_value(stored):
    template = Template(
        "{% load links %}{% with link=value|safe_link %}"
        '{% if link %}<a href="{{ link }}">x</a>{% endif %}{% endwith %}'
    )

    assert template.render(Context({"value": stored})) == ""
    assert template.render(Context({"value": "https://x.org/"})) == '<a href="https://x.org/">x</a>'


@pytest.mark.django_db
def test_a_paper_stored_with_an_unsafe_link_shows_no_link_for_it(client):
    paper = Paper.objects.create(doi="10.1234/x", title="X", open_access_url="https://oa.example/x")
    # As stored before links were checked: update() skips the model's validators.
    Paper.objects.filter(pk=paper.pk).update(
        url="javascript:alert(1)", license_url="JaVaScRiPt:alert(2)"
    )

    page = client.get(paper.get_absolute_url()).content.decode()

    assert hrefs(page).count("https://oa.example/x") == 1
    assert "alert(" not in page and "Publisher's page" not in page and "Licence" not in page
