"""Hostile input gets a 4xx with a JSON message, never a 500 (issue 13).

Each test guards one cause that answered 500 before: ids that are not numbers in API URLs,
integer filters past the database's range, deeply nested JSON, numbers JSON parses to
infinity, and Django's own error pages answering HTML under /api/.
"""

import pytest
from rest_framework.test import APIClient

from portal import api, views
from tests.factories import AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_BIG = "99999999999999999999999"  # past 2**63: SQLite's driver raised OverflowError


@pytest.fixture
def reader(db):
    return UserFactory(username="reader")


@pytest.fixture
def signed_in(reader):
    client = APIClient()
    client.force_authenticate(reader)
    return client


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()  # a message, under "detail" or per field


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/papers/0.5/"),
        ("get", "/api/v1/papers/null,null/related/"),
        ("get", "/api/v1/journals/abc/"),
        ("get", "/api/v1/authors/1e3/"),
        ("get", "/api/v1/funders/-1/"),
        ("get", "/api/v1/reviews/null/"),
        ("delete", "/api/v1/reviews/null/"),
        ("get", "/api/v1/resource-requests/x/"),
        ("post", "/api/v1/resource-requests/x/answers/"),
        ("post", "/api/v1/resource-requests/x/me-too/"),
        ("post", "/api/v1/resource-requests/x/status/"),
        ("get", "/api/v1/researchers/x/"),
        ("get", "/api/v1/claims/x/"),
        ("post", "/api/v1/claims/x/approve/"),
        ("post", "/api/v1/claims/x/reject/"),
        ("post", "/api/v1/claims/x/withdraw/"),
        ("post", "/api/v1/me/recommendations/x/dismiss/"),
    ],
)
def test_an_id_that_is_not_a_number_is_a_json_404_on_every_api_route(signed_in, method, url):
    assert_json_error(getattr(signed_in, method)(url), 404)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/papers/{TOO_BIG}/",
        f"/api/v1/papers/{TOO_BIG}/related/",
        f"/api/v1/reviews/{TOO_BIG}/",
        f"/api/v1/claims/{TOO_BIG}/",
    ],
)
def test_an_id_past_the_integer_range_is_a_404(signed_in, url):
    assert_json_error(signed_in.get(url), 404)


@pytest.mark.parametrize("name", ["journal", "funder"])
@pytest.mark.parametrize("value", [TOO_BIG, str(2**63), "0"])
def test_an_id_filter_out_of_range_is_a_400_naming_the_parameter(signed_in, name, value):
    response = signed_in.get("/api/v1/papers/", {name: value})

    assert_json_error(response, 400)
    assert list(response.json()) == [name]


def test_the_largest_id_filter_is_accepted_and_matches_nothing(signed_in):
    response = signed_in.get("/api/v1/papers/", {"journal": str(2**63 - 1)})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_rating_filter_out_of_range_is_a_400(signed_in):
    assert_json_error(signed_in.get("/api/v1/reviews/", {"rating": TOO_BIG}), 400)


def test_the_papers_page_shows_an_id_filter_out_of_range_as_a_form_error(client):
    PaperFactory(title="Still listed")

    response = client.get("/papers/", {"journal": TOO_BIG})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Some filters were not understood and are ignored" in page
    assert "less than or equal to 9223372036854775807" in page
    assert "Still listed" in page


def test_the_schema_states_the_range_of_id_filters(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    parameters = schema["paths"]["/api/v1/papers/"]["get"]["parameters"]
    journal = next(p for p in parameters if p["name"] == "journal")
    assert journal["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def post_json(client, url, text):
    return client.post(url, data=text, content_type="application/json")


def test_deeply_nested_json_is_a_400_not_a_recursion_error(signed_in):
    response = post_json(signed_in, "/api/v1/reviews/", '{"a":' * 5000)

    assert_json_error(response, 400)
    assert "nested deeper than 32" in response.json()["detail"]


def test_json_nested_within_the_limit_is_parsed(signed_in):
    nested = '{"a":' * 30 + "1" + "}" * 30
    response = post_json(signed_in, "/api/v1/reviews/", f'{{"x": {nested}, "paper": "x"}}')

    assert response.status_code == 400
    assert "paper" in response.json()  # the serializer saw the body


@pytest.mark.parametrize(
    "url, field",
    [("/api/v1/reviews/", "paper"), ("/api/v1/claims/", "authorship")],
)
@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_a_number_that_is_not_finite_is_a_400(signed_in, url, field, number):
    response = post_json(signed_in, url, f'{{"{field}": {number}, "rating": 3}}')

    assert_json_error(response, 400)
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_body_over_the_size_limit_is_a_413(signed_in):
    text = '{"text": "' + "x" * api.MAX_BYTES + '"}'

    assert_json_error(post_json(signed_in, "/api/v1/reviews/", text), 413)


def test_a_body_not_in_its_declared_charset_is_a_400(signed_in):
    response = signed_in.post(
        "/api/v1/reviews/", data=b'{"text": "\xff"}', content_type="application/json"
    )

    assert_json_error(response, 400)


def test_a_review_with_an_existing_paper_still_goes_through_the_parser(signed_in):
    paper = PaperFactory()

    response = post_json(signed_in, "/api/v1/reviews/", f'{{"paper": {paper.pk}, "rating": 4}}')

    assert response.status_code == 201


def test_a_claim_with_an_id_past_the_integer_range_is_a_400(signed_in):
    AuthorshipFactory()

    response = post_json(signed_in, "/api/v1/claims/", f'{{"authorship": {TOO_BIG}}}')

    assert_json_error(response, 400)
    assert "authorship" in response.json()


def test_a_form_encoded_profile_change_is_accepted_like_json(signed_in, reader):
    # The browsable API's HTML forms send form bodies; they are a supported way in.
    response = signed_in.patch(
        "/api/v1/researchers/me/",
        data="affiliation=Wonderland+University&interest_categories=",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["interest_categories"]
    response = signed_in.patch(
        "/api/v1/researchers/me/",
        data="affiliation=Wonderland+University",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    reader.profile.refresh_from_db()
    assert reader.profile.affiliation == "Wonderland University"


def test_a_body_in_an_unsupported_media_type_is_a_415(signed_in):
    response = signed_in.patch(
        "/api/v1/researchers/me/", data="affiliation=X", content_type="text/plain"
    )

    assert_json_error(response, 415)
    assert "text/plain" in response.json()["detail"]


def test_an_unknown_api_url_is_a_json_404_and_a_page_elsewhere(client):
    assert_json_error(client.get("/api/v1/no-such-thing/"), 404)

    page = client.get("/no-such-thing/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json(rf):
    response = views.server_error(rf.get("/api/v1/papers/"))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.content == b'{"detail": "A server error occurred; it has been logged."}'


def test_the_nesting_depth_ignores_brackets_inside_strings():
    assert api.nesting_depth('{"a": "[[[{{{", "b": [1, {"c": "\\"]]"}]}') == 3
    assert api.nesting_depth('"just a string"') == 0
