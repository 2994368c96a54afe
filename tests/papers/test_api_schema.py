"""The OpenAPI 3 schema of the API (drf-spectacular) and its docs page."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PAPER_FILTERS = [
    "q",
    "year_min",
    "year_max",
    "journal",
    "category",
    "keyword",
    "funder",
    "type",
    "has_abstract",
    "sort",
]


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_validates_without_a_single_warning(tmp_path):
    # --fail-on-warn turns every guess drf-spectacular has to make into an error.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    text = (tmp_path / "schema.yaml").read_text()
    assert text.startswith("openapi: 3.")
    assert "/api/v1/papers/{id}/:" in text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/papers/{id}/",
        "/api/v1/papers/doi/{doi}/",
        "/api/v1/papers/{id}/cite/",
        "/api/v1/journals/",
        "/api/v1/journals/{id}/",
        "/api/v1/authors/",
        "/api/v1/authors/{id}/",
        "/api/v1/categories/",
        "/api/v1/categories/{slug}/",
        "/api/v1/keywords/",
        "/api/v1/keywords/{slug}/",
        "/api/v1/funders/",
        "/api/v1/funders/{id}/",
    ],
)
def test_the_schema_describes_each_endpoint_as_read_only(schema, path):
    assert set(schema["paths"][path]) == {"get"}


def test_the_paper_list_also_takes_a_doi_to_add(schema):
    operations = schema["paths"]["/api/v1/papers/"]
    components = schema["components"]["schemas"]

    assert set(operations) == {"get", "post"}
    post = operations["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AddPaper"
    }
    assert components["AddPaper"]["required"] == ["doi"]
    # 4XX: the error answer every operation may give (portal.api.document_client_errors).
    assert set(post["responses"]) == {"200", "202", "400", "403", "413", "429", "4XX"}
    assert "Location" in post["responses"]["202"]["headers"]
    added = post["responses"]["202"]["content"]["application/json"]["schema"]
    assert added == {"$ref": "#/components/schemas/PaperAdded"}
    assert set(components["PaperAdded"]["properties"]) == {
        "id",
        "doi",
        "url",
        "html_url",
        "metadata_status",
        "metadata_status_label",
    }
    assert {} not in post["security"]  # logged-in users only


def test_the_paper_list_documents_every_filter_of_the_papers_page(schema):
    parameters = schema["paths"]["/api/v1/papers/"]["get"]["parameters"]
    names = {p["name"] for p in parameters}

    assert set(PAPER_FILTERS) <= names
    assert {"page", "page_size"} <= names
    sort = next(p for p in parameters if p["name"] == "sort")
    assert sort["schema"]["enum"] == [
        "best_rated",
        "most_cited",
        "most_rated",
        "newest",
        "oldest",
        "relevance",
    ]


def test_the_paper_detail_documents_its_nested_objects(schema):
    components = schema["components"]["schemas"]
    detail = components["PaperDetail"]["properties"]

    assert detail["authors"]["items"] == {"$ref": "#/components/schemas/AuthorOnPaper"}
    assert detail["funding"]["items"] == {"$ref": "#/components/schemas/Funding"}
    assert detail["published"]["type"] == "string"
    assert detail["html_url"]["format"] == "uri"
    assert set(components["AuthorOnPaper"]["properties"]) == {
        "id",
        "name",
        "orcid",
        "given_name",
        "family_name",
        "is_organization",
        "position",
        "affiliations",
    }
    assert set(components["Funding"]["properties"]) == {"funder", "awards"}
    assert {"Journal", "Author", "Category", "Keyword", "Funder", "PaperSummary"} <= set(components)


def test_the_paper_detail_has_no_filter_parameters(schema):
    parameters = schema["paths"]["/api/v1/papers/{id}/"]["get"]["parameters"]

    assert [p["name"] for p in parameters] == ["id"]


def test_the_docs_page_loads_only_our_own_static_files(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the docs page should load the Swagger UI scripts"
    # The start-up script comes from the page's own address (no inline script: the CSP).
    assert "/api/v1/docs/?script=" in sources
    assert "/api/v1/schema/" in client.get("/api/v1/docs/?script=").content.decode()
    sources.remove("/api/v1/docs/?script=")
    assert all(s.startswith("/static/") for s in sources), sources
    # ... and every one of them is a file we ship.
    assert all(finders.find(s.removeprefix("/static/")) for s in sources), sources
    assert "cdn" not in html.lower()
