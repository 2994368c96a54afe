"""The catalogue API under /api/v1/: contents, filters, errors, permissions and query counts.

Contents are checked on real recorded Crossref records imported through the real upsert;
volume (300 authors, 50 papers) comes from the factories.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from rest_framework import serializers

from papers import listing
from papers.api import PaperListSerializer
from papers.models import Notice, Paper
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    FunderFactory,
    FundingFactory,
    JournalFactory,
    KeywordFactory,
    PaperFactory,
    UserFactory,
)
from tests.records import import_record

CROSSREF = Path(__file__).resolve().parent.parent / "fixtures" / "crossref"

pytestmark = pytest.mark.django_db


@pytest.fixture
def jclinpath():
    """15 authors, one with an ORCID (position 13); one funder with one award string."""
    return import_record("10.1136_jclinpath-2020-206745.json")


@pytest.fixture
def ffa():
    """6 authors, the first with an ORCID; one funder with three awards; four subjects."""
    return import_record("10.1016_j.ffa.2015.10.008.json")


def get_json(client, url, **params):
    response = client.get(url, params)
    assert response["Content-Type"] == "application/json", response.content[:300]
    return response.status_code, response.json()


def ids(body):
    return [row["id"] for row in body["results"]]


# --- papers: contents ---


def test_the_paper_list_shows_each_paper_with_its_journal_and_authors_in_order(
    client, jclinpath, ffa
):
    status, body = get_json(client, "/api/v1/papers/")

    assert status == 200
    assert body["count"] == 2
    # Newest first by default: jclinpath is 2021-05, ffa 2016-01.
    assert ids(body) == [jclinpath.pk, ffa.pk]
    row = body["results"][1]
    assert row["doi"] == "10.1016/j.ffa.2015.10.008"
    assert row["url"] == f"http://testserver/api/v1/papers/{ffa.pk}/"
    assert row["html_url"] == "http://testserver/doi/10.1016/j.ffa.2015.10.008"
    assert row["title"] == "Construction of DNA codes by using algebraic number theory"
    assert row["work_type"] == "journal-article"
    assert row["work_type_label"] == "Journal article"
    assert row["published"] == "2016-01"
    assert row["journal"] == {"id": ffa.journal_id, "title": "Finite Fields and Their Applications"}
    assert [a["name"] for a in row["authors"]] == [
        "Haibo Hong",
        "Licheng Wang",
        "Haseeb Ahmad",
        "Jing Li",
        "Yixian Yang",
        "Changzhong Wu",
    ]
    assert row["authors"][0]["orcid"] == "0000-0003-2908-8651"
    assert row["authors"][1]["orcid"] is None
    assert [c["slug"] for c in row["categories"]] == [
        "algebra-and-number-theory",
        "applied-mathematics",
        "general-engineering",
        "theoretical-computer-science",
    ]
    assert row["is_retracted"] is False
    assert row["rating_average"] is None
    assert row["rating_count"] == 0


def test_the_paper_detail_has_everything_the_paper_page_shows(client, jclinpath):
    status, paper = get_json(client, f"/api/v1/papers/{jclinpath.pk}/")

    assert status == 200
    assert paper["title"] == (
        "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
        "mutations in plasma ctDNA"
    )
    assert paper["published"] == "2021-05"
    assert (paper["volume"], paper["issue"], paper["pages"]) == ("74", "5", "314-320")
    assert paper["publisher"] == "BMJ"
    assert paper["language"] == "en"
    assert paper["license_url"] == "http://creativecommons.org/licenses/by-nc/4.0/"
    assert paper["landing_page_url"] == (
        "https://jcp.bmj.com/lookup/doi/10.1136/jclinpath-2020-206745"
    )
    assert (paper["reference_count"], paper["citation_count"]) == (36, 10)
    assert paper["journal"] == {
        "id": jclinpath.journal_id,
        "title": "Journal of Clinical Pathology",
        "issns": ["0021-9746", "1472-4146"],
        "publisher": "BMJ",
    }
    authors = paper["authors"]
    assert len(authors) == 15
    assert [a["position"] for a in authors] == list(range(15))
    assert authors[0]["name"] == "Jun Xu"
    assert authors[0]["affiliations"] == [
        "Department of Neurosurgery, China-Japan Friendship Hospital, Beijing, China"
    ]
    assert authors[13] == {
        "id": authors[13]["id"],
        "name": "Xuexi Yang",
        "orcid": "0000-0002-3513-6501",
        "given_name": "Xuexi",
        "family_name": "Yang",
        "is_organization": False,
        "position": 13,
        "affiliations": [
            "School of Laboratory Medicine and Biotechnology, Southern Medical University, "
            "Guangzhou, China"
        ],
    }
    assert [a["orcid"] for a in authors].count(None) == 14
    assert paper["funding"] == [
        {
            "funder": {
                "id": paper["funding"][0]["funder"]["id"],
                "name": "National Key Research and Development Program",
                "funder_doi": "10.13039/501100012166",
            },
            "awards": ["2017YFC0906500 and 2016YFC1000301"],
        }
    ]
    assert paper["keywords"] == []
    assert paper["categories"] == []
    assert paper["notices"] == []
    assert paper["metadata_status"] == "fetched"
    assert paper["metadata_status_label"] == "Fetched"
    assert paper["metadata_source"] == "crossref"
    assert paper["metadata_retry_at"] is None
    assert paper["metadata_error"] == ""
    assert paper["provenance"]["title"]["source"] == "crossref"


def test_the_paper_detail_lists_every_award_of_a_funder_and_the_categories(client, ffa):
    _, paper = get_json(client, f"/api/v1/papers/{ffa.pk}/")

    assert paper["funding"][0]["funder"]["name"] == "National Natural Science Foundation of China"
    assert paper["funding"][0]["awards"] == ["61502048", "61370194", "61411146001"]
    assert paper["journal"]["issns"] == ["1071-5797"]
    assert paper["categories"] == [
        {"name": "Algebra and Number Theory", "slug": "algebra-and-number-theory"},
        {"name": "Applied Mathematics", "slug": "applied-mathematics"},
        {"name": "General Engineering", "slug": "general-engineering"},
        {"name": "Theoretical Computer Science", "slug": "theoretical-computer-science"},
    ]
    assert paper["authors"][0]["orcid"] == "0000-0003-2908-8651"


def test_the_paper_detail_lists_notices_and_keywords(client):
    paper = PaperFactory(is_retracted=True)
    paper.keywords.add(KeywordFactory(name="graphene", slug="graphene"))
    Notice.objects.create(
        paper=paper,
        kind="retraction",
        doi="10.5555/retraction.1",
        date=datetime.date(2022, 3, 4),
        direction="updated-by",
        label="Retraction",
    )

    _, body = get_json(client, f"/api/v1/papers/{paper.pk}/")

    assert body["is_retracted"] is True
    assert body["keywords"] == [{"name": "graphene", "slug": "graphene"}]
    assert body["notices"] == [
        {
            "kind": "retraction",
            "doi": "10.5555/retraction.1",
            "date": "2022-03-04",
            "direction": "updated-by",
            "label": "Retraction",
        }
    ]


@pytest.mark.parametrize(
    ("year", "month", "day", "shown"),
    [
        (2021, None, None, "2021"),
        (2021, 9, None, "2021-09"),
        (2021, 9, 14, "2021-09-14"),
        (None, None, None, ""),
    ],
)
def test_published_shows_the_date_at_the_precision_known(client, year, month, day, shown):
    paper = PaperFactory(published_year=year, published_month=month, published_day=day)

    _, listed = get_json(client, "/api/v1/papers/")
    _, detail = get_json(client, f"/api/v1/papers/{paper.pk}/")

    assert listed["results"][0]["published"] == shown
    assert detail["published"] == shown


def test_the_rating_is_a_number_not_a_string(client):
    PaperFactory(rating_average=Decimal("4.80"), rating_count=5)

    _, body = get_json(client, "/api/v1/papers/")

    assert body["results"][0]["rating_average"] == 4.8
    assert body["results"][0]["rating_count"] == 5


def test_a_paper_without_a_doi_or_journal_links_to_its_page_by_id(client):
    paper = PaperFactory(doi=None, journal=None)

    _, body = get_json(client, f"/api/v1/papers/{paper.pk}/")

    assert body["doi"] is None
    assert body["journal"] is None
    assert body["html_url"] == f"http://testserver/papers/{paper.pk}/"


# --- papers: by DOI ---


@pytest.mark.parametrize(
    "written",
    [
        "10.1136/jclinpath-2020-206745",
        "10.1136/JCLINPATH-2020-206745",
        "https://doi.org/10.1136/jclinpath-2020-206745",
    ],
)
def test_a_paper_is_found_by_its_doi_in_any_case(client, jclinpath, written):
    status, body = get_json(client, f"/api/v1/papers/doi/{written}/")

    assert status == 200
    assert body["id"] == jclinpath.pk
    assert len(body["authors"]) == 15


@pytest.mark.parametrize("doi", ["10.1016/j.ffa.2015.10.008", "10.1016/J.FFA.2015.10.008"])
def test_a_doi_with_dots_is_found_with_or_without_the_trailing_slash(client, ffa, doi):
    status, body = get_json(client, f"/api/v1/papers/doi/{doi}/")
    redirect = client.get(f"/api/v1/papers/doi/{doi}", follow=True)

    assert status == 200
    assert body["id"] == ffa.pk
    assert redirect.status_code == 200
    assert redirect.json()["id"] == ffa.pk


@pytest.mark.parametrize("doi", ["not-a-doi", "10.1/x", "10.99999/unknown", "10.1136"])
def test_an_unknown_or_malformed_doi_gives_a_json_404(client, jclinpath, doi):
    status, body = get_json(client, f"/api/v1/papers/doi/{doi}/")

    assert status == 404
    assert "detail" in body


@pytest.mark.parametrize("pk", ["999999", "abc", "doi"])
def test_an_unknown_paper_id_gives_a_json_404(client, pk):
    status, body = get_json(client, f"/api/v1/papers/{pk}/")

    assert status == 404
    assert "detail" in body


def test_the_detail_ignores_list_filters_in_its_query_string(client, jclinpath):
    status, body = get_json(client, f"/api/v1/papers/{jclinpath.pk}/", year_min="abc")

    assert status == 200
    assert body["id"] == jclinpath.pk


# --- papers: filters, search and sort (papers.filters.PaperFilter, shared with the page) ---


@pytest.fixture
def three_papers():
    """Three papers that differ in every filtered attribute."""
    old = PaperFactory(
        title="Graphene membranes for water filtration",
        published_year=2001,
        work_type="book-chapter",
        abstract="",
        rating_average=Decimal("3.00"),
        rating_count=10,
    )
    middle = PaperFactory(
        title="Protein folding in yeast",
        published_year=2011,
        rating_average=Decimal("4.50"),
        rating_count=2,
    )
    new = PaperFactory(title="Coral reef decline", published_year=2021)
    old.categories.add(CategoryFactory(name="Materials science", slug="materials-science"))
    middle.keywords.add(KeywordFactory(name="yeast", slug="yeast"))
    FundingFactory(paper=new, funder=FunderFactory(name="Ocean Trust"))
    return old, middle, new


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"year_min": "2010"}, ["middle", "new"]),
        ({"year_max": "2010"}, ["old"]),
        ({"year_min": "2005", "year_max": "2015"}, ["middle"]),
        ({"category": "materials-science"}, ["old"]),
        ({"keyword": "yeast"}, ["middle"]),
        ({"type": "book-chapter"}, ["old"]),
        ({"has_abstract": "true"}, ["middle", "new"]),
        ({"q": "graphene"}, ["old"]),
        ({"q": "yeast"}, ["middle"]),
    ],
)
def test_each_filter_narrows_the_list(client, three_papers, params, expected):
    papers = dict(zip(["old", "middle", "new"], three_papers, strict=True))

    status, body = get_json(client, "/api/v1/papers/", **params)

    assert status == 200
    assert sorted(ids(body)) == sorted(papers[name].pk for name in expected)


def test_the_journal_and_funder_filters_take_ids(client, three_papers):
    old, _, new = three_papers
    funder_id = new.fundings.get().funder_id

    _, by_journal = get_json(client, "/api/v1/papers/", journal=old.journal_id)
    _, by_funder = get_json(client, "/api/v1/papers/", funder=funder_id)

    assert ids(by_journal) == [old.pk]
    assert ids(by_funder) == [new.pk]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["new", "middle", "old"]),
        ("best_rated", ["middle", "old", "new"]),
        ("most_rated", ["old", "middle", "new"]),
    ],
)
def test_the_list_sorts_like_the_page(client, three_papers, sort, expected):
    papers = dict(zip(["old", "middle", "new"], three_papers, strict=True))

    _, body = get_json(client, "/api/v1/papers/", sort=sort)

    assert ids(body) == [papers[name].pk for name in expected]


def test_relevance_puts_a_title_match_before_an_abstract_match(client):
    # Created first, so that the newest-first order would put it last.
    in_title = PaperFactory(title="Coral reef decline", abstract="Surveys of sites.")
    in_abstract = PaperFactory(title="Notes on fish", abstract="Fish of a coral reef.")
    PaperFactory(title="Protein folding", abstract="Yeast.")

    _, ranked = get_json(client, "/api/v1/papers/", q="coral reef", sort="relevance")
    _, by_default = get_json(client, "/api/v1/papers/", q="coral reef")
    _, newest = get_json(client, "/api/v1/papers/", q="coral reef", sort="newest")

    assert ids(ranked) == [in_title.pk, in_abstract.pk]
    assert ids(by_default) == [in_title.pk, in_abstract.pk]
    assert ids(newest) == [in_abstract.pk, in_title.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"year_min": "abc"},
        {"year_max": "20x1"},
        {"sort": "bogus"},
        {"journal": "abc"},
        {"page_size": "abc", "year_min": "not-a-year"},
    ],
)
def test_a_bad_filter_value_gives_400_json_not_500(client, three_papers, params):
    status, body = get_json(client, "/api/v1/papers/", **params)

    assert status == 400
    assert set(body) & {"year_min", "year_max", "sort", "journal"}


@pytest.mark.parametrize(
    "params",
    [
        {"journal": "999999"},
        {"funder": "-1"},
        {"category": "no-such-category"},
        {"keyword": "ünïcödé"},
        {"has_abstract": "maybe"},
        {"type": "<script>"},
        {"page_size": "100000"},
    ],
)
def test_an_unknown_filter_value_never_gives_a_500(client, three_papers, params):
    response = client.get("/api/v1/papers/", params)

    assert response.status_code in {200, 400}
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "text",
    [
        '"unclosed quote',
        "coral & reef",
        "coral | !reef",
        "title:coral",
        "'; DROP TABLE papers_paper; --",
        "% _ \\",
        "(((",
        "***",
        "   ",
        "coral " * 1000,
        "x" * 5000,
        "🪸 récif",
    ],
)
def test_odd_search_text_gives_200(client, three_papers, text):
    status, body = get_json(client, "/api/v1/papers/", q=text)

    assert status == 200
    assert "results" in body


def test_a_nul_character_in_the_search_is_refused_with_400(client, three_papers):
    status, body = get_json(client, "/api/v1/papers/", q="coral\x00reef")

    assert status == 400
    assert "q" in body


# --- pagination ---


def test_the_list_is_paged_with_a_count_and_links(client, three_papers):
    status, body = get_json(client, "/api/v1/papers/", page_size=2)

    assert status == 200
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")
    assert body["previous"] is None
    _, last = get_json(client, "/api/v1/papers/", page_size=2, page=2)
    assert len(last["results"]) == 1


def test_a_page_past_the_end_gives_a_json_404(client, three_papers):
    status, body = get_json(client, "/api/v1/papers/", page=99)

    assert status == 404
    assert "detail" in body


# --- journals, authors, categories, keywords, funders ---


def test_journals_show_their_issns_and_paper_count(client, jclinpath, ffa):
    PaperFactory(journal=jclinpath.journal)

    _, body = get_json(client, "/api/v1/journals/")
    _, one = get_json(client, f"/api/v1/journals/{jclinpath.journal_id}/")

    by_title = {j["title"]: j for j in body["results"]}
    assert by_title["Journal of Clinical Pathology"]["paper_count"] == 2
    assert by_title["Finite Fields and Their Applications"]["paper_count"] == 1
    assert one["issns"] == ["0021-9746", "1472-4146"]
    assert one["issn_print"] == "0021-9746"
    assert one["html_url"] == f"http://testserver/journals/{jclinpath.journal_id}/"
    assert one["paper_count"] == 2


def test_journals_are_found_by_title_or_issn(client, jclinpath, ffa):
    _, by_title = get_json(client, "/api/v1/journals/", q="finite fields")
    _, by_issn = get_json(client, "/api/v1/journals/", q="1472-4146")

    assert ids(by_title) == [ffa.journal_id]
    assert ids(by_issn) == [jclinpath.journal_id]


def test_authors_show_their_orcid_and_paper_count(client, jclinpath, ffa):
    _, body = get_json(client, "/api/v1/authors/", orcid="0000-0002-3513-6501")

    assert body["count"] == 1
    yang = body["results"][0]
    assert (yang["name"], yang["given_name"], yang["family_name"]) == (
        "Xuexi Yang",
        "Xuexi",
        "Yang",
    )
    assert yang["paper_count"] == 1
    assert yang["html_url"] == f"http://testserver/authors/{yang['id']}/"
    _, by_url = get_json(client, "/api/v1/authors/", orcid="https://orcid.org/0000-0002-3513-6501")
    assert ids(by_url) == [yang["id"]]
    _, mistyped = get_json(client, "/api/v1/authors/", orcid="0000-0002-3513-6502")
    assert mistyped["count"] == 0
    _, named = get_json(client, "/api/v1/authors/", q="zhang")
    assert sorted(a["name"] for a in named["results"]) == ["Juanli Zhang", "Wenxin Zhang"]


def test_an_author_on_several_papers_counts_each_paper_once(client):
    author = AuthorFactory()
    for paper in PaperFactory.create_batch(3):
        AuthorshipFactory(paper=paper, author=author)

    _, body = get_json(client, f"/api/v1/authors/{author.pk}/")

    assert body["paper_count"] == 3


def test_categories_are_found_by_slug_with_their_paper_count(client, ffa):
    status, body = get_json(client, "/api/v1/categories/applied-mathematics/")

    assert status == 200
    assert body["name"] == "Applied Mathematics"
    assert body["paper_count"] == 1
    assert body["url"] == "http://testserver/api/v1/categories/applied-mathematics/"
    assert body["html_url"] == "http://testserver/categories/applied-mathematics/"
    _, listed = get_json(client, "/api/v1/categories/", q="math")
    assert [c["slug"] for c in listed["results"]] == ["applied-mathematics"]


def test_keywords_and_funders_are_listed_with_their_paper_count(client, ffa):
    paper = PaperFactory()
    paper.keywords.add(KeywordFactory(name="DNA codes", slug="dna-codes"))
    ffa.keywords.add(paper.keywords.get())

    _, keyword = get_json(client, "/api/v1/keywords/dna-codes/")
    _, funders = get_json(client, "/api/v1/funders/", q="natural science")

    assert keyword["paper_count"] == 2
    assert funders["results"][0]["funder_doi"] == "10.13039/501100001809"
    assert funders["results"][0]["paper_count"] == 1


def test_an_unknown_slug_gives_a_json_404(client):
    status, body = get_json(client, "/api/v1/categories/no-such-thing/")

    assert status == 404
    assert "detail" in body


# --- the browsable API ---


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/papers/", "/api/v1/papers/{pk}/"])
def test_the_browsable_api_renders_html(client, jclinpath, path):
    response = client.get(path.format(pk=jclinpath.pk), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<html" in html
    if path != "/api/v1/":
        assert "jclinpath-2020-206745" in html


def test_the_browsable_api_reports_a_bad_filter_value_without_a_500(client, jclinpath):
    response = client.get("/api/v1/papers/", {"year_min": "abc"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()


# --- writes ---


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/papers/"),
        ("put", "/api/v1/papers/{pk}/"),
        ("patch", "/api/v1/papers/{pk}/"),
        ("delete", "/api/v1/papers/{pk}/"),
        ("post", "/api/v1/journals/"),
        ("post", "/api/v1/authors/"),
        ("delete", "/api/v1/categories/applied-mathematics/"),
    ],
)
def test_anonymous_writes_are_refused(client, ffa, method, path):
    response = getattr(client, method)(
        path.format(pk=ffa.pk), data={"title": "Hijacked"}, content_type="application/json"
    )

    assert response.status_code in {401, 403}
    ffa.refresh_from_db()
    assert ffa.title == "Construction of DNA codes by using algebraic number theory"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        # POST /api/v1/papers/ adds a paper by DOI (tests/papers/test_api_add.py).
        ("put", "/api/v1/papers/{pk}/"),
        ("patch", "/api/v1/papers/{pk}/"),
        ("delete", "/api/v1/papers/{pk}/"),
        ("post", "/api/v1/papers/{pk}/"),
        ("post", "/api/v1/funders/"),
    ],
)
def test_logged_in_writes_are_not_allowed_either(client, ffa, method, path):
    client.force_login(UserFactory())

    response = getattr(client, method)(
        path.format(pk=ffa.pk), data={"title": "Hijacked"}, content_type="application/json"
    )

    assert response.status_code == 405
    ffa.refresh_from_db()
    assert ffa.title == "Construction of DNA codes by using algebraic number theory"


# --- constant query counts ---


def make_papers(count, *, authors_each=4):
    papers = PaperFactory.create_batch(count)
    for paper in papers:
        AuthorshipFactory.create_batch(authors_each, paper=paper)
        paper.categories.add(CategoryFactory())
    return papers


@pytest.mark.parametrize(
    "params, queries",
    [
        ({}, 4),
        # Sorted otherwise than by relevance, PostgreSQL first asks the planner's estimate of
        # the matches and the table's size, then probes their ids, which counts them
        # (papers.listing.narrow), then sorts the page's ids before reading its rows
        # (papers.listing._sorted_first): 7 queries there, 4 on SQLite.
        (
            {"q": "study", "year_min": "2000", "type": "journal-article", "sort": "best_rated"},
            {"sqlite": 4, "postgresql": 7},
        ),
        # A relevance search first fetches its bounded candidates' ids (papers.search): title
        # matches, then (fewer than RANKED_CANDIDATES here) the rest.
        ({"q": "study", "year_min": "2000", "type": "journal-article"}, 6),
    ],
)
@pytest.mark.parametrize("count", [1, 50])
def test_the_paper_list_runs_a_fixed_number_of_queries_whatever_the_number_of_papers(
    client, django_assert_num_queries, monkeypatch, count, params, queries
):
    make_papers(count)
    # The table's size (reltuples) is whatever an earlier test's ANALYZE left (it is not
    # rolled back): no bound is tried here, so that the count does not depend on it (the
    # bounded tries are counted in tests/papers/test_listing.py).
    monkeypatch.setattr(listing, "KEY_BOUND_MAX_ROWS", 0)

    # 1 count, 2 papers+journals, 3 authorships+authors, 4 categories (filters are
    # conditions inside the first two).
    if isinstance(queries, dict):
        queries = queries[connection.vendor]
    with django_assert_num_queries(queries):
        response = client.get("/api/v1/papers/", {"page_size": 100, **params})

    assert len(response.json()["results"]) == count
    assert all(len(row["authors"]) == 4 for row in response.json()["results"])


def make_rich_paper(*, authors, related):
    paper = PaperFactory()
    AuthorshipFactory.create_batch(authors, paper=paper)
    FundingFactory.create_batch(related, paper=paper)
    paper.keywords.add(*KeywordFactory.create_batch(related))
    paper.categories.add(*CategoryFactory.create_batch(related))
    Notice.objects.bulk_create(
        Notice(paper=paper, kind="correction", doi=f"10.5555/fix.{n}", direction="updated-by")
        for n in range(related)
    )
    return paper


@pytest.mark.parametrize(("authors", "related"), [(1, 1), (300, 40)])
def test_the_paper_detail_runs_six_queries_whatever_the_number_of_authors(
    client, django_assert_num_queries, authors, related
):
    paper = make_rich_paper(authors=authors, related=related)

    # 1 paper+journal, 2 authorships+authors, 3 keywords, 4 categories,
    # 5 fundings+funders, 6 notices.
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/papers/{paper.pk}/")

    body = response.json()
    assert len(body["authors"]) == authors
    assert len(body["funding"]) == len(body["keywords"]) == len(body["notices"]) == related


@pytest.mark.parametrize(("authors", "related"), [(1, 1), (300, 40)])
def test_the_paper_by_doi_runs_six_queries_whatever_the_number_of_authors(
    client, django_assert_num_queries, authors, related
):
    paper = make_rich_paper(authors=authors, related=related)

    # 1 paper+journal by lower(doi), 2 authorships+authors, 3 keywords, 4 categories,
    # 5 fundings+funders, 6 notices.
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/papers/doi/{paper.doi.upper()}/")

    assert len(response.json()["authors"]) == authors


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/api/v1/journals/", lambda n: PaperFactory.create_batch(n)),
        ("/api/v1/authors/", lambda n: AuthorshipFactory.create_batch(n)),
        (
            "/api/v1/categories/",
            lambda n: PaperFactory().categories.add(*CategoryFactory.create_batch(n)),
        ),
        (
            "/api/v1/keywords/",
            lambda n: PaperFactory().keywords.add(*KeywordFactory.create_batch(n)),
        ),
        ("/api/v1/funders/", lambda n: FundingFactory.create_batch(n)),
    ],
)
@pytest.mark.parametrize("count", [1, 30])
def test_the_other_lists_run_two_queries_whatever_the_number_of_rows(
    client, django_assert_num_queries, path, make, count
):
    make(count)

    # 1 count, 2 rows with their paper counts.
    with django_assert_num_queries(2):
        response = client.get(path, {"page_size": 100})

    assert len(response.json()["results"]) == count
    assert all(row["paper_count"] >= 1 for row in response.json()["results"])


def test_the_journal_list_counts_no_papers_of_other_journals(client):
    journal = JournalFactory()
    PaperFactory.create_batch(3, journal=journal)
    JournalFactory()

    _, body = get_json(client, "/api/v1/journals/")

    assert sorted(j["paper_count"] for j in body["results"]) == [0, 3]


def test_the_lists_plain_dict_rows_equal_what_the_declared_fields_give(rf):
    import_record("10.1136_jclinpath-2020-206745.json")  # authors with ORCIDs, a journal
    import_record("10.1016_j.ffa.2015.10.008.json")  # categories
    paper = PaperFactory(journal=None, published_year=None, rating_average="4.25")
    request = rf.get("/api/v1/papers/")
    for row in Paper.objects.for_list():
        serializer = PaperListSerializer(row, context={"request": request})

        generic = serializers.ModelSerializer.to_representation(serializer, row)

        assert serializer.to_representation(row) == generic
    assert PaperListSerializer(paper, context={"request": request}).data["rating_average"] == 4.25
