"""Journal, author, category and keyword pages: their papers, newest first, 20 a page."""

from pathlib import Path

import pytest
from django.db import connection

from papers import catalogue, listing
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    JournalFactory,
    KeywordFactory,
    PaperFactory,
)
from tests.records import import_record

CROSSREF = Path(__file__).resolve().parents[1] / "fixtures" / "crossref"


def titles(response):
    return [paper.title for paper in response.context["papers"]]


def test_a_journal_page_shows_the_journal_and_its_papers_newest_first(client, db):
    paper = import_record("10.1136_jclinpath-2020-206745.json")
    journal = paper.journal
    PaperFactory(title="An older paper", journal=journal, published_year=1999)
    PaperFactory(title="Another journal's paper")

    response = client.get(journal.get_absolute_url())

    assert response.status_code == 200
    assert titles(response) == [paper.title, "An older paper"]
    html = response.content.decode()
    assert "<h1>Journal of Clinical Pathology</h1>" in html
    assert journal.publisher and journal.publisher in html
    for issn in journal.issns:
        assert issn in html
    assert f"/papers/?journal={journal.pk}" in html


def test_an_author_page_shows_their_papers_with_their_affiliations(client, db):
    paper = import_record("10.1136_jclinpath-2020-206745.json")
    authorship = paper.authorships.select_related("author").get(position=0)
    author = authorship.author
    assert authorship.affiliations  # the record gives affiliations for this author
    PaperFactory(title="Not theirs")

    response = client.get(author.get_absolute_url())

    assert response.status_code == 200
    assert titles(response) == [paper.title]
    html = response.content.decode()
    assert f"<h1>{author.name}</h1>" in html
    assert authorship.affiliations[0] in html


def test_an_author_page_lists_the_co_authors_most_shared_papers_first(client, db):
    author, often, once = AuthorFactory(), AuthorFactory(name="Often Here"), AuthorFactory()
    for number in range(3):
        paper = PaperFactory()
        AuthorshipFactory(paper=paper, author=author, position=0)
        AuthorshipFactory(paper=paper, author=often, position=1)
        if number == 0:
            AuthorshipFactory(paper=paper, author=once, position=2)
    AuthorshipFactory(author=AuthorFactory(), position=0)  # never with them

    response = client.get(author.get_absolute_url())

    assert response.context["co_authors"] == [(often.pk, "Often Here", 3), (once.pk, once.name, 1)]
    assert response.context["co_authors_latest"] is None
    html = response.content.decode()
    assert f'<a href="{often.get_absolute_url()}">Often Here</a> (3 papers)' in html


def test_co_authors_past_the_cut_are_left_out_and_ties_are_listed_by_name(db):
    author = AuthorFactory()
    zed, amy, late = (AuthorFactory(name=name) for name in ("Zed", "Amy", "Late Comer"))
    twice = AuthorFactory(name="Twice")
    for number in range(2):
        paper = PaperFactory()
        AuthorshipFactory(paper=paper, author=author, position=0)
        AuthorshipFactory(paper=paper, author=twice, position=1)
        if number == 0:
            for position, other in enumerate((zed, amy, late), start=2):
                AuthorshipFactory(paper=paper, author=other, position=position)

    # The most shared first; of the three sharing one paper, the two with the lowest ids
    # are kept (Zed, Amy), then listed by name.
    assert catalogue.co_authors(author, limit=3) == (
        [(twice.pk, "Twice", 2), (amy.pk, "Amy", 1), (zed.pk, "Zed", 1)],
        False,
    )


def test_co_authors_of_a_prolific_author_are_counted_on_their_latest_papers(client, db):
    author, early, late = AuthorFactory(), AuthorFactory(name="Early"), AuthorFactory(name="Late")
    papers = [PaperFactory() for _ in range(4)]  # in the order they came in
    for paper in papers:
        AuthorshipFactory(paper=paper, author=author, position=0)
    AuthorshipFactory(paper=papers[0], author=early, position=1)
    for paper in papers[2:]:
        AuthorshipFactory(paper=paper, author=late, position=1)

    assert catalogue.co_authors(author, papers=3) == ([(late.pk, "Late", 2)], True)
    assert catalogue.co_authors(author, papers=4) == (
        [(late.pk, "Late", 2), (early.pk, "Early", 1)],
        False,
    )


def test_an_author_page_says_when_co_authors_were_counted_on_the_latest_papers_only(
    client, db, monkeypatch
):
    author, other = AuthorFactory(), AuthorFactory(name="Other")
    for _ in range(3):
        paper = PaperFactory()
        AuthorshipFactory(paper=paper, author=author, position=0)
        AuthorshipFactory(paper=paper, author=other, position=1)

    full = client.get(author.get_absolute_url()).content.decode()
    monkeypatch.setattr(catalogue, "CO_AUTHOR_PAPERS", 2)
    cut = client.get(author.get_absolute_url())

    assert "latest papers here" not in full and "(3 papers)" in full
    assert cut.context["co_authors"] == [(other.pk, "Other", 2)]
    assert "(on their 2 latest papers here)" in cut.content.decode()


def test_an_author_page_links_the_orcid(client, db):
    author = AuthorFactory(orcid="0000-0002-1825-0097")
    AuthorshipFactory(author=author, position=0)

    html = client.get(author.get_absolute_url()).content.decode()

    assert 'href="https://orcid.org/0000-0002-1825-0097"' in html


def test_an_author_listed_twice_on_a_paper_gets_it_once(client, db):
    author = AuthorFactory()
    paper = PaperFactory()
    AuthorshipFactory(paper=paper, author=author, position=0, affiliations=["Uni A"])
    AuthorshipFactory(paper=paper, author=author, position=1, affiliations=["Uni B"])

    response = client.get(author.get_absolute_url())

    assert titles(response) == [paper.title]
    assert "Uni A; Uni B" in response.content.decode()


def test_a_category_page_lists_its_papers(client, db):
    category = CategoryFactory(name="Soil Science", slug="soil-science")
    inside = PaperFactory(title="Inside")
    inside.categories.add(category)
    PaperFactory(title="Outside")

    response = client.get("/categories/soil-science/")

    assert titles(response) == ["Inside"]
    assert "<h1>Soil Science</h1>" in response.content.decode()


def test_a_keyword_page_lists_its_papers_and_takes_a_unicode_slug(client, db):
    keyword = KeywordFactory(name="Ökologie", slug="ökologie")
    tagged = PaperFactory(title="Tagged")
    tagged.keywords.add(keyword)
    PaperFactory(title="Untagged")

    response = client.get(keyword.get_absolute_url())

    assert response.status_code == 200
    assert titles(response) == ["Tagged"]
    assert "<h1>Ökologie</h1>" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/journals/999999/", "/authors/999999/", "/categories/nope/", "/keywords/nope/"]
)
def test_unknown_ids_and_slugs_are_404(client, db, url):
    assert client.get(url).status_code == 404


def test_pages_are_paginated_and_a_bad_page_number_is_not_a_500(client, db):
    journal = JournalFactory()
    PaperFactory.create_batch(25, journal=journal)

    second = client.get(journal.get_absolute_url(), {"page": "2"})
    bad = client.get(journal.get_absolute_url(), {"page": "zzz"})

    assert len(second.context["papers"]) == 5
    assert bad.status_code == 200 and bad.context["page"].number == 1


@pytest.mark.parametrize("count", [1, 40])
def test_an_author_page_runs_the_same_queries_for_one_or_forty_papers(
    client, db, django_assert_num_queries, count, monkeypatch
):
    # The plan depends on the table's size as PostgreSQL last saw it, which earlier tests'
    # ANALYZE and autovacuum move (rolled-back rows are not rolled back there): a catalogue
    # of a million, where forty papers are probed and sorted.
    monkeypatch.setattr(listing, "table_size", lambda model: 1_000_000)
    author = AuthorFactory()
    categories = CategoryFactory.create_batch(3)
    for _ in range(count):
        paper = PaperFactory()
        paper.categories.add(*categories)
        AuthorshipFactory(paper=paper, author=author, position=0)
        for position in range(1, 5):
            AuthorshipFactory(paper=paper, position=position)

    # 1 author, 2 count (PostgreSQL: the estimate and the probe of their paper ids, which
    # counts them, then the page's ids sorted), 3 rows with journals, 4 first
    # authorships+authors, 5 categories, 6 the author's own authorships (affiliations),
    # 7 their latest papers, 8 the co-authors counted, 9 their names.
    with django_assert_num_queries(11 if connection.vendor == "postgresql" else 9):
        response = client.get(author.get_absolute_url())
    assert len(response.context["papers"]) == min(count, 20)


@pytest.mark.parametrize("count", [1, 40])
def test_a_journal_page_runs_the_same_queries_for_one_or_forty_papers(
    client, db, django_assert_num_queries, count
):
    journal = JournalFactory()
    for _ in range(count):
        AuthorshipFactory(paper=PaperFactory(journal=journal), position=0)

    # 1 journal, 2 count, 3 rows with journals, 4 authorships+authors, 5 categories.
    with django_assert_num_queries(5):
        client.get(journal.get_absolute_url())
