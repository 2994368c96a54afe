"""Version groups (papers.version_groups): a preprint and its published version as one work,
through both ingest paths, the paper page, the lists, the reviews and the admin.

Records are real: four Crossref list items taken verbatim from
../shared/data/crossref-lists/crossref_work_list_items.jsonl.gz into
tests/fixtures/crossref-lists/version_pairs.jsonl. The Ecology and Evolution article
10.1002/ece3.2314 (2016) states ``has-preprint`` 10.1101/014852, its bioRxiv preprint (2015),
whose own record names no relation; the blog post 10.59350/895qm-mnq80 states
``is-version-of`` 10.59350/7mtwq-q3661. The arXiv snapshot line of 0704.0001 gives the DOI
of its Phys. Rev. D version.
"""

import copy
import json
from pathlib import Path

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from papers import arxiv, crossref, datacite, recommend, version_groups
from papers.ingest import ImportReport, import_works, read_records, upsert_work
from papers.models import Paper, RecommendationRun, RelatedPaper, VersionLink
from papers.records import VersionRelation
from reviews.ratings import submit_review
from tests.factories import PaperFactory, UserFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAIRS = FIXTURES / "crossref-lists" / "version_pairs.jsonl"
PUBLISHED = "10.1002/ece3.2314"
PREPRINT = "10.1101/014852"
BLOG_POST = "10.59350/895qm-mnq80"
BLOG_POST_EARLIER = "10.59350/7mtwq-q3661"
TITLE_WORDS = "games are over"

pytestmark = pytest.mark.django_db


def work(doi):
    records = {record["DOI"].lower(): record for _, record in read_records(PAIRS)}
    return crossref.parse_work(records[doi])


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)


def bulk_import(*works):
    with committed():
        report = import_works(
            [(item.doi, item) for item in works], report=ImportReport(), source="crossref"
        )
    assert not report.rejected, report.rejected
    return report


def single_import(*works):
    outcomes = []
    for item in works:
        with committed():
            outcomes.append(upsert_work(item, source="crossref")[1])
    return outcomes


PATHS = pytest.mark.parametrize("store", [single_import, bulk_import], ids=["single", "bulk"])


def paper(doi):
    return Paper.objects.with_doi(doi).get()


def group_of(doi):
    return paper(doi).version_group_id


def listed_dois():
    return set(Paper.objects.one_per_version_group().values_list("doi", flat=True))


# --- parsing ---


def test_crossref_relations_name_the_other_versions():
    assert work(PUBLISHED).versions == (VersionRelation("has-preprint", PREPRINT),)
    assert work(BLOG_POST).versions == (VersionRelation("is-version-of", BLOG_POST_EARLIER),)
    # No "relation" object: the record says nothing about versions.
    assert work(PREPRINT).versions is None


def test_datacite_version_relations_are_read_and_other_relations_ignored():
    record = json.loads((FIXTURES / "datacite" / "10.5438_4k3m-nyvg.json").read_text())
    assert datacite.parse_work(record).versions == ()  # References and IsPartOf only

    edited = copy.deepcopy(record)
    edited["data"]["attributes"]["relatedIdentifiers"] += [
        {
            "relationType": "IsVersionOf",
            "relatedIdentifierType": "DOI",
            "relatedIdentifier": "10.5438/ABC",
        },
        {
            "relationType": "IsIdenticalTo",
            "relatedIdentifierType": "URL",
            "relatedIdentifier": "https://x.org",
        },
        {
            "relationType": "HasPreprint",
            "relatedIdentifierType": "DOI",
            "relatedIdentifier": "not a doi",
        },
    ]
    assert datacite.parse_work(edited).versions == (
        VersionRelation("is-version-of", "10.5438/abc"),
    )


def test_an_arxiv_snapshot_doi_is_the_published_version_of_the_preprint():
    lines = (FIXTURES / "arxiv" / "snapshot_sample.jsonl").read_text().splitlines()
    record = next(json.loads(line) for line in lines if '"0704.0001"' in line)

    preprint = arxiv.parse_snapshot(record)

    assert preprint.versions == (VersionRelation("is-preprint-of", "10.1103/physrevd.76.013009"),)


# --- grouping, through both ingest paths ---


@PATHS
def test_a_published_version_arriving_after_its_preprint_joins_it(store):
    store(work(PREPRINT))
    assert group_of(PREPRINT) is None

    store(work(PUBLISHED))

    published = paper(PUBLISHED)
    assert group_of(PREPRINT) == group_of(PUBLISHED) == published.pk  # published stands first
    assert PREPRINT not in listed_dois() and PUBLISHED in listed_dois()
    link = VersionLink.objects.get()
    assert (link.paper, link.relation, link.related) == (published, "has-preprint", paper(PREPRINT))


@PATHS
def test_a_preprint_arriving_after_its_published_version_is_linked_to_it(store):
    store(work(PUBLISHED))
    assert VersionLink.objects.get().related is None  # waits for the preprint
    assert group_of(PUBLISHED) is None

    store(work(PREPRINT))

    assert VersionLink.objects.get().related == paper(PREPRINT)
    assert group_of(PREPRINT) == group_of(PUBLISHED) == paper(PUBLISHED).pk
    # Its versions were stated by the published version's Crossref record.
    assert paper(PREPRINT).provenance["versions"]["source"] == "crossref"


def test_one_batch_holding_both_versions_groups_them():
    bulk_import(work(PREPRINT), work(PUBLISHED), work(BLOG_POST), work(BLOG_POST_EARLIER))

    assert group_of(PREPRINT) == group_of(PUBLISHED) == paper(PUBLISHED).pk
    # Two versions of a blog post, both posted the same day: the first stored stands first.
    assert group_of(BLOG_POST) == group_of(BLOG_POST_EARLIER) is not None
    assert len(listed_dois()) == 2


@PATHS
def test_a_second_import_changes_nothing(store):
    store(work(PREPRINT), work(PUBLISHED))
    before = {p.pk: (p.content_version, p.version_group_id) for p in Paper.objects.all()}

    report = store(work(PUBLISHED), work(PREPRINT))

    after = {p.pk: (p.content_version, p.version_group_id) for p in Paper.objects.all()}
    assert after == before
    assert VersionLink.objects.count() == 1
    if isinstance(report, ImportReport):
        assert report.unchanged == 2
    else:
        assert report == ["unchanged", "unchanged"]


def test_an_arxiv_preprint_joins_its_journal_version_already_in_the_catalogue():
    journal_version = PaperFactory(doi="10.1103/physrevd.76.013009")
    lines = (FIXTURES / "arxiv" / "snapshot_sample.jsonl").read_text().splitlines()
    record = next(json.loads(line) for line in lines if '"0704.0001"' in line)

    with committed():
        upsert_work(arxiv.parse_snapshot(record), source=arxiv.SOURCE)

    assert group_of("10.48550/arxiv.0704.0001") == journal_version.pk


# --- the page, the lists, the reviews ---


def test_each_page_names_the_other_version_and_the_catalogue_shows_one_card(client):
    single_import(work(PREPRINT), work(PUBLISHED))

    published_page = client.get(paper(PUBLISHED).get_absolute_url()).content.decode()
    preprint_page = client.get(paper(PREPRINT).get_absolute_url()).content.decode()
    search = client.get(reverse("papers:list"), {"q": TITLE_WORDS}).content.decode()

    assert "<strong>Preprint:</strong>" in published_page
    assert f'href="{paper(PREPRINT).get_absolute_url()}"' in published_page
    assert "<strong>Published version:</strong>" in preprint_page
    assert f'href="{paper(PUBLISHED).get_absolute_url()}"' in preprint_page
    assert search.count('class="paper-card"') == 1
    assert paper(PUBLISHED).get_absolute_url() in search


def test_a_paper_alone_costs_the_page_no_query_for_versions(django_assert_num_queries):
    single_import(work(PREPRINT))
    alone = paper(PREPRINT)

    with django_assert_num_queries(0):
        assert version_groups.versions_of(alone) == []
    single_import(work(PUBLISHED))
    grouped = paper(PREPRINT)
    with django_assert_num_queries(1):
        versions = version_groups.versions_of(grouped)
    assert [(v.paper.doi, v.label) for v in versions] == [(PUBLISHED, "Published version")]


def test_reviews_of_the_preprint_are_read_on_the_published_page_saying_so(client):
    single_import(work(PREPRINT), work(PUBLISHED))
    reader = UserFactory()
    before = paper(PUBLISHED).content_version

    with committed():
        submit_review(
            user=reader, paper=paper(PREPRINT), rating=4, text="Convincing dispersal model."
        )

    assert paper(PUBLISHED).content_version > before  # its cached fragments are stale
    page = client.get(paper(PUBLISHED).get_absolute_url()).content.decode()
    assert "Convincing dispersal model." in page
    assert "a review of the" in page and ">preprint</a>" in page
    assert "rated 4.00/5 by 1 reader" in page or "rated 4/5 by 1 reader" in page


# --- curators ---


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_curator_unlinks_versions_and_a_re_import_does_not_link_them_again(admin_client):
    single_import(work(PREPRINT), work(PUBLISHED))
    link = VersionLink.objects.get()
    changelist = reverse("admin:papers_versionlink_changelist")

    with committed():
        response = admin_client.post(
            changelist, {"action": "unlink_selected", "_selected_action": [link.pk]}
        )

    assert response.status_code == 302
    assert group_of(PREPRINT) is None and group_of(PUBLISHED) is None
    assert {PREPRINT, PUBLISHED} <= listed_dois()
    bulk_import(work(PUBLISHED), work(PREPRINT))
    single_import(work(PUBLISHED))
    assert group_of(PREPRINT) is None and group_of(PUBLISHED) is None

    with committed():
        admin_client.post(
            changelist, {"action": "link_selected_again", "_selected_action": [link.pk]}
        )
    assert group_of(PREPRINT) == group_of(PUBLISHED) == paper(PUBLISHED).pk


@PATHS
def test_the_provenance_says_who_stated_a_papers_versions_last(store, admin_client):
    store(work(PREPRINT), work(PUBLISHED))
    # The published version's record names the preprint (which arrived first): both
    # papers' versions came from Crossref.
    assert paper(PREPRINT).provenance["versions"]["source"] == "crossref"
    assert paper(PUBLISHED).provenance["versions"]["source"] == "crossref"
    link = VersionLink.objects.filter(removed=False).first()
    curator = admin_client.session["_auth_user_id"]

    with committed():
        admin_client.post(
            reverse("admin:papers_versionlink_changelist"),
            {"action": "unlink_selected", "_selected_action": [link.pk]},
        )

    name = UserFactory._meta.model.objects.get(pk=curator).get_username()
    for doi in (PREPRINT, PUBLISHED):
        assert paper(doi).provenance["versions"]["source"] == f"curator {name}"
    # A later import states nothing new (the links stand, removed): the stamp stays.
    store(work(PREPRINT), work(PUBLISHED))
    assert paper(PREPRINT).provenance["versions"]["source"] == f"curator {name}"


def test_a_curator_links_two_papers_no_record_relates(admin_client):
    first, second = PaperFactory(published_year=2020), PaperFactory(published_year=2022)

    response = admin_client.post(
        reverse("admin:papers_versionlink_add"),
        {
            "paper": first.pk,
            "relation": "is-version-of",
            "other_doi": f"https://doi.org/{second.doi}",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert group_of(first.doi) == group_of(second.doi) == second.pk  # the newer stands first
    link = VersionLink.objects.get()
    assert (link.source, link.related) == ("curator", second)


def test_the_admin_refuses_a_link_to_an_unknown_doi_or_to_itself(admin_client):
    first = PaperFactory()
    url = reverse("admin:papers_versionlink_add")

    unknown = admin_client.post(
        url, {"paper": first.pk, "relation": "is-version-of", "other_doi": "10.1234/nowhere"}
    )
    itself = admin_client.post(
        url, {"paper": first.pk, "relation": "is-version-of", "other_doi": first.doi}
    )
    malformed = admin_client.post(
        url, {"paper": first.pk, "relation": "is-version-of", "other_doi": "nonsense"}
    )

    assert "No paper in the catalogue has this DOI." in unknown.content.decode()
    assert "A paper cannot be a version of itself." in itself.content.decode()
    assert malformed.status_code == 200 and not VersionLink.objects.exists()


def test_deleting_the_published_version_leaves_the_preprint_standing_alone(admin_client):
    single_import(work(PREPRINT), work(PUBLISHED))
    url = reverse("admin:papers_paper_delete", args=[paper(PUBLISHED).pk])

    with committed():
        response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert group_of(PREPRINT) is None
    assert PREPRINT in listed_dois()
    assert VersionLink.objects.count() == 0  # the published record's link went with it


def test_recommended_lists_show_one_version_of_a_work_and_never_the_papers_own(
    django_assert_num_queries,
):
    single_import(work(PREPRINT), work(PUBLISHED))
    third = PaperFactory()
    run = RecommendationRun.objects.create(
        status=RecommendationRun.Status.FINISHED, finished_at=timezone.now()
    )
    for rank, (owner, related) in enumerate(
        [
            (paper(PUBLISHED), paper(PREPRINT)),
            (paper(PUBLISHED), third),
            (third, paper(PREPRINT)),
            (third, paper(PUBLISHED)),
        ]
    ):
        RelatedPaper.objects.create(
            run=run, paper=owner, related=related, rank=rank, score=1.0, reason="content"
        )

    published_id = paper(PUBLISHED).pk
    with django_assert_num_queries(1):
        shown = [row.related for row in recommend.related_papers(published_id)]
    assert shown == [third]
    assert [row.related for row in recommend.related_papers(third.pk)] == [paper(PUBLISHED)]


def test_a_curator_deleting_a_link_splits_the_group_until_a_record_states_it_again(admin_client):
    single_import(work(PREPRINT), work(PUBLISHED))
    link = VersionLink.objects.get()

    with committed():
        response = admin_client.post(
            reverse("admin:papers_versionlink_delete", args=[link.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert group_of(PREPRINT) is None and not VersionLink.objects.exists()
    single_import(work(PUBLISHED))
    assert group_of(PREPRINT) == group_of(PUBLISHED) == paper(PUBLISHED).pk


def test_the_api_detail_lists_the_other_versions(client):
    single_import(work(PREPRINT), work(PUBLISHED))

    response = client.get(reverse("paper-detail", args=[paper(PREPRINT).pk]))
    alone = client.get(reverse("paper-detail", args=[PaperFactory().pk]))

    assert response.status_code == 200
    [version] = response.json()["versions"]
    assert (version["doi"], version["label"]) == (PUBLISHED, "Published version")
    assert version["url"].endswith(reverse("paper-detail", args=[paper(PUBLISHED).pk]))
    assert alone.json()["versions"] == []


def test_the_api_list_shows_one_paper_per_work_unless_every_version_is_asked_for(client):
    single_import(work(PREPRINT), work(PUBLISHED))
    listed = reverse("paper-list")

    one = client.get(listed, {"q": TITLE_WORDS}).json()
    every = client.get(listed, {"q": TITLE_WORDS, "versions": "all"}).json()
    newest = client.get(listed, {"sort": "newest", "versions": "work"}).json()
    bad = client.get(listed, {"versions": "some"})

    assert [p["doi"] for p in one["results"]] == [PUBLISHED]
    assert one["count"] == 1
    assert {p["doi"] for p in every["results"]} == {PUBLISHED, PREPRINT}
    assert [p["doi"] for p in newest["results"]] == [PUBLISHED]
    assert bad.status_code == 400 and "versions" in bad.json()


def test_the_papers_page_shows_every_version_when_asked(client):
    single_import(work(PREPRINT), work(PUBLISHED))

    every = client.get(reverse("papers:list"), {"q": TITLE_WORDS, "versions": "all"})

    assert every.text.count('class="paper-card"') == 2
    assert 'id="filter-versions" type="checkbox" name="versions" value="all" checked' in every.text
