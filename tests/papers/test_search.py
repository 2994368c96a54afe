"""papers.search.search_papers and papers.filters.PaperFilter, on SQLite and PostgreSQL."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.curation import refresh_search_documents
from papers.filters import PaperFilter
from papers.models import Keyword, Paper
from papers.search import search_papers, sqlite_match_string
from tests.factories import (
    CategoryFactory,
    FundingFactory,
    JournalFactory,
    KeywordFactory,
    PaperFactory,
)
from tests.records import import_record

CROSSREF = Path(__file__).resolve().parents[1] / "fixtures" / "crossref"

# Everything a reader might paste or mistype; each must give results or none, never an error.
ODD_QUERIES = [
    '"',
    '"stem cells',
    "'",
    "stem & cells",
    "a & b | !c <-> d:*",
    "title:stem",
    "'; DROP TABLE papers_paper; --",
    "1 OR 1=1",
    "stem*",
    "*",
    "stem NEAR cells",
    "NEAR(stem cells, 2)",
    "-stem",
    "stem -cells",
    "(stem",
    "stem)) ((",
    "AND OR NOT",
    "%_%",
    "\\",
    "\x00",
    "stem\x00cells\ud800",
    "Günter Reiß 東京 🙂",
    "x" * 5000,
    "stem cells " * 500,
]


def search(text, queryset=None, **kwargs):
    queryset = Paper.objects.all() if queryset is None else queryset
    return list(search_papers(queryset, text, **kwargs).order_by("-search_rank", "-id"))


def filtered(**params):
    return list(PaperFilter(params, queryset=Paper.objects.all()).qs)


@pytest.fixture
def catalogue(db):
    """A few real Crossref records."""
    names = [
        "10.1016_j.neurobiolaging.2010.03.024.json",  # "... mesenchymal stem cells ..."
        "10.1136_jclinpath-2020-206745.json",  # "... KRAS/NRAS/... mutations ..."
        "10.53731_ybhah-9jy85.json",  # by Martin Fenner
        "10.1038_nnano.2014.279.json",  # by Timo Kuschel and Günter Reiss
        "10.3389_fgene.2017.00147.json",  # by Josef Pánek and others
        "10.7554_elife.01567.json",  # eLife, funded by SystemsX
    ]
    return {name.removesuffix(".json"): import_record(name) for name in names}


def test_it_finds_a_paper_by_words_of_its_title(catalogue):
    found = search("mesenchymal stem cells")

    assert found == [catalogue["10.1016_j.neurobiolaging.2010.03.024"]]


def test_it_matches_word_forms_by_their_stem(catalogue):
    # The title says "mutations"; the reader types "mutation".
    assert catalogue["10.1136_jclinpath-2020-206745"] in search("mutation")
    assert catalogue["10.1016_j.neurobiolaging.2010.03.024"] in search("stem cell improves")


def test_it_finds_papers_by_an_author_name(catalogue):
    assert search("Fenner") == [catalogue["10.53731_ybhah-9jy85"]]
    assert search("Günter Reiss") == [catalogue["10.1038_nnano.2014.279"]]
    assert search("Pánek") == [catalogue["10.3389_fgene.2017.00147"]]


def test_it_finds_papers_by_journal_title(catalogue):
    assert search("Nature Nanotechnology") == [catalogue["10.1038_nnano.2014.279"]]


def test_it_finds_a_paper_by_a_keyword_added_later(catalogue):
    paper = catalogue["10.53731_ybhah-9jy85"]
    assert search("zymurgy") == []

    paper.keywords.add(Keyword.objects.create(name="zymurgy", slug="zymurgy"))
    refresh_search_documents([paper.pk])

    assert search("zymurgy") == [paper]


@pytest.mark.parametrize(
    "pasted",
    [
        "10.1038/nnano.2014.279",
        "10.1038/NNANO.2014.279",
        "https://doi.org/10.1038/nnano.2014.279",
        "doi:10.1038/nnano.2014.279",
    ],
)
def test_a_pasted_doi_finds_its_paper_first(catalogue, pasted):
    target = catalogue["10.1038_nnano.2014.279"]
    # Another paper that mentions the same DOI in its abstract must not outrank it.
    PaperFactory(title="Spin waves revisited", abstract="We repeat 10.1038/nnano.2014.279 twice.")

    assert search(pasted)[0] == target


def test_a_title_match_ranks_above_an_abstract_only_match(db):
    in_abstract = PaperFactory(
        title="A cohort study of kidney outcomes",
        abstract="Patients with lupus; lupus nephritis; lupus flares; more lupus.",
    )
    in_title = PaperFactory(title="Lupus and the kidney", abstract="A short note.")

    found = search("lupus")

    assert found == [in_title, in_abstract]
    assert found[0].search_rank > found[1].search_rank


def test_every_word_must_match(db):
    both = PaperFactory(title="Stem cells in lupus")
    PaperFactory(title="Stem cells in arthritis")

    assert search("lupus stem") == [both]


def test_blank_text_leaves_the_queryset_unchanged(db):
    PaperFactory.create_batch(2)
    queryset = Paper.objects.all()

    assert search_papers(queryset, "") is queryset
    assert search_papers(queryset, "   ") is queryset
    assert search_papers(queryset, None) is queryset


@pytest.mark.parametrize("text", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_text_gives_results_or_none_and_never_an_error(db, text):
    PaperFactory(title="Stem cells and Günter Reiß in 東京")

    assert len(search_papers(Paper.objects.all(), text)) <= 1
    assert len(filtered(q=text)) <= 1


def test_text_that_looks_like_search_syntax_is_searched_as_words(db):
    paper = PaperFactory(title="Stem cells near the niche")

    assert search('"stem cells') == [paper]
    assert search("NEAR(stem cells)") == [paper]
    assert search("stem*") == [paper]


def test_sqlite_match_strings_hold_only_quoted_words():
    assert sqlite_match_string('NEAR(a "b", 2) c* -d:e') == '"NEAR" "a" "b" "2" "c" "d" "e"'
    assert sqlite_match_string("*** ()") == ""


def test_the_index_follows_edits_and_deletes(db):
    # On SQLite this needs the FTS triggers, which Django drops if a later migration
    # remakes papers_paper; this test then fails.
    paper = PaperFactory(title="Original wording")
    Paper.objects.filter(pk=paper.pk).update(title="Rewritten heading")

    assert search("original") == []
    assert search("rewritten") == [paper]

    paper.delete()
    assert search("rewritten") == []


def test_with_a_candidate_limit_it_returns_at_most_that_many_matches(db):
    PaperFactory.create_batch(3, title="Graphene sheets")

    assert len(search("graphene", candidates=2)) == 2
    assert len(search("graphene", candidates=None)) == 3


def test_candidates_are_drawn_from_the_filtered_queryset(db):
    journal = JournalFactory()
    PaperFactory.create_batch(3, title="Graphene sheets")
    wanted = PaperFactory(title="Graphene sheets", journal=journal)

    found = search("graphene", Paper.objects.filter(journal=journal), candidates=1)

    assert found == [wanted]


def test_title_matches_are_candidates_before_abstract_only_matches(db):
    PaperFactory.create_batch(4, title="A study", abstract="Graphene sheets and their uses.")
    in_titles = PaperFactory.create_batch(2, title="Graphene sheets", abstract="")

    # Created last, the title matches come last in index order, and still are the candidates.
    assert set(search("graphene", candidates=2)) == set(in_titles)


def test_abstract_only_matches_fill_the_candidates_that_titles_leave(db):
    abstract_only = PaperFactory.create_batch(3, title="A study", abstract="Graphene sheets.")
    in_title = PaperFactory(title="Graphene sheets", abstract="")

    found = search("graphene", candidates=3)

    assert len(found) == 3
    assert found[0] == in_title  # ranked first
    assert set(found[1:]) < set(abstract_only)
    assert set(search("graphene", candidates=10)) == {in_title, *abstract_only}


def test_the_title_query_is_served_by_an_index(db):
    PaperFactory(title="Graphene sheets")
    with CaptureQueriesContext(connection) as captured:
        search_papers(Paper.objects.all(), "graphene")
    title_query = captured.captured_queries[0]["sql"]  # the first candidates' query
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The expression in papers.search must be the index's, or the index never serves.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + title_query)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "papers_paper_title_vector" in plan
        else:
            assert "title : (" in title_query
            cursor.execute("EXPLAIN QUERY PLAN " + title_query)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan


# --- PaperFilter: each filter narrows, sorts order deterministically ---


def test_the_filter_searches_and_sorts_by_relevance_by_default(db):
    abstract_only = PaperFactory(title="Kidney outcomes", abstract="Lupus lupus lupus.")
    title = PaperFactory(title="Lupus outcomes", published_year=1990)

    assert filtered(q="lupus") == [title, abstract_only]


def test_the_filter_sorts_newest_first_without_text(db):
    undated = PaperFactory(published_year=None)
    old = PaperFactory(published_year=1999)
    new_a = PaperFactory(published_year=2020, published_month=5)
    new_b = PaperFactory(published_year=2020, published_month=5)
    newer = PaperFactory(published_year=2020, published_month=11)

    # Ties (same date) by newest id; a paper without a date last, on both databases.
    assert filtered() == [newer, new_b, new_a, old, undated]
    assert filtered(sort="relevance") == [newer, new_b, new_a, old, undated]


def test_the_filter_sorts_by_rating(db):
    unrated = PaperFactory(rating_average=None, rating_count=0)
    good_few = PaperFactory(rating_average=Decimal("4.50"), rating_count=2)
    good_many = PaperFactory(rating_average=Decimal("4.50"), rating_count=9)
    poor_most = PaperFactory(rating_average=Decimal("2.00"), rating_count=20)

    assert filtered(sort="best_rated") == [good_many, good_few, poor_most, unrated]
    assert filtered(sort="most_rated") == [poor_most, good_many, good_few, unrated]


def test_search_with_another_sort_keeps_every_match(db):
    old = PaperFactory(title="Graphene", published_year=2001)
    new = PaperFactory(title="Graphene", published_year=2022)
    PaperFactory(title="Silicon", published_year=2023)

    assert filtered(q="graphene", sort="newest") == [new, old]


def test_the_year_filters_narrow_to_the_range(db):
    PaperFactory(published_year=1999)
    in_range = PaperFactory(published_year=2005)
    PaperFactory(published_year=2011)
    PaperFactory(published_year=None)

    assert filtered(year_min="2000", year_max="2010") == [in_range]


def test_the_journal_filter_narrows_to_one_journal(db):
    paper = PaperFactory()
    PaperFactory()

    assert filtered(journal=str(paper.journal_id)) == [paper]


def test_the_category_and_keyword_filters_take_slugs(db):
    category, keyword = CategoryFactory(slug="ecology"), KeywordFactory(slug="soil")
    in_category, with_keyword = PaperFactory(), PaperFactory()
    PaperFactory()
    in_category.categories.add(category)
    with_keyword.keywords.add(keyword)

    assert filtered(category="ecology") == [in_category]
    assert filtered(keyword="soil") == [with_keyword]


def test_the_funder_filter_narrows_to_funded_papers(db):
    funding = FundingFactory()
    PaperFactory()

    assert filtered(funder=str(funding.funder_id)) == [funding.paper]


def test_the_type_filter_narrows_to_one_work_type(db):
    PaperFactory(work_type="journal-article")
    chapter = PaperFactory(work_type="book-chapter")

    assert filtered(type="book-chapter") == [chapter]


def test_the_has_abstract_filter_splits_papers_by_abstract(db):
    with_abstract = PaperFactory(abstract="Some text.")
    without = PaperFactory(abstract="")

    assert filtered(has_abstract="true") == [with_abstract]
    assert filtered(has_abstract="false") == [without]


def test_filters_combine_with_search(catalogue):
    elife = catalogue["10.7554_elife.01567"]
    funder = elife.fundings.first().funder

    assert filtered(q="histology", funder=str(funder.pk), year_min="2014") == [elife]
    assert filtered(q="histology", year_min="2015") == []


@pytest.mark.parametrize(
    "params",
    [
        {"year_min": "abc"},
        {"year_max": "1e99"},
        {"journal": "x"},
        {"funder": "-1"},
        {"sort": "DROP"},
        {"year_min": "99999999999999999999999"},
    ],
)
def test_invalid_values_are_form_errors_not_exceptions(db, params):
    paper = PaperFactory()
    filterset = PaperFilter(params, queryset=Paper.objects.all())

    assert not filterset.is_valid()
    assert list(filterset.qs) == [paper]  # the invalid parameter is ignored


def test_the_database_has_its_full_text_index(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'papers_paper'"
                " AND indexname = 'papers_paper_search_keys'"
            )
            # The words and each list order's keys (migration 0028).
            assert "USING gin (search_vector, " in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'papers_paper_fts'")
            assert "USING fts5" in cursor.fetchone()[0]
