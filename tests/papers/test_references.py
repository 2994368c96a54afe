"""Reference lists and "cited by" (papers.references), through both ingest paths, the
paper page, the API and the admin.

Records are real: Crossref responses in tests/fixtures/crossref/, and four real Crossref list
items that cite one another (tests/fixtures/crossref-lists/citation_chain.jsonl, taken
verbatim from ../shared/data/crossref-lists/crossref_work_list_items.jsonl.gz):
ele.14024 cites s12080-020-00477-4, which cites ele.13085 and s12080-013-0192-6;
ele.13085 cites s12080-013-0192-6. OpenAlex works are from tests/fixtures/openalex/.
"""

import dataclasses
import json
from pathlib import Path

import pytest
from django.test import TestCase
from django.urls import reverse

from papers import crossref, openalex, references
from papers.ingest import ImportReport, import_records, import_works, read_records, upsert_work
from papers.models import Paper, Reference, RelatedPaper
from papers.recommend import rebuild_related, related_papers
from tests.factories import PaperFactory
from tests.records import crossref_record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHAIN = FIXTURES / "crossref-lists" / "citation_chain.jsonl"
FORECAST_TRAP = "10.1111/ele.14024"
LONG_TRANSIENTS = "10.1007/s12080-020-00477-4"
NOISE = "10.1111/ele.13085"
EARLY_WARNING = "10.1007/s12080-013-0192-6"

pytestmark = pytest.mark.django_db


def chain_records():
    """{DOI: raw Crossref record} of the four chain papers."""
    found = {}
    for _, record in read_records(CHAIN):
        found[record["DOI"].lower()] = record
    return found


def chain_work(doi):
    return crossref.parse_work(chain_records()[doi])


def committed():
    """Run what a write leaves for after its commit, as a real commit does: the other
    papers' versions are bumped then (papers.versions)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def bulk_import(*works, source="crossref"):
    with committed():
        report = import_works(
            [(work.doi, work) for work in works], report=ImportReport(), source=source
        )
    assert not report.rejected, report.rejected
    return report


def single_import(*works, source="crossref"):
    for work in works:
        with committed():
            upsert_work(work, source=source)


PATHS = pytest.mark.parametrize("store", [single_import, bulk_import], ids=["single", "bulk"])


def paper(doi):
    return Paper.objects.with_doi(doi).get()


def version(doi):
    return paper(doi).content_version


def cited_dois(doi):
    rows = Reference.objects.filter(citing=paper(doi), cited__isnull=False)
    return sorted(rows.values_list("cited__doi", flat=True))


# --- parsing ---


def test_crossref_entries_keep_their_doi_or_their_text_and_fields():
    elife = crossref.parse_work(crossref_record("10.7554_elife.01567.json"))
    assert len(elife.references) == 27
    assert elife.references[0].doi == "10.1038/nature02100"
    assert elife.references[0].title == "APL regulates vascular tissue identity in Arabidopsis"

    book = crossref.parse_work(crossref_record("10.1029_ar035.json"))
    assert len(book.references) == 242
    without_doi = next(entry for entry in book.references if entry.doi is None)
    assert without_doi.author == "Ahlstrom"
    assert without_doi.year == "1971"
    assert without_doi.container == "Fish. Bull."
    assert without_doi.title.startswith("Kinds and abundance of fish larvae")


def test_a_crossref_record_without_a_reference_list_says_nothing_about_one():
    work = crossref.parse_work(crossref_record("10.1186_isrctn11093872.json"))
    assert work.references is None


def test_openalex_referenced_works_become_entries_by_openalex_id():
    record = json.loads((FIXTURES / "openalex" / "W2121398592.json").read_text())
    work = openalex.parse_work(record)

    assert work.openalex_id == "W2121398592"
    assert len(work.references) == len(record["referenced_works"]) == 29
    assert work.references[0].openalex_id == "W1964940342"
    assert work.references[0].doi is None


# --- storing and linking ---


@PATHS
def test_a_list_is_stored_in_order_and_a_second_import_changes_nothing(store):
    work = crossref.parse_work(crossref_record("10.7554_elife.01567.json"))
    store(work)
    first = list(paper(work.doi).references.values_list("pk", "position", "doi"))
    assert [p for _, p, _ in first] == list(range(1, 28))
    assert first[0][2] == "10.1038/nature02100"

    store(work)

    assert list(paper(work.doi).references.values_list("pk", "position", "doi")) == first


@PATHS
def test_a_cited_paper_already_in_the_catalogue_is_linked_at_once(store):
    store(chain_work(EARLY_WARNING))
    before = version(EARLY_WARNING)

    store(chain_work(NOISE))

    assert cited_dois(NOISE) == [EARLY_WARNING]
    # Its "Cited by" block shows the newcomer: its version went up.
    assert version(EARLY_WARNING) > before


@PATHS
def test_a_cited_paper_arriving_later_links_the_entries_waiting_for_it(store):
    store(chain_work(FORECAST_TRAP))
    waiting = Reference.objects.get(citing=paper(FORECAST_TRAP), doi=LONG_TRANSIENTS)
    assert waiting.cited is None
    before = version(FORECAST_TRAP)

    store(chain_work(LONG_TRANSIENTS))

    waiting.refresh_from_db()
    assert waiting.cited == paper(LONG_TRANSIENTS)
    # Its "References" block links the newcomer: its version went up.
    assert version(FORECAST_TRAP) > before


def test_one_bulk_batch_links_the_papers_it_holds_whatever_their_order():
    report = import_records(read_records(CHAIN))

    assert report.created == 4
    assert cited_dois(FORECAST_TRAP) == [LONG_TRANSIENTS]
    assert cited_dois(LONG_TRANSIENTS) == sorted([EARLY_WARNING, NOISE])
    assert cited_dois(NOISE) == [EARLY_WARNING]
    citing = references.citing_papers(paper(EARLY_WARNING).pk)
    assert sorted(citing.values_list("doi", flat=True)) == sorted([LONG_TRANSIENTS, NOISE])


def test_a_bulk_batch_links_the_entries_earlier_batches_stored():
    bulk_import(chain_work(FORECAST_TRAP), chain_work(LONG_TRANSIENTS))
    before = version(LONG_TRANSIENTS)

    bulk_import(chain_work(NOISE), chain_work(EARLY_WARNING))

    assert cited_dois(LONG_TRANSIENTS) == sorted([EARLY_WARNING, NOISE])
    assert version(LONG_TRANSIENTS) > before


def test_link_arrivals_is_set_based(django_assert_num_queries):
    bulk_import(chain_work(FORECAST_TRAP), chain_work(LONG_TRANSIENTS), chain_work(NOISE))
    # Papers made here with DOIs the lists cite, and one nobody cites; no ingest path ran
    # for them yet.
    arrivals = [
        PaperFactory.build(doi=EARLY_WARNING, journal=None),
        PaperFactory.build(doi="10.1007/s12080-011-0149-6", journal=None),
        PaperFactory.build(doi="10.5555/nobody-cites-this", journal=None),
    ]
    Paper.objects.bulk_create(arrivals)

    # The citing papers of the waiting entries; link the entries (the citing papers are
    # bumped after the commit).
    with django_assert_num_queries(2):
        linked = references.link_arrivals(arrivals)

    assert linked == Reference.objects.filter(cited__in=arrivals).count() == 3
    assert cited_dois(NOISE) == sorted([EARLY_WARNING, "10.1007/s12080-011-0149-6"])
    # Nothing waits for them any more: a second call reads and finds nothing.
    with django_assert_num_queries(1):
        assert references.link_arrivals(arrivals) == 0


@PATHS
def test_a_re_import_replaces_the_list_and_the_cited_paper_loses_its_citing_paper(store):
    store(chain_work(EARLY_WARNING), chain_work(NOISE))
    noise = chain_work(NOISE)
    assert cited_dois(NOISE) == [EARLY_WARNING]
    before = version(EARLY_WARNING)

    shorter = dataclasses.replace(
        noise, references=tuple(e for e in noise.references if e.doi != EARLY_WARNING)
    )
    store(shorter)

    assert paper(NOISE).references.count() == len(noise.references) - 1
    assert list(paper(NOISE).references.values_list("position", flat=True)) == list(
        range(1, len(noise.references))
    )
    assert cited_dois(NOISE) == []
    assert not references.citing_papers(paper(EARLY_WARNING).pk).exists()
    assert version(EARLY_WARNING) > before


@PATHS
def test_a_re_import_dropping_a_reference_places_the_paper_it_no_longer_cites(
    store, tasks_in_process
):
    # Long transients cites Noise and Early warning: the two are cited together, and Early
    # warning's list shows Noise for it.
    store(*(chain_work(doi) for doi in (EARLY_WARNING, NOISE, LONG_TRANSIENTS)))
    rebuild_related()
    early, noise = paper(EARLY_WARNING), paper(NOISE)
    shown = {row.related_id: row for row in related_papers(early.pk)}
    assert shown[noise.pk].reason == RelatedPaper.Reason.CITATIONS
    assert shown[noise.pk].detail == "cited together by 1 paper"

    long_transients = chain_work(LONG_TRANSIENTS)
    shorter = dataclasses.replace(
        long_transients,
        references=tuple(e for e in long_transients.references if e.doi != NOISE),
    )
    store(shorter)

    # Noise lost its citing paper and was placed again (after the commit): no citation
    # link is left between the two, so it is not listed for one.
    rows = related_papers(early.pk)
    assert all(
        row.reason != RelatedPaper.Reason.CITATIONS for row in rows if row.related_id == noise.pk
    )


@PATHS
def test_openalex_gives_the_paper_its_id_but_does_not_replace_a_registry_list(store):
    elife = crossref.parse_work(crossref_record("10.7554_elife.01567.json"))
    store(elife)
    record = json.loads((FIXTURES / "openalex" / "W2121398592.json").read_text())

    store(openalex.parse_work(record), source="openalex")

    stored = paper(elife.doi)
    assert stored.openalex_id == "W2121398592"
    assert stored.references.count() == 27
    assert stored.references.filter(openalex_id="").count() == 27


@PATHS
def test_openalex_entries_link_catalogue_papers_by_their_openalex_id(store):
    record = json.loads((FIXTURES / "openalex" / "W2121398592.json").read_text())
    known = PaperFactory(openalex_id="W1964940342")  # OpenAlex's id of the first work cited

    store(openalex.parse_work(record), source="openalex")

    first = paper("10.7554/elife.01567").references.get(position=1)
    assert first.openalex_id == "W1964940342"
    assert first.cited == known
    later = PaperFactory(openalex_id="W1969035038")  # the second, arriving later
    references.link_arrivals([later])
    assert paper("10.7554/elife.01567").references.get(position=2).cited == later


def test_a_locked_list_is_left_alone():
    single_import(chain_work(NOISE))
    Paper.objects.filter(doi=NOISE).update(locked_fields=["references"])
    noise = chain_work(NOISE)

    single_import(dataclasses.replace(noise, references=noise.references[:3]))
    bulk_import(dataclasses.replace(noise, references=noise.references[:3]))

    assert paper(NOISE).references.count() == len(noise.references)


def test_a_paper_added_by_doi_links_the_entries_citing_it(client, alice):
    single_import(chain_work(NOISE))
    client.force_login(alice)

    response = client.post(reverse("papers:add"), {"doi": EARLY_WARNING})

    assert response.status_code == 302
    assert cited_dois(NOISE) == [EARLY_WARNING]


# --- deleting ---


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_deleting_a_citing_paper_in_the_admin_leaves_the_cited_one_uncited(admin_client):
    single_import(chain_work(EARLY_WARNING), chain_work(NOISE))
    before = version(EARLY_WARNING)
    url = reverse("admin:papers_paper_delete", args=[paper(NOISE).pk])

    with committed():
        response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not references.citing_papers(paper(EARLY_WARNING).pk).exists()
    assert version(EARLY_WARNING) > before


def test_deleting_a_cited_paper_unlinks_its_entries_and_bumps_the_citing_page(admin_client):
    single_import(chain_work(EARLY_WARNING), chain_work(NOISE))
    before = version(NOISE)
    changelist = reverse("admin:papers_paper_changelist")

    with committed():
        response = admin_client.post(
            changelist,
            {
                "action": "delete_selected",
                "_selected_action": [paper(EARLY_WARNING).pk],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    entry = Reference.objects.get(citing=paper(NOISE), doi=EARLY_WARNING)
    assert entry.cited is None
    assert version(NOISE) > before


def test_the_admin_shows_the_reference_list(admin_client):
    single_import(chain_work(EARLY_WARNING), chain_work(NOISE))

    response = admin_client.get(reverse("admin:papers_paper_change", args=[paper(NOISE).pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "References (from the record)" in html
    assert "Early warning signals: the charted and uncharted territories" in html


# --- the paper page ---


def test_the_page_links_catalogue_papers_doi_links_and_shows_text(client):
    book = crossref.parse_work(crossref_record("10.1029_ar035.json"))
    single_import(book)

    html = client.get(paper(book.doi).get_absolute_url()).content.decode()

    assert "References (242)" in html
    assert "Cited by 0 papers in this catalogue" in html
    first_page = book.references[: references.REFERENCES_PER_PAGE]
    text_only = next(entry for entry in first_page if entry.doi is None)
    assert text_only.title in html
    with_doi = next(entry for entry in first_page if entry.doi)
    assert f'href="https://doi.org/{with_doi.doi}"' in html


def test_the_page_links_the_cited_and_the_citing_catalogue_papers(client):
    import_records(read_records(CHAIN))
    page = paper(LONG_TRANSIENTS)

    html = client.get(page.get_absolute_url()).content.decode()

    assert f'href="{paper(NOISE).get_absolute_url()}"' in html
    assert "Cited by 1 paper in this catalogue" in html
    assert f'href="{paper(FORECAST_TRAP).get_absolute_url()}"' in html


@pytest.mark.parametrize("n_entries", [25, 120])
def test_any_page_of_the_blocks_costs_the_same_queries(
    client, django_assert_num_queries, n_entries
):
    cited = PaperFactory()
    citing = PaperFactory()
    Reference.objects.bulk_create(
        Reference(citing=citing, position=n, doi=f"10.5555/r{n}", cited=cited if n == 1 else None)
        for n in range(1, n_entries + 1)
    )
    for _ in range(n_entries):
        Reference.objects.create(citing=PaperFactory(), position=1, cited=citing)
    client.get(citing.get_absolute_url())  # the fragments are cached

    # Each block's count and page rows.
    with django_assert_num_queries(4 + page_row_queries()):
        response = client.get(citing.get_absolute_url(), {"references": "2", "cited_by": "2"})

    html = response.content.decode()
    assert f"References ({n_entries})" in html
    assert f"Cited by {n_entries} papers in this catalogue" in html
    assert '<ol class="reference-list" start="21">' in html
    assert '<ol class="cited-by-list" start="11">' in html


def page_row_queries():
    # An anonymous reader's page with fragments cached: the paper's row alone.
    return 1


@pytest.mark.parametrize("value", ["0", "-1", "abc", "9" * 40, "99999"])
def test_a_bad_page_number_shows_a_page_never_an_error(client, value):
    citing = PaperFactory()
    Reference.objects.create(citing=citing, position=1, doi="10.5555/r1")

    response = client.get(citing.get_absolute_url(), {"references": value, "cited_by": value})

    assert response.status_code == 200
    assert "References (1)" in response.content.decode()


def test_the_cached_blocks_refresh_when_either_side_arrives(client):
    single_import(chain_work(FORECAST_TRAP))
    trap_url = paper(FORECAST_TRAP).get_absolute_url()
    assert f"doi:{LONG_TRANSIENTS}" in client.get(trap_url).content.decode()

    single_import(chain_work(LONG_TRANSIENTS))

    # A query string skips the whole-page cache: the cached fragments alone are tested.
    page_html = client.get(trap_url, {"x": "1"}).content.decode()
    assert f'href="{paper(LONG_TRANSIENTS).get_absolute_url()}"' in page_html
    cited_html = client.get(paper(LONG_TRANSIENTS).get_absolute_url(), {"x": "1"})
    assert "Cited by 1 paper in this catalogue" in cited_html.content.decode()


# --- the API ---


def test_the_api_lists_references_with_the_cited_papers(client, django_assert_num_queries):
    import_records(read_records(CHAIN))
    citing = paper(LONG_TRANSIENTS)

    # The paper, the count, the page of entries with their cited papers.
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/papers/{citing.pk}/references/", {"page_size": 100})

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == citing.references.count() == 27
    linked = [row for row in body["results"] if row["paper"]]
    assert sorted(row["paper"]["doi"] for row in linked) == sorted([EARLY_WARNING, NOISE])
    assert [row["position"] for row in body["results"]] == list(range(1, 28))


def test_the_api_lists_the_citing_papers(client, django_assert_num_queries):
    import_records(read_records(CHAIN))
    cited = paper(EARLY_WARNING)

    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/papers/{cited.pk}/cited-by/")

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert sorted(row["doi"] for row in body["results"]) == sorted([LONG_TRANSIENTS, NOISE])


@pytest.mark.parametrize("endpoint", ["references", "cited-by"])
@pytest.mark.parametrize("pk", ["0", "99999999999999999999999", "abc"])
def test_an_unknown_paper_is_a_404(client, endpoint, pk):
    response = client.get(f"/api/v1/papers/{pk}/{endpoint}/")

    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", ["references", "cited-by"])
def test_a_page_past_the_end_is_a_404(client, endpoint):
    citing = PaperFactory()

    response = client.get(f"/api/v1/papers/{citing.pk}/{endpoint}/", {"page": "7"})

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_paper_listing_itself_is_not_in_its_own_cited_by(client):
    paper, other = PaperFactory(doi="10.5555/self"), PaperFactory(doi="10.5555/other")
    Reference.objects.create(citing=paper, position=0, cited=paper, doi=paper.doi)
    Reference.objects.create(citing=other, position=0, cited=paper, doi=paper.doi)

    assert list(references.citing_papers(paper.pk)) == [other]
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "Cited by 1 paper in this catalogue" in html
