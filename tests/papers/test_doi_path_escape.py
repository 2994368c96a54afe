"""Regression (issue 13, defect 2): a DOI can never choose another path of a registry.

``10.1234/../../members`` used to pass ``normalize_doi``; quoted with ``safe="/"`` and sent,
the HTTP client resolved the dot segments and asked ``https://api.crossref.org/members``
(and OpenAlex with our API key). Every way in refuses it now with the usual message, and for
every DOI that is accepted, the URL a client really sends has exactly the registry's path.
"""

import json
from urllib.parse import quote

import pytest
import requests
from django.core.management import call_command
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from papers import registries
from papers.models import Paper
from papers.records import RecordError, normalize_doi
from tests.factories import UserFactory
from tests.records import crossref_record

ESCAPES = [
    "10.1234/../../members",
    "10.1234/..",
    "10.1234/.",
    "10.1234/./x",
    "10.1234/a/../../../members",
    "https://doi.org/10.1234/abc/..",
    "doi:10.1234/x/./../y",
]

# What a registry's path is for a DOI: the prefix, then the DOI with everything but "/" quoted.
PATHS = {
    "crossref": "/works/{}",
    "datacite": "/dois/{}",
    "openalex": "/works/doi:{}",
}


@pytest.mark.parametrize("text", ESCAPES)
def test_a_doi_with_dot_segments_is_refused_like_any_malformed_doi(text):
    with pytest.raises(RecordError, match="a DOI looks like 10.1234/abc"):
        normalize_doi(text)


@pytest.mark.parametrize("text", ["10.1234/a.b", "10.1234/..a", "10.1234/a..", "10.1234/.x"])
def test_dots_inside_a_segment_are_still_a_doi(text):
    assert normalize_doi(text) == text


# Suffixes made of the characters that matter to a URL's path, plus any others.
suffixes = st.text(
    alphabet=st.sampled_from(list("./%?#;:@&=+$,\\ab1-_()[]<>~")) | st.characters(),
    min_size=1,
    max_size=40,
)


BASES = {
    "crossref": "https://api.crossref.org",
    "datacite": "https://api.datacite.org",
    "openalex": "https://api.openalex.org",
}


@given(suffix=suffixes)
@settings(max_examples=400, deadline=None)
def test_every_accepted_doi_asks_exactly_its_own_path_at_every_registry(suffix):
    try:
        doi = normalize_doi("10.1234/" + suffix)
    except RecordError:
        return
    for registry, shape in PATHS.items():
        with override_settings(**{f"{registry.upper()}_API_URL": BASES[registry]}):
            url = registries.work_url(registry, doi)
        prepared = requests.Request("GET", url).prepare()
        assert prepared.url.startswith(BASES[registry] + "/")
        assert prepared.path_url == shape.format(quote(doi, safe="/"))


@pytest.mark.django_db
def test_the_api_refuses_a_path_escaping_doi_with_400_and_adds_nothing(
    client, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/api/v1/papers/",
            json.dumps({"doi": "10.1234/../../members"}),
            content_type="application/json",
        )

    assert response.status_code == 400, response.content
    assert "a DOI looks like 10.1234/abc" in json.dumps(response.json())
    assert not Paper.objects.exists()
    assert callbacks == []


@pytest.mark.django_db
def test_the_add_form_refuses_a_path_escaping_doi(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/papers/add/", {"doi": "10.1234/../../members"})

    assert response.status_code == 200
    assert "a DOI looks like 10.1234/abc" in response.content.decode()
    assert not Paper.objects.exists()
    assert callbacks == []


@pytest.mark.django_db
def test_fetch_dois_reports_a_path_escaping_doi_as_an_invalid_line(tmp_path):
    listing = tmp_path / "dois.txt"
    listing.write_text("10.1038/srep16696\n10.1234/../../members\n")

    call_command("fetch_dois", str(listing), verbosity=0)

    assert list(Paper.objects.values_list("doi", flat=True)) == ["10.1038/srep16696"]


@pytest.mark.django_db
def test_import_crossref_rejects_a_record_whose_doi_escapes_its_path(tmp_path, capsys):
    good = crossref_record("10.1038_srep16696.json")["message"]
    bad = crossref_record("10.1016_j.ffa.2015.10.008.json")["message"]
    bad["DOI"] = "10.1016/../../members"
    path = tmp_path / "works.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")

    call_command("import_crossref", str(path))

    out = capsys.readouterr().out
    assert list(Paper.objects.values_list("doi", flat=True)) == ["10.1038/srep16696"]
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert "'10.1016/../../members' is not a DOI" in out
