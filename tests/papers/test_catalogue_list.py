"""The /papers/ page: search box, filters, cards, pagination, constant queries."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from papers.listing import EXACT_COUNT_LIMIT, MAX_NUMBERED_ROWS
from papers.models import Paper
from papers.search import RANKED_CANDIDATES
from tests.factories import AuthorshipFactory, CategoryFactory, JournalFactory, PaperFactory
from tests.papers.test_search import ODD_QUERIES
from tests.records import import_record

CROSSREF = Path(__file__).resolve().parents[1] / "fixtures" / "crossref"
URL = "/papers/"


def titles(response):
    return [paper.title for paper in response.context["papers"]]


def test_the_list_is_at_papers_and_named(db):
    assert reverse("papers:list") == URL


def test_it_shows_a_card_for_a_real_record(client, db):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    html = client.get(URL, {"q": "mutations plasma"}).content.decode()

    assert f'href="{paper.get_absolute_url()}"' in html
    assert "Construction of a reference material panel" in html
    assert "Jun Xu" in html and "et al." in html  # three of 15 authors, then et al.
    assert "Wenxin Zhang" not in html
    assert "Journal of Clinical Pathology" in html
    assert ">2021<" in html
    assert "Journal article" in html
    assert "1 paper" in html


def test_a_card_shows_the_rating_only_with_three_ratings(client, db):
    PaperFactory(title="Rated thrice", rating_average=Decimal("4.40"), rating_count=3)
    PaperFactory(title="Rated twice", rating_average=Decimal("3.70"), rating_count=2)

    html = client.get(URL).content.decode()

    assert "4.4<" in html
    assert "3.7" not in html


def test_a_card_marks_a_retracted_paper(client, db):
    PaperFactory(title="Withdrawn work", is_retracted=True)

    assert "Retracted" in client.get(URL).content.decode()


def test_the_filter_form_has_a_label_for_every_input(client, db):
    html = client.get(URL).content.decode()

    for input_id in [
        "filter-q",
        "filter-year-min",
        "filter-year-max",
        "filter-type",
        "filter-has-abstract",
        "filter-sort",
    ]:
        assert f'id="{input_id}"' in html
        assert f'for="{input_id}"' in html
    assert 'method="get"' in html
    assert ">Apply</button>" in html


def test_search_and_filters_narrow_the_results(client, db):
    journal = JournalFactory(title="Journal of Lupus")
    PaperFactory(title="Lupus in mice", published_year=2001, journal=journal)
    PaperFactory(title="Lupus in people", published_year=2019, journal=journal)
    PaperFactory(title="Lupus in fish", published_year=2019)
    PaperFactory(title="Arthritis", published_year=2019, journal=journal)

    response = client.get(URL, {"q": "lupus", "year_min": "2010", "journal": journal.pk})

    assert titles(response) == ["Lupus in people"]
    html = response.content.decode()
    assert "Journal: Journal of Lupus" in html  # the active filter, named
    assert f'name="journal" value="{journal.pk}"' in html  # kept when the form is applied


def test_the_form_shows_the_values_in_effect(client, db):
    html = client.get(
        URL, {"q": "lupus", "year_min": "2000", "type": "book-chapter", "has_abstract": "true"}
    ).content.decode()

    assert 'value="lupus"' in html
    assert 'value="2000"' in html
    assert '<option value="book-chapter" selected>' in html
    assert 'value="true" checked' in html
    assert '<option value="relevance" selected>' in html


def test_it_sorts_newest_first_without_search_text(client, db):
    PaperFactory(title="Old", published_year=1990)
    PaperFactory(title="New", published_year=2020)

    response = client.get(URL)

    assert titles(response) == ["New", "Old"]
    assert '<option value="relevance"' not in response.content.decode()


def test_it_sorts_by_what_the_reader_picks(client, db):
    PaperFactory(title="Popular", rating_average=Decimal("3.00"), rating_count=30)
    PaperFactory(title="Loved", rating_average=Decimal("5.00"), rating_count=4)

    assert titles(client.get(URL, {"sort": "best_rated"})) == ["Loved", "Popular"]
    assert titles(client.get(URL, {"sort": "most_rated"})) == ["Popular", "Loved"]


def test_invalid_filter_values_are_reported_not_a_500(client, db):
    PaperFactory(title="Still listed")

    response = client.get(URL, {"year_min": "abc", "sort": "DROP TABLE", "journal": "x"})

    assert response.status_code == 200
    assert titles(response) == ["Still listed"]
    assert "not understood" in response.content.decode()


# A browser cannot send a lone surrogate; the search function itself is tested with one.
URL_QUERIES = [text for text in ODD_QUERIES if "\ud800" not in text]


@pytest.mark.parametrize("text", URL_QUERIES, ids=range(len(URL_QUERIES)))
def test_odd_search_text_gives_a_page_not_a_500(client, db, text):
    PaperFactory(title="Stem cells and Günter Reiß in 東京")

    response = client.get(URL, {"q": text})

    assert response.status_code == 200
    assert len(response.context["papers"]) <= 1


def test_it_pages_by_twenty_and_keeps_filters_in_page_links(client, db):
    PaperFactory.create_batch(45, title="Graphene sheets", published_year=2020)

    response = client.get(URL, {"q": "graphene", "year_min": "2020", "page": "2"})

    assert len(response.context["papers"]) == 20
    html = response.content.decode()
    assert "45 papers" in html
    assert "page 2 of 3" in html
    assert 'href="?q=graphene&amp;year_min=2020&amp;page=3"' in html
    assert 'href="?q=graphene&amp;year_min=2020&amp;page=1"' in html


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999999999999999999999", "2.5", ""])
def test_a_bad_page_number_gives_a_page_not_a_500(client, db, page):
    PaperFactory.create_batch(21)

    response = client.get(URL, {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number in (1, 2)


def test_a_page_past_the_end_shows_the_last_page(client, db):
    PaperFactory.create_batch(21)

    response = client.get(URL, {"page": "7"})

    assert response.context["page"].number == 2
    assert len(response.context["papers"]) == 1


def test_no_results_says_so(client, db):
    PaperFactory(title="Graphene")

    html = client.get(URL, {"q": "unobtainium"}).content.decode()

    assert "0 papers" in html
    assert "No papers match “unobtainium”" in html


def make_papers(count, *, authors_each, categories_each):
    category_rows = CategoryFactory.create_batch(categories_each)
    for _ in range(count):
        paper = PaperFactory(title="Graphene sheets")
        for position in range(authors_each):
            AuthorshipFactory(paper=paper, position=position)
        paper.categories.add(*category_rows)


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_runs_the_same_queries_for_one_or_fifty_results(
    client, db, django_assert_num_queries, count
):
    make_papers(count, authors_each=4, categories_each=3)
    journal = JournalFactory()
    PaperFactory(title="Graphene elsewhere", journal=journal)

    # 1-2 the search's candidate ids (title matches, then the rest: fewer than
    # RANKED_CANDIDATES here), 3 count, 4 rows with journals, 5 authorships+authors,
    # 6 categories.
    with django_assert_num_queries(6):
        response = client.get(URL, {"q": "graphene", "year_min": "2000", "sort": "relevance"})
    assert len(response.context["papers"]) == min(count + 1, 20)

    # Plus 7: the journal filter's name for its chip.
    with django_assert_num_queries(7):
        client.get(URL, {"q": "graphene", "journal": journal.pk})


def test_a_relevance_search_says_when_it_ranked_only_the_first_matches(client, db):
    Paper.objects.bulk_create(
        Paper(doi=f"10.5555/bulk.{n}", title="Graphene sheets") for n in range(RANKED_CANDIDATES)
    )
    PaperFactory(title="Graphene ribbons", published_year=2024)

    ranked = client.get(URL, {"q": "graphene"})
    by_date = client.get(URL, {"q": "graphene", "sort": "newest"})

    assert f"{RANKED_CANDIDATES}+ papers" in ranked.content.decode()
    assert f"The most relevant of the first {RANKED_CANDIDATES} matches" in ranked.content.decode()
    assert f"{RANKED_CANDIDATES + 1} papers" in by_date.content.decode()
    assert by_date.context["papers"][0].title == "Graphene ribbons"


def test_page_numbers_stop_at_1000_rows_and_a_large_count_says_it_is_an_estimate(client, db):
    Paper.objects.bulk_create(
        Paper(doi=f"10.5555/bulk.{n}", title="Bulk") for n in range(EXACT_COUNT_LIMIT + 1)
    )

    response = client.get(URL)
    deepest = client.get(URL, {"page": 10_000})

    paginator = response.context["page"].paginator
    assert paginator.num_pages == MAX_NUMBERED_ROWS // 20
    assert deepest.context["page"].number == MAX_NUMBERED_ROWS // 20
    assert "add words or filters to narrow the list" in deepest.text
    if connection.vendor == "postgresql":  # above the limit: the planner's estimate
        assert paginator.count_is_estimate and paginator.count > EXACT_COUNT_LIMIT
        assert "about " in response.text
    else:  # SQLite counts exactly
        assert not paginator.count_is_estimate
        assert f"{EXACT_COUNT_LIMIT + 1:,} papers" in response.text


def test_cards_show_an_average_from_the_configured_number_of_ratings(client, db, settings):
    PaperFactory(title="Rated twice", rating_average=Decimal("4.50"), rating_count=2)

    settings.RATINGS_MIN_SHOWN = 3
    assert "4.5" not in client.get(URL).text
    settings.RATINGS_MIN_SHOWN = 2
    assert "by 2 readers" in client.get(URL).text
