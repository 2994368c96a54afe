"""The paper page (portal.paper_page.paper_detail / paper_by_doi) on real recorded Crossref records.

Records are imported the way the portal imports them (parse_work + upsert_work), so what the
page shows is what a reader would see for that DOI.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from papers.models import Authorship, Notice, Reference
from papers.views import licence_label
from reviews.ratings import submit_review
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    FundingFactory,
    KeywordFactory,
    PaperFactory,
    UserFactory,
)
from tests.records import import_record

CROSSREF = Path(__file__).resolve().parent.parent / "fixtures" / "crossref"

pytestmark = pytest.mark.django_db


def get_page(client, paper):
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


class _MetaTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.tags.append((attrs["name"], attrs.get("content")))
        if tag == "link":
            self.links.append(attrs)


def meta_tags(html):
    parser = _MetaTags()
    parser.feed(html)
    return parser.tags


def meta(html, name):
    return [content for tag, content in meta_tags(html) if tag == name]


def text_of(html):
    """The page's visible text with whitespace collapsed, for order checks."""
    body = re.sub(r"<(script|style|head)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def assert_in_order(text, pieces):
    """Each piece occurs in text after the one before it."""
    at = 0
    for piece in pieces:
        found = text.find(piece, at)
        assert found >= 0, f"{piece!r} missing after {text[max(at - 80, 0) : at]!r}"
        at = found + len(piece)


# --- the blocks, in the seed page's order ---


def test_it_shows_a_journal_article_with_its_real_metadata_in_the_seed_pages_order(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    text = text_of(get_page(client, paper))

    expected_in_order = [
        "Journal article",
        "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
        "mutations in plasma ctDNA",
        "Journal",
        "Journal of Clinical Pathology",
        "Volume 74, Issue 5, Pages 314-320",
        "Publisher",
        "BMJ",
        "DOI: 10.1136/jclinpath-2020-206745",
        "Keywords",
        "Categories",
        "Funding",
        "National Key Research and Development Program [2017YFC0906500 and 2016YFC1000301]",
        "Ask authors/readers for more resources",
        "Abstract",
        "Authors",
        "Jun Xu",
        "I am an author on this paper",
        "Click your name to claim this paper and add it to your profile.",
        "Reviews",
        "Primary Rating",
        "Not enough ratings",
        "Secondary Ratings",
        "Novelty",
        "Significance",
        "Scientific rigor",
        "Rate this paper",
        "Recommended",
        "No Data Available",
    ]
    assert_in_order(text, expected_in_order)


def test_the_doi_links_to_the_resolver(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    html = get_page(client, paper)

    assert (
        '<a href="https://doi.org/10.1136/jclinpath-2020-206745">10.1136/jclinpath-2020-206745</a>'
        in html
    )


def test_it_lists_every_author_in_order_with_affiliations_and_orcid(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    html = get_page(client, paper)

    authors_html = html[html.index('id="h-authors"') :]
    names = re.findall(r'<a class="author-name" href="[^"]+">([^<]+)</a>', authors_html)
    assert names == [
        "Jun Xu",
        "Shoufang Qu",
        "Nan Sun",
        "Wenxin Zhang",
        "Juanli Zhang",
        "Qingtao Song",
        "Mufei Lin",
        "Wei Gao",
        "Qiaosong Zheng",
        "Mipeng Han",
        "Chenglong Na",
        "Ren Xu",
        "Xiaoyan Chang",
        "Xuexi Yang",
        "Jie Huang",
    ]
    assert "R&amp;D Center, Amoy Diagnostics Co., Ltd, Xiamen, China" in authors_html
    assert (
        '<a class="orcid" href="https://orcid.org/0000-0002-3513-6501" '
        'aria-label="ORCID iD of Xuexi Yang: 0000-0002-3513-6501">ORCID</a>'
    ) in authors_html
    first = Authorship.objects.get(paper=paper, position=0).author
    assert f'href="{first.get_absolute_url()}">Jun Xu</a>' in authors_html


def test_it_shows_an_organisation_as_an_author(client):
    paper = import_record("10.1186_s13742-015-0103-4.json")

    html = get_page(client, paper)

    assert ">The Genome Denmark Consortium</a>" in html


def test_it_shows_every_one_of_three_hundred_authors(client):
    paper = PaperFactory()
    for position in range(300):
        AuthorshipFactory(paper=paper, position=position, author=AuthorFactory())

    html = get_page(client, paper)

    assert html.count('class="author-name"') == 300


def test_it_shows_a_dash_for_a_missing_issue_and_missing_pages(client):
    paper = import_record("10.3389_fgene.2017.00147.json")

    text = text_of(get_page(client, paper))

    assert "Volume 8, Issue -, Pages -" in text


def test_it_shows_the_article_number_when_there_are_no_pages(client):
    paper = import_record("10.1038_srep16696.json")

    text = text_of(get_page(client, paper))

    assert "Scientific Reports" in text
    assert "Volume 5, Issue 1, Pages 16696" in text


def test_it_numbers_funders_with_their_award_numbers_in_record_order(client):
    paper = import_record("10.1016_j.neurobiolaging.2010.03.024.json")
    fundings = list(paper.fundings.order_by("position").select_related("funder"))

    html = get_page(client, paper)

    items = re.findall(r"<li>([^<]*)</li>", html[html.index('<ol class="funding">') :])
    assert items[: len(fundings)] == [
        f"{f.funder.name} [{', '.join(f.awards)}]" if f.awards else f.funder.name for f in fundings
    ]
    assert len(fundings) == 2


def test_a_funder_with_several_awards_shows_them_in_one_bracket(client):
    paper = import_record("10.1016_j.ffa.2015.10.008.json")

    html = get_page(client, paper)

    assert (
        "<li>National Natural Science Foundation of China [61502048, 61370194, 61411146001]</li>"
        in html
    )


def test_keywords_and_categories_link_into_the_filtered_catalogue(client):
    paper = import_record("10.1016_j.ffa.2015.10.008.json")
    keyword = KeywordFactory(name="DNA codes", slug="dna-codes")
    paper.keywords.add(keyword)

    html = get_page(client, paper)

    assert f'<a href="{reverse("papers:keyword", args=["dna-codes"])}">DNA codes</a>' in html
    for category in paper.categories.all():
        url = reverse("papers:category", args=[category.slug])
        assert f'<a href="{url}">{category.name}</a>' in html
    assert paper.categories.filter(name="Algebra and Number Theory").exists()


def test_the_journal_links_to_its_catalogue_page(client):
    paper = import_record("10.1038_srep16696.json")

    html = get_page(client, paper)

    assert f'<a href="{paper.journal.get_absolute_url()}">Scientific Reports</a>' in html


def test_a_book_chapter_names_its_book(client):
    paper = import_record("10.1007_978-3-319-75889-3_1.json")

    text = text_of(get_page(client, paper))

    assert "Book chapter" in text
    assert "Book SpringerBriefs in Medical Earth Sciences Volume -, Issue -, Pages 1-13" in text


def test_a_preprint_without_a_journal_shows_dashes(client):
    paper = import_record("10.1101_097196.json")

    text = text_of(get_page(client, paper))

    assert "Preprint" in text
    assert "Journal - Volume -, Issue -, Pages -" in text
    assert "Publisher Cold Spring Harbor Laboratory" in text


def test_the_summary_comes_before_the_abstract_whose_paragraphs_are_kept(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")
    paper.summary = "A national reference panel for plasma ctDNA tests in China."
    paper.save()

    html = get_page(client, paper)

    assert html.index("A national reference panel") < html.index('id="h-abstract"')
    abstract = html[html.index('id="h-abstract"') :]
    # The structured abstract keeps its sections as headings, and its text as paragraphs.
    assert "<h3>Background</h3>" in abstract
    assert "<h3>Objective</h3>" in abstract
    assert "<p>The absence of high-quality next-generation sequencing (NGS) reference" in abstract


def test_abstract_text_is_escaped(client):
    paper = PaperFactory(abstract="Ions <script>alert(1)</script> & more.\n\nSecond paragraph.")

    html = get_page(client, paper)

    assert "<script>alert(1)</script>" not in html
    assert "<p>Ions &lt;script&gt;alert(1)&lt;/script&gt; &amp; more.</p>" in html
    assert "<p>Second paragraph.</p>" in html


def test_it_shows_licence_landing_page_counts_and_citation_exports(client):
    paper = import_record("10.1038_srep16696.json")

    html = get_page(client, paper)

    assert 'href="https://creativecommons.org/licenses/by/4.0" rel="license">CC BY 4.0</a>' in html
    assert '<a href="https://www.nature.com/articles/srep16696">nature.com</a>' in html
    text = text_of(html)
    assert "Published 2015-11-19" in text
    assert "References 62" in text
    assert "Cited by 110" in text
    assert f'href="{reverse("papers:paper-bibtex", args=[paper.pk])}"' in html
    assert f'href="{reverse("papers:paper-ris", args=[paper.pk])}"' in html


def test_the_cite_block_shows_the_paper_in_every_style_with_its_downloads(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    html = get_page(client, paper)

    block = html[html.index('<section class="paper-block cite"') :]
    block = block[: block.index("</section>")]
    # Without JavaScript: a <details> with each style, the copy buttons hidden.
    assert "<details" in block and "<summary>Formatted reference: APA, " in block
    assert (
        '<p class="reference" id="cite-apa">Xu, J., Qu, S., Sun, N., Zhang, W., Zhang, J.,' in block
    )
    assert "<i>Journal of Clinical Pathology</i>, <i>74</i>(5), 314–320." in block
    assert '<p class="reference" id="cite-ieee">J. Xu <i>et al.</i>, “Construction' in block
    assert '<p class="reference" id="cite-chicago-author-date">Xu, Jun, Shoufang Qu' in block
    assert block.count('class="copy-reference"') == 7
    assert block.count("hidden>Copy</button>") == 7
    for name in ("paper-bibtex", "paper-ris", "paper-csl-json"):
        assert f'href="{reverse(f"papers:{name}", args=[paper.pk])}" download' in block


def test_the_cite_block_escapes_what_the_record_holds(client):
    paper = PaperFactory(title="Ions <script>alert(1)</script> & more")

    html = get_page(client, paper)

    block = html[html.index('<section class="paper-block cite"') :]
    assert "<script>alert(1)" not in block
    assert "Ions &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in block


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://creativecommons.org/licenses/by-nc/4.0/", "CC BY-NC 4.0"),
        ("https://creativecommons.org/licenses/by/4.0", "CC BY 4.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
        ("http://www.elsevier.com/open-access/userlicense/1.0/", "elsevier.com"),
        ("", ""),
    ],
)
def test_licences_get_a_short_name(url, label):
    assert licence_label(url) == label


# --- ratings and the entry points of later issues ---


def rate(paper, *ratings):
    for rating in ratings:
        submit_review(user=UserFactory(), paper=paper, rating=rating)


def test_it_hides_an_average_from_too_few_ratings(client, settings):
    paper = PaperFactory()
    rate(paper, *[5] * (settings.RATINGS_MIN_SHOWN - 1))

    text = text_of(get_page(client, paper))

    assert "5.0" not in text
    assert "Not enough ratings" in text


def test_it_shows_the_average_once_there_are_enough_ratings(client, settings):
    paper = PaperFactory()
    rate(paper, 5, 5, 4, 5, 5)
    settings.RATINGS_MIN_SHOWN = 5

    text = text_of(get_page(client, paper))

    assert "Rating 4.8" in text
    assert "4.8 from 5 ratings" in text
    assert "Not enough ratings" not in text


def test_anonymous_readers_are_sent_to_log_in_and_come_back(client):
    paper = import_record("10.1038_srep16696.json")

    html = get_page(client, paper)

    login = f"{reverse('login')}?next=/doi/10.1038/srep16696"
    assert f'<a class="button-link" href="{login}">I am an author on this paper</a>' in html
    # Rating and asking for resources have their own pages, behind the log-in: the reader
    # comes back to the form.
    ask_url = reverse("reviews:ask-resource", args=[paper.pk])
    assert (
        f'<a class="button-link" href="{ask_url}">Ask authors/readers for more resources</a>'
        in html
    )
    rate_url = reverse("reviews:review", args=[paper.pk])
    assert f'<a class="button-link" href="{rate_url}">Rate this paper</a>' in html


def test_logged_in_readers_go_straight_to_the_forms(client):
    paper = import_record("10.1038_srep16696.json")
    client.force_login(UserFactory(username="alice"))

    html = get_page(client, paper)

    ask_url = reverse("reviews:ask-resource", args=[paper.pk])
    assert f'href="{ask_url}">Ask authors/readers for more resources</a>' in html
    assert f"{reverse('login')}?next=" not in html


def test_logged_in_readers_claim_by_clicking_an_author_name(client):
    paper = import_record("10.1038_srep16696.json")
    client.force_login(UserFactory(username="alice"))

    html = get_page(client, paper)

    assert "Click your name to claim this paper and add it to your profile." in html
    for authorship in paper.authorships.all():
        url = reverse("accounts:claim-confirm", args=[authorship.pk])
        assert f'<a class="author-name" href="{url}"' in html


# --- notices ---


def test_a_retracted_paper_carries_an_unmistakable_notice(client):
    paper = import_record("10.1038_srep16696.json")
    Notice.objects.create(
        paper=paper,
        kind="retraction",
        doi="10.1038/srep99999",
        direction="updated-by",
        label="Retraction",
    )
    paper.is_retracted = True
    paper.save()

    html = get_page(client, paper)

    assert "<title>Retracted: Single-molecule FRET" in html
    banner = html[html.index('class="notice notice-retracted"') :]
    assert "This paper has been retracted." in banner
    assert '<a href="https://doi.org/10.1038/srep99999">10.1038/srep99999</a>' in banner
    assert html.index("notice-retracted") < html.index('id="paper-title"')
    assert '<span class="retracted-badge">Retracted</span>' in html


def test_a_paper_flagged_retracted_by_a_curator_shows_the_notice_without_a_notice_row(client):
    paper = PaperFactory(is_retracted=True)

    html = get_page(client, paper)

    assert "This paper has been retracted." in html


def test_corrections_are_listed_but_are_not_a_retraction(client):
    paper = import_record("10.1038_srep16696.json")
    Notice.objects.create(
        paper=paper,
        kind="correction",
        doi="10.1038/srep12345",
        direction="updated-by",
        label="Correction",
        date="2016-02-01",
    )
    Notice.objects.create(
        paper=paper, kind="expression_of_concern", doi="10.1038/srep55555", direction="updated-by"
    )

    html = get_page(client, paper)

    assert "This paper has been retracted." not in html
    updates = html[html.index("Updates to this paper") :]
    assert 'Correction: <a href="https://doi.org/10.1038/srep12345">' in updates
    assert "(1 February 2016)" in updates
    assert 'Expression of concern: <a href="https://doi.org/10.1038/srep55555">' in updates


def test_a_paper_that_corrects_another_says_so(client):
    paper = PaperFactory()
    Notice.objects.create(paper=paper, kind="correction", doi="10.5555/orig", direction="update-to")

    html = get_page(client, paper)

    assert 'This paper is a correction of <a href="https://doi.org/10.5555/orig">' in html


def test_a_paper_still_waiting_for_its_metadata_shows_its_doi_and_says_so(client):
    paper = PaperFactory(title="", doi="10.5555/waiting", metadata_status="pending")

    html = get_page(client, paper)

    assert '<h1 id="paper-title">10.5555/waiting</h1>' in html
    assert "We are fetching this paper's details" in html


def test_a_paper_whose_metadata_fetch_failed_says_so(client):
    paper = PaperFactory(metadata_status="failed", metadata_error="Crossref said 404")

    html = get_page(client, paper)

    assert "We could not fetch this paper's details" in html
    assert "Crossref said 404" in html  # the reason, in plain words


# --- citation meta tags ---


def test_it_carries_citation_meta_tags_for_google_scholar_and_zotero(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    html = get_page(client, paper)

    assert meta(html, "citation_title") == [
        "Construction of a reference material panel for detecting KRAS/NRAS/EGFR/BRAF/MET "
        "mutations in plasma ctDNA"
    ]
    assert meta(html, "citation_doi") == ["10.1136/jclinpath-2020-206745"]
    authors = meta(html, "citation_author")
    assert len(authors) == 15
    assert authors[:3] == ["Jun Xu", "Shoufang Qu", "Nan Sun"]
    assert authors[-1] == "Jie Huang"
    assert meta(html, "citation_publication_date") == ["2021/05"]
    assert meta(html, "citation_journal_title") == ["Journal of Clinical Pathology"]
    assert meta(html, "citation_volume") == ["74"]
    assert meta(html, "citation_issue") == ["5"]
    assert meta(html, "citation_firstpage") == ["314"]
    assert meta(html, "citation_lastpage") == ["320"]
    assert meta(html, "citation_issn") == ["0021-9746", "1472-4146"]
    assert meta(html, "citation_publisher") == ["BMJ"]
    assert meta(html, "citation_abstract")[0].startswith("Background The absence of high-quality")


def test_each_author_meta_tag_is_followed_by_that_authors_institution(client):
    paper = import_record("10.1136_jclinpath-2020-206745.json")

    tags = meta_tags(get_page(client, paper))

    names = [name for name, _ in tags]
    sixth = names.index("citation_author", names.index("citation_author") + 1)
    for _ in range(4):
        sixth = names.index("citation_author", sixth + 1)
    assert tags[sixth] == ("citation_author", "Qingtao Song")
    assert tags[sixth + 1] == (
        "citation_author_institution",
        "R&D Center, Amoy Diagnostics Co., Ltd, Xiamen, China",
    )


def test_meta_tags_leave_out_what_the_record_does_not_have(client):
    paper = import_record("10.3389_fgene.2017.00147.json")

    html = get_page(client, paper)

    assert meta(html, "citation_volume") == ["8"]
    assert meta(html, "citation_issue") == []
    assert meta(html, "citation_firstpage") == []


def test_both_urls_render_the_page_with_the_doi_url_as_canonical(client):
    paper = import_record("10.1038_srep16696.json")

    by_id = client.get(reverse("papers:paper", args=[paper.pk]))
    by_doi = client.get("/doi/10.1038/srep16696")

    assert paper.get_absolute_url() == "/doi/10.1038/srep16696"
    for response in (by_id, by_doi):
        assert response.status_code == 200
        assert (
            '<link rel="canonical" href="http://testserver/doi/10.1038/srep16696">'
            in response.content.decode()
        )


def test_a_paper_without_a_doi_has_its_id_url_as_canonical(client):
    paper = PaperFactory(doi=None)

    html = get_page(client, paper)

    assert paper.get_absolute_url() == f"/papers/{paper.pk}/"
    assert f'<link rel="canonical" href="http://testserver/papers/{paper.pk}/">' in html
    assert "DOI: -" in text_of(html)


# --- DOI URLs, 404s ---


def test_doi_urls_are_case_insensitive_and_redirect_to_the_canonical_url(client):
    import_record("10.1038_srep16696.json")

    response = client.get("/doi/10.1038/SREP16696")

    assert response.status_code == 301
    assert response["Location"] == "/doi/10.1038/srep16696"
    assert client.get("/doi/10.1038/Srep16696?utm=x")["Location"] == "/doi/10.1038/srep16696?utm=x"


def test_a_doi_with_brackets_and_semicolons_round_trips_through_its_url(client):
    paper = import_record("10.1890_0012-9658_2006_87_2832_tiopma_2.0.co_2.json")

    response = client.get(paper.get_absolute_url())

    assert paper.doi == "10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2"
    assert response.status_code == 200


def test_an_unknown_doi_is_a_friendly_404(client):
    response = client.get("/doi/10.1234/not-in-the-catalogue")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert "We have no paper with this DOI" in html
    assert '<form class="search" role="search"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/doi/10.1234/%22%3Cscript%3Ealert(1)%3C/script%3E",
        "/doi/10.1234/%00",
        "/doi/10.1234/a%20b",
        "/doi/10.x/abc",
        "/doi/10.1234/" + "a" * 400,
        "/doi/11.1234/abc",
        "/papers/0/",
        "/papers/99999999999999999999999/",
        "/papers/99999999999999999999999/cite.bib",
        "/papers/99999999999999999999999/cite.ris",
    ],
)
def test_garbage_in_the_url_is_a_404_never_a_500(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "<script>alert(1)" not in response.content.decode()


# --- queries ---


def paper_with(n_authors, n_related):
    paper = PaperFactory()
    for position in range(n_authors):
        AuthorshipFactory(paper=paper, position=position, author=AuthorFactory())
    for position in range(n_related):
        FundingFactory(paper=paper, position=position)
        paper.keywords.add(KeywordFactory())
        paper.categories.add(CategoryFactory())
        Notice.objects.create(
            paper=paper, kind="correction", doi=f"10.5555/c{position}", direction="updated-by"
        )
        # A reference to a catalogue paper, one to a DOI elsewhere, and a citing paper.
        cited, citing = PaperFactory(), PaperFactory()
        Reference.objects.create(citing=paper, position=2 * position, cited=cited, doi=cited.doi)
        Reference.objects.create(
            citing=paper, position=2 * position + 1, doi=f"10.5555/r{position}"
        )
        Reference.objects.create(citing=citing, position=1, cited=paper, doi=paper.doi)
    return paper


# paper+journal+summary, authorships+authors, keywords, categories, fundings+funders,
# notices, written reviews, resource requests with their "me too" counts
# (reviews.resources.requests_for_page), claims on the authorships (claims_on_paper).
# A paper with resource requests adds one query for their answers
# (tests/reviews/test_resource_pages.py pins that with 1 and 20 requests), and the
# "Recommended" rows with their papers and journals (papers.recommend.related_papers);
# the references (count, first page with the cited papers) and the citing papers (count,
# first page).
PAGE_QUERIES = 14
# A paper that cites nothing and that no catalogue paper cites: the two counts, no rows.
UNCITED_PAGE_QUERIES = PAGE_QUERIES - 2
# A signed-in reader adds: the session row, the user row, their own review, their private
# note, their collections with whether this paper is in each (the Save control,
# library.collections.saved_state). (Their helpful votes cost one more when reviews are
# shown, their "me too"s one more when others' open requests are; whether they are a
# verified author comes with the claims the page shows.)
SIGNED_IN_QUERIES = 5


@pytest.mark.parametrize(("n_authors", "n_related"), [(1, 1), (300, 40)])
def test_the_page_runs_a_constant_number_of_queries(
    client, django_assert_num_queries, n_authors, n_related
):
    paper = paper_with(n_authors, n_related)

    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(paper.get_absolute_url())

    assert response.status_code == 200
    assert response.content.decode().count('class="author-name"') == n_authors


@pytest.mark.parametrize(("n_authors", "n_related"), [(1, 1), (300, 40)])
def test_a_logged_in_reader_adds_only_the_session_and_user_queries(
    client, django_assert_num_queries, n_authors, n_related
):
    paper = paper_with(n_authors, n_related)
    client.force_login(UserFactory(username="alice"))

    with django_assert_num_queries(PAGE_QUERIES + SIGNED_IN_QUERIES):
        response = client.get(paper.get_absolute_url())

    assert response.status_code == 200


def test_the_id_url_runs_the_same_queries_as_the_doi_url(client, django_assert_num_queries):
    paper = paper_with(5, 5)

    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(reverse("papers:paper", args=[paper.pk]))

    assert response.status_code == 200


def test_an_unknown_doi_costs_one_query(client, django_assert_num_queries):
    # The paper lookup; nothing is prefetched for a paper that is not there.
    with django_assert_num_queries(1):
        response = client.get("/doi/10.1234/not-here")

    assert response.status_code == 404
