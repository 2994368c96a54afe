""" "Add a paper by DOI" (papers.views.add_paper) and what the paper page says while the
metadata is on its way, not found, failed, or fetched."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from papers.crossref import parse_work
from papers.ingest import upsert_work
from papers.metadata import fetch_metadata
from papers.models import Paper
from papers.views import retry_phrase
from tests.conftest import ROOT
from tests.factories import PaperFactory, UserFactory
from tests.papers.test_paper_page import UNCITED_PAGE_QUERIES, text_of
from tests.replay import Reply

pytestmark = pytest.mark.django_db

SREP_DOI = "10.1038/srep16696"
SREP_RECORD = ROOT / "tests" / "fixtures" / "crossref" / "10.1038_srep16696.json"
ADD_URL = "/papers/add/"
REFRESH_TAG = '<meta http-equiv="refresh" content="5">'
Status = Paper.MetadataStatus


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


def import_srep():
    paper, _ = upsert_work(parse_work(json.loads(SREP_RECORD.read_text(encoding="utf-8"))))
    return paper


def page_of(client, paper):
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- who may add ---


def test_the_add_page_has_the_url_name_papers_add():
    assert reverse("papers:add") == ADD_URL


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back(client):
    response = client.get(ADD_URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/papers/add/"
    assert client.get(response["Location"]).status_code == 200


def test_an_anonymous_post_adds_nothing(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(ADD_URL, {"doi": SREP_DOI})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Paper.objects.exists()
    assert callbacks == []


def test_a_post_without_the_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(ADD_URL, {"doi": SREP_DOI})

    assert response.status_code == 403
    assert not Paper.objects.exists()


def test_other_methods_are_not_allowed(client, alice):
    assert client.put(ADD_URL).status_code == 405


# --- the form ---


def test_a_logged_in_user_sees_a_labelled_doi_field_with_the_accepted_forms(client, alice):
    response = client.get(ADD_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Add a paper by DOI</h1>" in html
    assert '<label for="id_doi">DOI</label>' in html
    assert 'id="id_doi"' in html and 'aria-describedby="id_doi_helptext"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    help_text = html.split('id="id_doi_helptext">', 1)[1].split("</div>", 1)[0]
    for accepted in ("10.1038/srep16696", "doi:10.1038/srep16696", "https://doi.org/10."):
        assert accepted in help_text


def test_the_catalogue_links_to_the_form_for_logged_in_users_only(client):
    assert "Add a paper by DOI" not in client.get("/papers/").content.decode()

    client.force_login(UserFactory(username="alice"))

    assert f'<a href="{ADD_URL}">Add a paper by DOI</a>' in client.get("/papers/").content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "10.1038/srep16696",
        "  10.1038/SREP16696  ",
        "doi:10.1038/srep16696",
        "https://doi.org/10.1038/srep16696",
        "http://dx.doi.org/10.1038/Srep16696",
    ],
)
def test_each_accepted_form_adds_one_pending_paper_and_enqueues_one_fetch(
    client, alice, text, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(ADD_URL, {"doi": text})

    paper = Paper.objects.get()
    assert paper.doi == SREP_DOI
    assert paper.metadata_status == Status.PENDING
    assert response.status_code in (302, 303)
    assert response["Location"] == f"/doi/{SREP_DOI}" == paper.get_absolute_url()
    assert len(callbacks) == 1  # fetch_metadata.delay, after commit (not run here)


def test_a_new_paper_opens_on_its_page_saying_its_metadata_is_on_its_way(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = client.post(ADD_URL, {"doi": "https://doi.org/10.1038/srep16696"}, follow=True)

    text = text_of(response.content.decode())
    assert response.redirect_chain == [(f"/doi/{SREP_DOI}", 302)]
    assert "Added: its metadata is on its way." in text
    assert "Metadata for this DOI is on its way" in text


def test_an_existing_doi_in_another_case_leads_to_the_existing_paper(
    client, alice, django_capture_on_commit_callbacks
):
    existing = import_srep()

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(ADD_URL, {"doi": "https://doi.org/10.1038/SREP16696"}, follow=True)

    assert response.redirect_chain == [(existing.get_absolute_url(), 302)]
    assert "This paper is already in the catalogue." in response.content.decode()
    assert Paper.objects.get().pk == existing.pk
    assert callbacks == []  # nothing to fetch
    existing.refresh_from_db()
    assert existing.metadata_status == Status.FETCHED  # not sent back to pending


@pytest.mark.parametrize(
    "text",
    [
        "srep16696",
        "10.1038",
        "https://example.org/10.1038/x y",
        "10.1038/" + "x" * 250,  # longer than the DOI column
        "10.1038/sre\x01p",  # a control character: no DOI has one
        "10.1038/a b",
    ],
)
def test_a_bad_doi_shows_what_a_doi_looks_like_and_adds_nothing(
    client, alice, text, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(ADD_URL, {"doi": text})

    html = response.content.decode()
    assert response.status_code == 200
    error = html.split('id="id_doi_error"', 1)[1].split("</ul>", 1)[0]
    assert "a DOI looks like 10.1234/abc" in error
    assert 'aria-invalid="true"' in html
    assert not Paper.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize("text", ["", "10.1038/a\x00b", "10.1038/" + "x" * 400])
def test_empty_or_unstorable_input_is_a_field_error_never_a_500(client, alice, text):
    response = client.post(ADD_URL, {"doi": text})

    assert response.status_code == 200
    assert 'id="id_doi_error"' in response.content.decode()
    assert not Paper.objects.exists()


def test_the_form_keeps_what_was_typed_after_an_error(client, alice):
    html = client.post(ADD_URL, {"doi": "srep16696"}).content.decode()

    assert 'value="srep16696"' in html


# --- the paper page while the metadata is not there ---


@pytest.mark.parametrize("status", [Status.PENDING, Status.FETCHING])
def test_a_waiting_page_says_the_metadata_is_on_its_way_and_reloads_itself(client, status):
    paper = PaperFactory(title="10.5555/waiting", doi="10.5555/waiting", metadata_status=status)

    html = page_of(client, paper)

    assert '<div class="notice notice-metadata is-waiting" role="status">' in html
    assert "Metadata for this DOI is on its way" in text_of(html)
    assert html.count(REFRESH_TAG) == 1


def test_a_doi_no_registry_knows_says_so_and_when_it_is_looked_up_again(client):
    retry_at = timezone.now() + datetime.timedelta(days=7, minutes=5)
    paper = PaperFactory(
        metadata_status=Status.NOT_FOUND,
        metadata_error="Neither Crossref nor DataCite knows this DOI.",
        metadata_retry_at=retry_at,
    )

    text = text_of(page_of(client, paper))

    assert "Neither Crossref nor DataCite knows this DOI" in text
    assert "we will look it up again in 1 week." in text


def test_a_failed_fetch_gives_the_reason_and_when_it_is_tried_again(client):
    paper = PaperFactory(
        metadata_status=Status.FAILED,
        metadata_error="crossref had a server error (503); gave up after 6 tries",
        metadata_retry_at=timezone.now() + datetime.timedelta(minutes=12, seconds=30),
    )

    text = text_of(page_of(client, paper))

    assert (
        "We could not fetch this paper's details: crossref had a server error (503); "
        "gave up after 6 tries."
    ) in text
    assert "We will try again in 12 minutes." in text


@pytest.mark.parametrize(
    "status", [Status.FETCHED, Status.NOT_FOUND, Status.FAILED, Status.CURATED]
)
def test_only_waiting_pages_reload_themselves(client, status):
    paper = PaperFactory(metadata_status=status)

    html = page_of(client, paper)

    assert 'http-equiv="refresh"' not in html
    assert 'role="status"' not in html.split("<main", 1)[1]


def test_a_fetched_paper_names_its_source_and_the_day_in_its_facts(client, replay_server):
    replay_server.reply(f"/crossref/works/{SREP_DOI}", Reply(200, SREP_RECORD.read_bytes()))
    paper = PaperFactory(doi=SREP_DOI, title=SREP_DOI, metadata_status=Status.PENDING)
    fetch_metadata.apply(args=(paper.pk,))
    paper.refresh_from_db()

    html = page_of(client, paper)

    facts = html.split('<dl class="paper-facts">', 1)[1].split("</dl>", 1)[0]
    day = paper.metadata_fetched_at.strftime("%-d %B %Y")
    assert f"Metadata from Crossref, fetched {day}" in text_of(facts)
    assert "Metadata for this DOI is on its way" not in html
    assert REFRESH_TAG not in html


def test_a_curated_paper_names_no_source(client):
    paper = PaperFactory(metadata_status=Status.CURATED)

    html = page_of(client, paper)

    facts = html.split('<dl class="paper-facts">', 1)[1].split("</dl>", 1)[0]
    assert "Metadata" not in facts


@pytest.mark.parametrize("status", [Status.FETCHED, Status.PENDING, Status.FAILED])
def test_the_status_costs_no_extra_query(client, django_assert_num_queries, status):
    paper = PaperFactory(
        metadata_status=status,
        metadata_source="crossref",
        metadata_fetched_at=timezone.now(),
        metadata_retry_at=timezone.now() + datetime.timedelta(hours=1),
    )

    # paper+journal, authorships+authors, keywords, categories, fundings+funders, notices...
    with django_assert_num_queries(UNCITED_PAGE_QUERIES):
        response = client.get(paper.get_absolute_url())

    assert response.status_code == 200


# --- when the next try is, in words ---


def test_retry_phrase_says_how_long_until_the_next_try():
    now = timezone.now()

    assert retry_phrase(None, now=now) == ""
    assert retry_phrase(now - datetime.timedelta(hours=1), now=now) == "shortly"
    assert retry_phrase(now + datetime.timedelta(seconds=20), now=now) == "shortly"
    assert retry_phrase(now + datetime.timedelta(minutes=12), now=now) == "in 12\xa0minutes"
    assert retry_phrase(now + datetime.timedelta(days=1, hours=3), now=now) == "in 1\xa0day"
