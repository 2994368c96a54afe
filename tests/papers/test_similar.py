"""Find papers like this (papers.similar, /papers/similar/, POST /api/v1/papers/similar/), on
the real arXiv listings of tests/fixtures/arxiv (598 papers: enough for topics, so the
candidates come from the HNSW index and the exact search beside it)."""

import re

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count

from papers import similar, vectors
from papers.models import Paper, PaperCategory, VectorIndex
from papers.recommend import place_paper
from tests.factories import PaperFactory
from tests.papers.test_similarity import listings
from tests.papers.test_vectors import catalogue_without, import_sample

pytestmark = pytest.mark.django_db

API = "/api/v1/papers/similar/"
PAGE = "/papers/similar/"


@pytest.fixture
def catalogue():
    """The whole sample, its lists, vectors and index built (a rebuild)."""
    return catalogue_without(set())


def with_abstracts(n):
    return list(Paper.objects.exclude(abstract="").order_by("pk")[:: 598 // n][:n])


# --- the function --------------------------------------------------------------------------


def test_a_papers_abstract_finds_that_paper_first(catalogue):
    papers = with_abstracts(12)
    for paper in papers:
        results = similar.similar_to_text(paper.abstract, limit=5)
        assert results[0].paper == paper, paper.title
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
        assert all(0 < r.score <= 1 for r in results)


def test_each_result_says_which_words_it_shares_with_the_text(catalogue):
    paper = with_abstracts(1)[0]
    results = similar.similar_to_text(paper.abstract, limit=10)

    assert len(results) == 10
    for result in results:
        assert result.shared_words, result.paper.title
        assert result.reason == "Shares: " + ", ".join(result.shared_words)
        found = f"{result.paper.title} {result.paper.abstract}".lower()
        for word in result.shared_words:
            assert word in paper.abstract.lower() and word in found


def test_a_question_finds_papers_on_its_subject(catalogue):
    results = similar.similar_to_text(
        "How can a reinforcement learning agent explore when rewards are sparse?",
        limit=5,
    )

    assert results
    for result in results:
        text = f"{result.paper.title} {result.paper.abstract}".lower()
        assert "reinforcement" in text or "reward" in text or "agent" in text


def test_filters_of_the_papers_list_apply(catalogue):
    paper = with_abstracts(1)[0]
    category = (
        PaperCategory.objects.values("category__slug")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("category__slug", flat=True)[5]
    )
    results = similar.similar_to_text(paper.abstract, limit=20, filters={"category": category})

    assert results
    for result in results:
        slugs = set(result.paper.categories.values_list("slug", flat=True))
        assert category in slugs
    years = sorted({p.published_year for p in Paper.objects.all() if p.published_year})
    newest = years[-1]
    by_year = similar.similar_to_text(paper.abstract, limit=20, filters={"year_min": newest})
    assert by_year and {r.paper.published_year for r in by_year} == {newest}
    none = similar.similar_to_text(paper.abstract, filters={"year_max": 1900})
    assert none == []


def test_a_narrow_filter_widens_the_candidates_to_what_checking_every_paper_finds(
    catalogue, monkeypatch
):
    paper = with_abstracts(1)[0]
    category = (
        PaperCategory.objects.values("category__slug")
        .annotate(n=Count("pk"))
        .filter(n__gte=15)
        .order_by("n")
        .values_list("category__slug", flat=True)[0]
    )
    filters = {"category": category}
    monkeypatch.setattr(similar, "CANDIDATE_STEPS", (20, 100, 2000))
    widened = similar.similar_to_text(paper.abstract, limit=5, filters=filters)
    monkeypatch.setattr(similar, "CANDIDATE_STEPS", (2000,))
    every_paper = similar.similar_to_text(paper.abstract, limit=5, filters=filters)

    assert len(every_paper) == 5
    assert [r.paper for r in widened] == [r.paper for r in every_paper]


@pytest.mark.parametrize(
    ("step", "passing", "expected"),
    [(200, 0.5, 1000), (200, 0.01, 5000), (200, 0.0, 5000), (200, 0.2, 1000), (1000, 0.9, 5000)],
)
def test_a_widening_skips_the_steps_the_share_passing_cannot_fill(step, passing, expected):
    assert similar._next_step(step, passing=passing, enough=40) == expected


def category_with(low, high):
    """The slug of a category of ``low`` to ``high`` papers."""
    return (
        PaperCategory.objects.values("category__slug")
        .annotate(n=Count("pk"))
        .filter(n__gte=low, n__lte=high)
        .order_by("n", "category__slug")
        .values_list("category__slug", flat=True)[0]
    )


def without_columns():
    """The index as one built before its columns were saved: searches check candidates in
    the database only."""
    for built in VectorIndex.objects.all():
        default_storage.delete(f"{built.file}.columns.npz")
    vectors._loaded.clear()


def test_a_filter_by_category_and_years_tested_on_the_index_columns_finds_what_the_database_does(
    catalogue, monkeypatch
):
    texts = [p.abstract for p in with_abstracts(4)]
    years = sorted({p.published_year for p in Paper.objects.all() if p.published_year})
    filter_sets = [
        {"category": category_with(15, 150)},
        {"category": category_with(15, 150), "year_min": years[-1]},
        {"year_max": years[0]},
    ]
    assert vectors.loaded_columns(vectors.current_space())[2] is not None
    by_columns = [
        [r.paper for r in similar.similar_to_text(text, limit=5, filters=filters)]
        for text in texts
        for filters in filter_sets
    ]
    without_columns()
    monkeypatch.setattr(similar, "CANDIDATE_STEPS", (2000,))  # check every paper
    by_database = [
        [r.paper for r in similar.similar_to_text(text, limit=5, filters=filters)]
        for text in texts
        for filters in filter_sets
    ]

    assert by_columns == by_database
    assert all(by_columns[:2])


def test_when_many_papers_pass_the_index_is_searched_and_finds_the_same(catalogue, monkeypatch):
    text = with_abstracts(1)[0].abstract
    filters = {"category": category_with(15, 150)}
    exact = similar.similar_to_text(text, limit=5, filters=filters)
    monkeypatch.setattr(similar, "EXACT_PASSING", 0)

    searched = similar.similar_to_text(text, limit=5, filters=filters)

    assert exact and [r.paper for r in searched] == [r.paper for r in exact]


def test_a_paper_that_left_the_category_since_the_build_is_not_shown_for_it(catalogue):
    slug = category_with(15, 150)
    text = with_abstracts(1)[0].abstract
    first = similar.similar_to_text(text, limit=5, filters={"category": slug})[0].paper
    PaperCategory.objects.filter(paper=first, category__slug=slug).delete()  # a curator's edit

    results = similar.similar_to_text(text, limit=5, filters={"category": slug})

    assert results and first not in [r.paper for r in results]


def test_an_unknown_category_finds_nothing(catalogue):
    text = with_abstracts(1)[0].abstract

    assert similar.similar_to_text(text, filters={"category": "no-such-category"}) == []


def test_filters_not_understood_are_an_error(catalogue):
    with pytest.raises(similar.InvalidFilters) as refused:
        similar.similar_to_text("graph neural networks", filters={"year_min": "soon"})
    assert "year_min" in refused.value.errors


def test_retracted_papers_are_left_out(catalogue):
    paper = with_abstracts(1)[0]
    Paper.objects.filter(pk=paper.pk).update(is_retracted=True)

    results = similar.similar_to_text(paper.abstract, limit=10)

    assert paper not in [r.paper for r in results]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the text is empty"),
        ("   \n\t  ", "the text is empty"),
        ("x" * (similar.MAX_TEXT_CHARS + 1), "at most 20,000"),
        ("!!!! ???? ----", "nothing to compare"),
        ("12345 678 2024 3.14", "nothing to compare"),
        ("zzyzxqq blorfnak", "nothing to compare"),
    ],
)
def test_text_that_cannot_be_compared_is_refused_with_the_reason(catalogue, text, message):
    with pytest.raises(similar.SimilarError, match=message):
        similar.similar_to_text(text)


def test_twenty_thousand_characters_with_line_breaks_are_accepted(catalogue):
    # A browser counts a line break as one character and sends it as two.
    text = ("graph networks\r\n" * 2000)[: similar.MAX_TEXT_CHARS + 1000]
    assert len(text.replace("\r\n", "\n")) <= similar.MAX_TEXT_CHARS
    assert similar.similar_to_text(text, limit=3)


@pytest.mark.parametrize("limit", [0, 101, -1, True, 2.5, "5"])
def test_a_limit_outside_1_to_100_is_refused(catalogue, limit):
    with pytest.raises(similar.SimilarError, match="from 1 to 100"):
        similar.similar_to_text("graph neural networks", limit=limit)


def test_papers_like_a_paper_never_list_the_paper(catalogue):
    paper = with_abstracts(1)[0]
    results = similar.similar_to_paper(paper, limit=10)

    assert len(results) == 10
    assert paper not in [r.paper for r in results]
    assert all(r.shared_words for r in results)


def test_a_paper_placed_since_the_index_was_built_is_found(catalogue):
    held_back = 300
    run = catalogue_without({held_back})
    built = VectorIndex.objects.get(space=run.space)
    paper = import_sample([held_back])[held_back]
    place_paper(paper.pk)  # its vector is a row now; the index file does not hold it

    results = similar.similar_to_text(paper.abstract, limit=3)

    assert VectorIndex.objects.get(space=run.space) == built
    assert results[0].paper == paper


def test_without_an_index_file_every_vector_is_searched_exactly(catalogue):
    VectorIndex.objects.all().delete()
    paper = with_abstracts(1)[0]

    assert similar.similar_to_text(paper.abstract, limit=3)[0].paper == paper


def test_each_search_loads_the_newest_index_version(catalogue):
    space = vectors.current_space()
    newer = vectors.build_index(space)  # as by the hourly task, in another process
    vectors._loaded.clear()  # this (web) process never held it

    similar.similar_to_text("graph neural networks", limit=3)

    assert vectors._loaded[space.pk][0] == newer.file


def test_a_new_portal_without_vectors_fits_its_papers_for_the_question():
    PaperFactory(title="Sparse attention for long documents", abstract="Transformers attend.")
    PaperFactory(title="Protein folding with diffusion models", abstract="Proteins fold.")
    PaperFactory(title="Attention is sparse in long transformers", abstract="Long documents.")

    results = similar.similar_to_text("sparse attention over long documents", limit=5)

    assert {r.paper.title for r in results[:2]} == {
        "Sparse attention for long documents",
        "Attention is sparse in long transformers",
    }


def test_a_large_portal_without_vectors_says_they_are_being_computed(monkeypatch):
    monkeypatch.setattr(similar, "FIT_NOW_MAX_PAPERS", 1)
    PaperFactory.create_batch(2)

    with pytest.raises(similar.SimilarUnavailable, match="being computed"):
        similar.similar_to_text("anything at all")


# --- the page ------------------------------------------------------------------------------


def test_the_empty_page_is_a_labelled_form_that_posts(client, catalogue):
    response = client.get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<form class="filters similar-form" method="post"' in html
    assert '<label for="id_text">Text to compare</label>' in html
    assert 'maxlength="20000"' in html
    assert 'aria-describedby="similar-text-help"' in html
    assert "<script" not in html.split("</header>", 1)[1].split("</main>")[0]


def test_pasting_an_abstract_lists_cards_with_score_and_reason(client, catalogue):
    paper = with_abstracts(1)[0]
    response = client.post(PAGE, {"text": paper.abstract})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="paper-card"') == similar.DEFAULT_LIMIT
    first = html.split('class="paper-card"')[1]
    assert paper.get_absolute_url() in first
    assert "Shares: " in first and 'class="badge badge-score"' in first
    assert f'href="/papers/similar/?paper={paper.pk}"' in first
    assert paper.abstract[:40] in html  # the text stays in the box


def test_a_short_text_works_as_a_link_and_filters_apply(client, catalogue):
    response = client.get(PAGE, {"text": "graph neural networks", "year_max": 1900})

    assert response.status_code == 200
    assert "No paper is close enough with these filters" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [("  ", "the text is empty"), ("!!!!", "nothing to compare"), ("x" * 20001, "at most")],
)
def test_text_that_cannot_be_compared_is_a_400_with_the_reason(client, catalogue, text, message):
    response = client.post(PAGE, {"text": text})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'aria-invalid="true"' in html
    assert re.search(
        r'<span id="similar-text-error" class="error" role="alert">[^<]*' + message, html
    )


def test_more_like_this_lists_papers_like_the_paper(client, catalogue):
    paper = with_abstracts(1)[0]
    response = client.get(PAGE, {"paper": paper.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Papers like" in html and paper.title in html
    assert html.count('class="paper-card"') == similar.DEFAULT_LIMIT
    assert paper.get_absolute_url() not in html.split("<h1>")[1].split("</h1>")[1]


@pytest.mark.parametrize("value", ["abc", "99999999", "-1", "1e3", "٣", str(2**64)])
def test_more_like_an_unknown_paper_is_404(client, catalogue, value):
    assert client.get(PAGE, {"paper": value}).status_code == 404


def test_the_page_runs_a_constant_number_of_queries(client, catalogue, django_assert_num_queries):
    texts = [p.abstract for p in with_abstracts(3)]
    client.post(PAGE, {"text": texts[0]})  # this process loads the model and index once
    # current run+space, index version, vectors placed since the index, candidates passing
    # the filters, their vectors, the 20 cards (papers+journals, first authors, categories)
    for text in texts:
        with django_assert_num_queries(8):
            response = client.post(PAGE, {"text": text, "has_abstract": "true"})
        assert response.content.decode().count('class="paper-card"') == 20


def test_the_paper_page_and_cards_link_to_more_like_this(client, catalogue):
    paper = with_abstracts(1)[0]
    link = f'href="/papers/similar/?paper={paper.pk}"'

    assert link in client.get(paper.get_absolute_url()).content.decode()
    assert 'href="/papers/similar/?paper=' in client.get("/papers/").content.decode()


def test_the_papers_list_links_to_the_page(client, catalogue):
    assert f'href="{PAGE}"' in client.get("/papers/").content.decode()


# --- the API -------------------------------------------------------------------------------


def post(client, body):
    return client.post(API, body, content_type="application/json")


def test_the_api_ranks_papers_like_a_text_with_scores_and_reasons(client, catalogue):
    paper = with_abstracts(1)[0]
    response = post(client, {"text": paper.abstract, "limit": 5})

    body = response.json()
    assert response.status_code == 200
    assert [row["rank"] for row in body] == [1, 2, 3, 4, 5]
    assert body[0]["paper"]["id"] == paper.pk
    assert body[0]["paper"]["html_url"].endswith(paper.get_absolute_url())
    for row in body:
        assert 0 < row["score"] <= 1
        assert row["shared_words"] and row["reason"].startswith("Shares: ")


def test_the_api_finds_papers_like_a_paper_with_filters(client, catalogue):
    paper = with_abstracts(1)[0]
    response = post(client, {"paper": paper.pk, "limit": 20, "year_max": 1900})
    assert response.status_code == 200 and response.json() == []

    response = post(client, {"paper": paper.pk, "has_abstract": True})
    ids = [row["paper"]["id"] for row in response.json()]
    assert len(ids) == 20 and paper.pk not in ids


def test_the_api_query_count_is_constant(client, catalogue, django_assert_num_queries):
    texts = [p.abstract for p in with_abstracts(2)]
    post(client, {"text": texts[0]})
    for limit, text in [(5, texts[0]), (50, texts[1])]:
        # as the page: space, version, fresh vectors, candidates, their vectors, 3 for rows
        with django_assert_num_queries(8):
            assert len(post(client, {"text": text, "limit": limit}).json()) == limit


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "non_field_errors", "either"),
        ({"text": "graph", "paper": 1}, "non_field_errors", "not both"),
        ({"text": ""}, "text", "empty"),
        ({"text": "  \n "}, "text", "empty"),
        ({"text": "x" * 20001}, "text", "at most 20,000"),
        ({"text": "!!!! 1234"}, "text", "nothing to compare"),
        ({"text": "graph", "limit": 0}, "limit", "greater than or equal to 1"),
        ({"text": "graph", "limit": 101}, "limit", "less than or equal to 100"),
        ({"text": "graph", "limit": "many"}, "limit", "valid integer"),
        ({"text": ["graph"]}, "text", "valid string"),
        ({"text": "graph", "year_min": "soon"}, "year_min", "valid integer"),
        ({"paper": "one"}, "paper", "valid integer"),
    ],
)
def test_the_api_refuses_questions_it_cannot_answer_with_400(
    client, catalogue, body, field, message
):
    response = post(client, body)

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])


def test_an_unknown_paper_is_404(client, catalogue):
    response = post(client, {"paper": 99999999})

    assert response.status_code == 404
    assert response.json() == {"detail": "No paper has the id 99999999."}


def test_the_api_is_documented(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/papers/similar/"]["post"]

    assert operation["summary"] == "Papers like a text, or like a paper"
    assert {"200", "400", "404", "503"} <= set(operation["responses"])
    assert listings()  # the fixture the other tests rank


def test_after_a_rebuild_a_search_scans_exactly_only_what_is_placed_after_it(catalogue):
    """The rebuild's own vectors are in its index: scanning them all again beside it, on
    every search until the next hourly build, would cost a read of the whole table."""
    space = vectors.current_space()
    built = VectorIndex.objects.get(space=space)
    since = built.vectors_read_at - vectors.FRESH_OVERLAP

    assert vectors.read_vectors(space, since=since)[0] == []
    paper = with_abstracts(1)[0]
    place_paper(paper.pk)
    assert vectors.read_vectors(space, since=since)[0] == [paper.pk]
