"""The home page: search box, biggest categories and the newest papers."""

import pytest

from tests.factories import AuthorshipFactory, CategoryFactory, PaperFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_newest_papers_and_the_biggest_categories(client):
    old = PaperFactory(title="An old paper", published_year=1999)
    new = PaperFactory(title="A new paper", published_year=2024)
    ecology, empty = CategoryFactory(name="Ecology"), CategoryFactory(name="Unused")
    old.categories.add(ecology)
    new.categories.add(ecology)

    html = client.get("/").content.decode()

    assert html.index("A new paper") < html.index("An old paper")
    assert 'Ecology <span class="muted">(2)</span>' in html
    assert empty.name not in html


def test_an_empty_catalogue_says_how_to_fill_it(client):
    html = client.get("/").content.decode()

    assert "The catalogue is empty" in html


@pytest.mark.parametrize("papers", [1, 20])
def test_it_runs_the_same_queries_whatever_the_catalogue_holds(
    client, django_assert_num_queries, papers
):
    for paper in PaperFactory.create_batch(papers):
        AuthorshipFactory.create_batch(3, paper=paper)
        paper.categories.add(CategoryFactory())

    # newest papers+journals, their authorships+authors, their categories, category counts
    with django_assert_num_queries(4):
        response = client.get("/")

    assert response.status_code == 200
