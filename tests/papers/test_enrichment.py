"""The OpenAlex enrichment stored (papers.ingest.apply_enrichment) and fetched after a record
(papers.metadata.enrich_from_openalex), with real recorded Crossref and OpenAlex responses.
"""

import json
import logging
import socket
import traceback

import pytest

from papers import metadata, openalex, registries
from papers.crossref import parse_work
from papers.ingest import UNCHANGED, UPDATED, apply_enrichment, upsert_work
from papers.metadata import fetch_metadata
from papers.models import Category, Keyword, Paper, PaperCategory, PaperKeyword
from tests.conftest import ROOT
from tests.records import crossref_record, import_record
from tests.replay import Reply

pytestmark = pytest.mark.django_db

FIXTURES = ROOT / "tests" / "fixtures"
Status = Paper.MetadataStatus
Enrichment = Paper.EnrichmentStatus
KEY = "test-openalex-key-7f3a9c"

ELIFE = "10.7554_elife.01567.json"  # Crossref has an abstract and four subjects
ELIFE_OPENALEX = "W2121398592.json"
PLOS = "10.1371_journal.pone.0000030.json"  # Crossref has no abstract; cited 63 times
PLOS_OPENALEX = "W1982728624.json"  # OpenAlex counts 85 citations
ELIFE_CROSSREF_PATH = "/crossref/works/10.7554/elife.01567"
ELIFE_OPENALEX_PATH = "/openalex/works/doi:10.7554/elife.01567"


def openalex_data(name):
    return json.loads((FIXTURES / "openalex" / name).read_text())


def openalex_body(name):
    return (FIXTURES / "openalex" / name).read_bytes()


def enrichment(name, **changes):
    data = openalex_data(name)
    data.update(changes)
    return openalex.parse_enrichment(data)


def links(model, paper):
    """{(term name, source)} of a paper's keyword or category links."""
    term = "keyword" if model is PaperKeyword else "category"
    return set(model.objects.filter(paper=paper).values_list(f"{term}__name", "source"))


def link_rows():
    return sorted(PaperKeyword.objects.values_list("paper", "keyword", "source")) + sorted(
        PaperCategory.objects.values_list("paper", "category", "source")
    )


ELIFE_SUBJECTS = {
    "General Immunology and Microbiology",
    "General Biochemistry, Genetics and Molecular Biology",
    "General Medicine",
    "General Neuroscience",
}


def topic_names(name):
    return {n for topic in enrichment(name).topics for n in topic}


# --- storing ----------------------------------------------------------------------------------


def test_topics_become_categories_and_keywords_keywords_beside_the_crossref_subjects():
    paper = import_record(ELIFE)

    assert apply_enrichment(enrichment(ELIFE_OPENALEX)) == UPDATED

    paper.refresh_from_db()
    categories = links(PaperCategory, paper)
    assert {name for name, source in categories if source == "crossref"} == ELIFE_SUBJECTS
    openalex_categories = {name for name, source in categories if source == "openalex"}
    # Domain, field, subfield and topic of each of the three topics, minus Crossref's own.
    assert openalex_categories == topic_names(ELIFE_OPENALEX) - ELIFE_SUBJECTS
    assert "Plant Science" in openalex_categories
    keywords = links(PaperKeyword, paper)
    assert {name for name, _ in keywords} == set(enrichment(ELIFE_OPENALEX).keywords)
    assert {source for _, source in keywords} == {"openalex"}
    assert paper.open_access_url == "https://doi.org/10.7554/elife.01567"
    assert paper.enrichment_status == Enrichment.ENRICHED and paper.enriched_at
    for name in ("keywords", "categories", "open_access_url"):
        assert paper.provenance[name]["source"] == "openalex"
    assert "Hypocotyl" in paper.search_document and "Plant Science" in paper.search_document


def test_crossref_wins_where_both_have_a_value():
    paper = import_record(ELIFE)
    crossref_abstract = paper.abstract

    apply_enrichment(enrichment(ELIFE_OPENALEX))

    paper.refresh_from_db()
    assert paper.abstract == crossref_abstract  # OpenAlex has one too
    assert paper.citation_count == 31  # Crossref's; OpenAlex says 45
    assert paper.provenance["abstract"]["source"] == "crossref"
    assert paper.provenance["citation_count"]["source"] == "crossref"


def test_the_abstract_is_rebuilt_from_openalex_only_when_the_paper_has_none():
    paper = import_record(PLOS)
    assert paper.abstract == ""

    apply_enrichment(enrichment(PLOS_OPENALEX))

    paper.refresh_from_db()
    assert paper.abstract == enrichment(PLOS_OPENALEX).abstract != ""
    assert paper.provenance["abstract"]["source"] == "openalex"
    assert paper.citation_count == 63  # Crossref gave one: OpenAlex's 85 is not taken
    # A Crossref refresh, still without an abstract, keeps OpenAlex's.
    upsert_work(parse_work(crossref_record(PLOS)))
    paper.refresh_from_db()
    assert paper.abstract == enrichment(PLOS_OPENALEX).abstract


def test_the_citation_count_comes_from_openalex_only_when_there_is_none():
    record = crossref_record(PLOS)
    del record["message"]["is-referenced-by-count"]
    paper, _ = upsert_work(parse_work(record))
    assert paper.citation_count is None

    apply_enrichment(enrichment(PLOS_OPENALEX))

    paper.refresh_from_db()
    assert paper.citation_count == 85
    assert paper.provenance["citation_count"]["source"] == "openalex"
    # Still none from Crossref: OpenAlex's stays. Once Crossref has one, Crossref's wins.
    upsert_work(parse_work(record))
    assert Paper.objects.get(pk=paper.pk).citation_count == 85
    upsert_work(parse_work(crossref_record(PLOS)))
    apply_enrichment(enrichment(PLOS_OPENALEX))
    assert Paper.objects.get(pk=paper.pk).citation_count == 63


def test_locked_fields_are_never_overwritten():
    paper = import_record(PLOS)
    locked = ["abstract", "citation_count", "open_access_url", "keywords", "categories"]
    record = crossref_record(PLOS)
    del record["message"]["is-referenced-by-count"]
    upsert_work(parse_work(record))
    Paper.objects.filter(pk=paper.pk).update(locked_fields=locked)
    before = links(PaperCategory, paper)

    apply_enrichment(enrichment(PLOS_OPENALEX))

    paper.refresh_from_db()
    assert (paper.abstract, paper.citation_count, paper.open_access_url) == ("", None, "")
    assert links(PaperCategory, paper) == before
    assert not links(PaperKeyword, paper)
    assert "openalex" not in {entry["source"] for entry in paper.provenance.values()}
    assert paper.enrichment_status == Enrichment.ENRICHED  # it ran, and left them alone


def test_a_crossref_reimport_keeps_openalex_categories_and_openalex_keeps_crossrefs():
    paper = import_record(ELIFE)
    apply_enrichment(enrichment(ELIFE_OPENALEX))
    openalex_links = {link for link in links(PaperCategory, paper) if link[1] == "openalex"}

    # Crossref drops a subject: only that Crossref link goes.
    record = crossref_record(ELIFE)
    record["message"]["subject"] = ["General Neuroscience"]
    upsert_work(parse_work(record))
    assert links(PaperCategory, paper) == openalex_links | {("General Neuroscience", "crossref")}

    # OpenAlex drops its topics: only OpenAlex's links go.
    apply_enrichment(enrichment(ELIFE_OPENALEX, topics=[], primary_topic=None))
    assert links(PaperCategory, paper) == {("General Neuroscience", "crossref")}
    paper.refresh_from_db()
    assert "Plant Science" not in paper.search_document


def test_a_curators_links_outlive_both_sources():
    paper = import_record(ELIFE)
    curated = Category.objects.create(name="Plant development", slug="plant-development")
    paper.categories.add(curated)  # as the admin does: a curator's link
    paper.keywords.add(Keyword.objects.create(name="cambium", slug="cambium"))

    apply_enrichment(enrichment(ELIFE_OPENALEX))
    apply_enrichment(enrichment(ELIFE_OPENALEX, topics=[], primary_topic=None, keywords=[]))
    upsert_work(parse_work(crossref_record(ELIFE)))

    assert ("Plant development", "curator") in links(PaperCategory, paper)
    assert links(PaperKeyword, paper) == {("cambium", "curator")}


def test_storing_the_same_enrichment_twice_leaves_the_same_rows():
    paper = import_record(ELIFE)
    assert apply_enrichment(enrichment(ELIFE_OPENALEX)) == UPDATED
    rows = link_rows()
    first = Paper.objects.get(pk=paper.pk)

    assert apply_enrichment(enrichment(ELIFE_OPENALEX)) == UNCHANGED

    again = Paper.objects.get(pk=paper.pk)
    assert link_rows() == rows
    assert again.provenance == first.provenance
    assert (again.abstract, again.open_access_url) == (first.abstract, first.open_access_url)
    assert Category.objects.count() == len({name for name, _ in links(PaperCategory, paper)})


def test_an_enrichment_for_a_doi_not_in_the_catalogue_is_skipped():
    assert apply_enrichment(enrichment(ELIFE_OPENALEX)) is None
    assert not Category.objects.exists()


# --- fetched after the record -----------------------------------------------------------------


@pytest.fixture
def elife_pending(replay_server):
    replay_server.reply(
        ELIFE_CROSSREF_PATH, Reply(200, json.dumps(crossref_record(ELIFE)).encode())
    )
    return Paper.objects.create(
        doi="10.7554/elife.01567", title="10.7554/elife.01567", metadata_status=Status.PENDING
    )


def test_without_an_api_key_the_enrichment_is_skipped_and_says_so(
    elife_pending, replay_server, settings, client
):
    settings.OPENALEX_API_KEY = ""

    assert fetch_metadata.apply(args=(elife_pending.pk,)).get() == Status.FETCHED

    paper = Paper.objects.get(pk=elife_pending.pk)
    assert paper.enrichment_status == Enrichment.SKIPPED
    assert paper.enrichment_display == "skipped: no OpenAlex API key"
    assert [path for path, _ in replay_server.requests] == [ELIFE_CROSSREF_PATH]
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "OpenAlex enrichment: skipped: no OpenAlex API key" in page


def test_the_worker_enriches_a_fetched_paper_from_openalex_with_the_key(
    elife_pending, replay_server, settings, client
):
    settings.OPENALEX_API_KEY = KEY
    replay_server.reply(ELIFE_OPENALEX_PATH, Reply(200, openalex_body(ELIFE_OPENALEX)))

    assert fetch_metadata.apply(args=(elife_pending.pk,)).get() == Status.FETCHED

    paper = Paper.objects.get(pk=elife_pending.pk)
    assert (paper.metadata_status, paper.enrichment_status) == (Status.FETCHED, "enriched")
    assert ("Hypocotyl", "openalex") in links(PaperKeyword, paper)
    path, _ = replay_server.requests[1]
    assert path == f"{ELIFE_OPENALEX_PATH}?api_key={KEY}"
    page = client.get(paper.get_absolute_url()).content.decode()
    assert '<a href="https://doi.org/10.7554/elife.01567">Free to read (open access)</a>' in page
    assert "OpenAlex enrichment: done" in page
    assert ">Hypocotyl</a>" in page


@pytest.mark.parametrize(
    "reply, status, error",
    [
        (Reply(404, b"", {}), "not_found", "OpenAlex does not know this DOI"),
        (Reply(429, b"", {"Retry-After": "30"}), "failed", "openalex is rate limiting us"),
        (Reply(500, b"", {}), "failed", "openalex had a server error (500)"),
        (Reply(200, b"<html>", {"Content-Type": "text/html"}), "failed", "not JSON"),
        (
            Reply(200, b'{"id": "https://openalex.org/W1", "doi": '),
            "failed",
            "not valid JSON",
        ),
        (
            Reply(200, (FIXTURES / "openalex" / "works_sample_5.json").read_bytes()),
            "failed",
            "OpenAlex's record is unusable: expected one OpenAlex work, got a list response",
        ),
        (
            Reply(200, (FIXTURES / "openalex" / PLOS_OPENALEX).read_bytes()),
            "failed",
            "OpenAlex answered with another DOI (10.1371/journal.pone.0000030)",
        ),
        (Reply(200, openalex_body(ELIFE_OPENALEX), delay=1.5), "failed", "did not answer in time"),
    ],
    ids=["404", "429", "500", "html", "truncated", "list", "other-doi", "timeout"],
)
def test_an_openalex_failure_keeps_the_record_and_is_recorded(
    elife_pending, replay_server, settings, reply, status, error
):
    settings.OPENALEX_API_KEY = KEY
    settings.REGISTRY_TIMEOUT = (2.0, 0.5)
    replay_server.reply(ELIFE_OPENALEX_PATH, reply)

    assert metadata.fetch_and_store(elife_pending.pk) == Status.FETCHED

    paper = Paper.objects.get(pk=elife_pending.pk)
    assert paper.metadata_status == Status.FETCHED and paper.metadata_error == ""
    assert paper.title.startswith("Automated quantitative histology")
    assert {source for _, source in links(PaperCategory, paper)} == {"crossref"}
    assert paper.enrichment_status == status
    assert error in paper.enrichment_error or error in paper.enrichment_display
    assert KEY not in paper.enrichment_error


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_the_key_is_sent_but_never_shown_in_errors_exceptions_or_logs(
    elife_pending, replay_server, settings, caplog
):
    settings.OPENALEX_API_KEY = KEY
    caplog.set_level(logging.DEBUG)
    replay_server.reply(ELIFE_OPENALEX_PATH, Reply(200, openalex_body(ELIFE_OPENALEX)))
    registries.fetch_json("openalex", "10.7554/elife.01567")
    assert replay_server.requests[-1][0].endswith(f"api_key={KEY}")  # sent
    assert "doi:10.7554/elife.01567?api_key=[hidden]" in caplog.text  # urllib3's request line

    settings.OPENALEX_API_URL = closed_port_url()  # nothing listens: requests names the URL
    with pytest.raises(registries.TransientError) as failure:
        registries.fetch_json("openalex", "10.7554/elife.01567")
    shown = "".join(traceback.format_exception(failure.value)) + repr(failure.value)
    assert "could not connect to openalex" in shown
    metadata.fetch_and_store(elife_pending.pk)

    paper = Paper.objects.get(pk=elife_pending.pk)
    assert paper.enrichment_error == "could not connect to openalex"
    assert failure.value.__context__ is None and failure.value.__cause__ is None
    for text in (shown, caplog.text, paper.enrichment_error):
        assert KEY not in text
