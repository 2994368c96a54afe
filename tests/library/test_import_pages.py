"""The import pages: the upload form (/library/import/) and an import's progress page
(/library/imports/<id>/), and the API (/api/v1/imports/)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from library import collections, imports
from library.models import Collection, ImportJob
from tests.records import FIXTURES, import_record

pytestmark = pytest.mark.django_db

LIBRARY = FIXTURES / "library"


def upload(name="zotero.bib"):
    return SimpleUploadedFile(name, (LIBRARY / name).read_bytes())


@pytest.fixture
def catalogue(db):
    return [import_record(name) for name in ("10.3389_fgene.2017.00147.json",)]


def test_the_form_queues_an_import_and_goes_to_its_page(client, alice, catalogue):
    client.force_login(alice)

    response = client.post("/library/import/", {"file": upload(), "new_collection": "Zotero"})

    job = ImportJob.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/library/imports/{job.pk}/"
    assert (job.status, job.collection_name, job.new_collection) == ("queued", "Zotero", True)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Queued: a worker will read your BibTeX file" in page.content
    assert b'<meta http-equiv="refresh" content="5">' in page.content


def test_an_existing_collection_can_be_chosen(client, alice):
    client.force_login(alice)
    thesis = collections.create_collection(owner=alice, name="Thesis")

    client.post("/library/import/", {"file": upload("zotero.ris"), "collection": thesis.pk})

    assert ImportJob.objects.get(owner=alice).collection == thesis


@pytest.mark.parametrize(
    "data, message",
    [
        ({"file": upload(), "new_collection": ""}, "Name the new collection"),
        (
            {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.7"), "new_collection": "x"},
            "This is not a file we can read",
        ),
        ({"file": upload(), "new_collection": "Reading list"}, "already have a collection"),
    ],
)
def test_the_form_says_what_is_wrong(client, alice, data, message):
    client.force_login(alice)
    data = {
        k: (SimpleUploadedFile(v.name, v.read()) if hasattr(v, "read") else v)
        for k, v in data.items()
    }

    response = client.post("/library/import/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, alice, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(alice)

    response = client.post("/library/import/", {"file": upload(), "new_collection": "x"})

    assert response.status_code == 400
    assert "The file is larger than 0 MB" in response.content.decode()


def test_the_progress_page_shows_the_outcome_and_the_entries_not_imported(
    client, alice, catalogue, django_assert_num_queries
):
    job = imports.start_import(
        owner=alice, file_name="zotero.bib", data=upload().read(), collection_name="Zotero"
    )
    imports.run_import(job.pk)
    client.force_login(alice)

    # Session, user, the job with its collection and fetch counts, its items, the
    # collection's papers.
    with django_assert_num_queries(5):
        response = client.get(f"/library/imports/{job.pk}/")

    text = response.content.decode()
    assert "Done: 3 papers added to “Zotero”." in text
    assert "Metadata of 2 new papers is on its way" in text
    assert "On random graphs I" in text
    assert "no catalogue paper has this title, year and first author" in text
    assert "3 (line 30)" in text  # the entry's number and line
    assert "An Algorithm for Template-Based Prediction" in text  # in the collection
    assert "10.1038/srep16696</a> (metadata on its way)" in text
    assert 'http-equiv="refresh"' in text  # a fetch is on its way


def test_a_failed_import_says_why(client, alice):
    job = imports.start_import(
        owner=alice,
        file_name="zotero-broken.bib",
        data=upload("zotero-broken.bib").read(),
        collection_name="Zotero",
    )
    imports.run_import(job.pk)
    client.force_login(alice)

    text = client.get(f"/library/imports/{job.pk}/").content.decode()

    assert "Failed: The file has BibTeX syntax errors" in text
    assert "entry 2 (line 10)" in text
    assert 'http-equiv="refresh"' not in text


def test_an_import_is_404_to_anyone_else(client, alice, bob):
    job = imports.start_import(
        owner=alice, file_name="zotero.bib", data=upload().read(), collection_name="Zotero"
    )
    client.force_login(bob)

    assert client.get(f"/library/imports/{job.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(bob)
    assert api.get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert api.get(f"/api/v1/imports/{job.pk}/items/").status_code == 404
    assert api.get("/api/v1/imports/").json()["count"] == 0


def test_the_api_queues_an_import_and_reports_it(alice, catalogue, django_assert_num_queries):
    api = APIClient()
    api.force_authenticate(alice)

    response = api.post(
        "/api/v1/imports/", {"file": upload("zotero.json"), "collection_name": "Zotero"}
    )

    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == body["url"]
    assert (body["status"], body["format"], body["collection"]) == ("queued", "csl-json", None)
    imports.run_import(body["id"])

    # count, jobs with their fetch counts
    with django_assert_num_queries(2):
        listed = api.get("/api/v1/imports/").json()
    job = listed["results"][0]
    assert (job["status"], job["added"], job["waiting"], job["unmatched"]) == ("done", 3, 2, 3)
    assert job["collection"] == Collection.objects.get(owner=alice, name="Zotero").pk
    items = api.get(f"/api/v1/imports/{body['id']}/items/").json()["results"]
    assert [(i["number"], i["kind"]) for i in items] == [
        (2, "fetch"),
        (3, "unmatched"),
        (4, "unmatched"),
        (5, "fetch"),
        (6, "unmatched"),
    ]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"collection_name": "x"}, "file"),
        ({"file": "not a file", "collection_name": "x"}, "file"),
        ({"file": SimpleUploadedFile("a.bib", b"@a{b,}")}, "collection_name"),
        ({"file": SimpleUploadedFile("a.bib", b"   "), "collection_name": "x"}, "file"),
        ({"file": SimpleUploadedFile("a.bib", b"@a{b,}"), "collection": 999999}, "collection"),
        (
            {"file": SimpleUploadedFile("a.bib", b"@a{b,}"), "collection_name": "Reading list"},
            "collection_name",
        ),
    ],
)
def test_the_api_refuses_a_bad_upload_with_a_reason(alice, data, field):
    collections.reading_list(alice)
    api = APIClient()
    api.force_authenticate(alice)

    response = api.post("/api/v1/imports/", data)

    assert response.status_code == 400
    assert field in response.json()


def test_the_api_says_when_the_hourly_limit_frees_up(alice, settings):
    settings.IMPORTS_PER_HOUR = 0
    api = APIClient()
    api.force_authenticate(alice)

    response = api.post("/api/v1/imports/", {"file": upload(), "collection_name": "x"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "limit of 0 imports an hour" in response.json()["detail"]


def test_imports_are_exported_with_the_account_and_deleted_with_it(client, alice):
    from accounts.account_data import export_account

    job = imports.start_import(
        owner=alice, file_name="zotero.bib", data=upload().read(), collection_name="Zotero"
    )
    imports.run_import(job.pk)

    exported = export_account(alice)["imports"]

    assert [(j["file_name"], j["status"], j["added"]) for j in exported] == [
        ("zotero.bib", "done", 3)
    ]
    assert [i["title"] for i in exported[0]["items"]][-1] == "On random graphs I"
    alice.delete()
    assert not ImportJob.objects.exists()
