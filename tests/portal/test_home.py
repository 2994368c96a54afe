import pytest
from django.contrib.staticfiles import finders


@pytest.mark.django_db
def test_the_home_page_has_the_header_search_and_footer(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<form class="search" role="search" action="/papers/"' in html
    assert '<label for="site-search" class="visually-hidden">Search papers</label>' in html
    assert ">Log in</a>" in html
    assert "Add a paper" not in html
    assert '<footer class="site-footer">' in html
    assert "/static/portal/site.css" in html


@pytest.mark.django_db
def test_a_logged_in_user_sees_their_name_and_log_out(client, django_user_model):
    user = django_user_model.objects.create_user("alice", password="a-long-password-1")
    client.force_login(user)

    html = client.get("/").content.decode()

    assert "alice" in html
    assert "Log out" in html
    assert '<a href="/papers/add/">Add a paper</a>' in html
    assert ">Log in</a>" not in html


def test_the_stylesheet_is_served_from_the_project_not_a_cdn():
    assert finders.find("portal/site.css")
    css = open(finders.find("portal/site.css")).read()
    assert "http://" not in css and "https://" not in css


@pytest.mark.django_db
def test_the_api_docs_load_their_scripts_from_our_static_files(client):
    html = client.get("/api/v1/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_the_openapi_schema_is_served(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
