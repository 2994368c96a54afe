"""papers.ingest.import_works, the bulk path, on real recorded Crossref records: the same
rows and provenance as upsert_work, idempotent, locks kept, a bad record rejected alone, a
constant number of queries per batch."""

import dataclasses
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import arxiv, crossref
from papers.ingest import ImportReport, import_works, read_records, upsert_work
from papers.models import (
    Author,
    Authorship,
    Category,
    Funder,
    Funding,
    Journal,
    Notice,
    Paper,
)
from papers.signals import paper_retracted
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

CROSSREF = ROOT / "tests" / "fixtures" / "crossref"
LISTS = ROOT / "tests" / "fixtures" / "crossref-lists"
ALL_MODELS = (Paper, Journal, Author, Authorship, Funder, Funding, Category, Notice)


def recorded_works():
    """(where, Work) for every recorded Crossref record that parses: 53 single records and
    the list items (one with a correction notice)."""
    pairs = []
    for path in sorted(CROSSREF.glob("*.json")) + [LISTS / "work_list_items_selected.jsonl"]:
        for where, record in read_records(path):
            if isinstance(record, Exception):
                continue
            try:
                pairs.append((where, crossref.parse_work(record)))
            except crossref.CrossrefError:
                continue
    return pairs


def work(name):
    return crossref.parse_work(json.loads((CROSSREF / name).read_text()))


def bulk(pairs, batch_size=500):
    return import_works(pairs, report=ImportReport(), source="crossref", batch_size=batch_size)


def catalogue():
    """Every imported row by natural keys (DOI, ORCID, names), no ids or times: what two
    imports of the same records must agree on."""
    papers = {}
    # content_version counts writes (the page cache's key), not what was stored.
    skipped = {
        "id",
        "journal",
        "created_at",
        "updated_at",
        "metadata_fetched_at",
        "provenance",
        "content_version",
    }
    names = [f.name for f in Paper._meta.concrete_fields if f.name not in skipped]
    for paper in Paper.objects.select_related("journal"):
        row = {name: getattr(paper, name) for name in names}
        row["journal"] = paper.journal and (
            paper.journal.title,
            paper.journal.issn_print,
            paper.journal.issn_electronic,
            paper.journal.publisher,
        )
        row["provenance"] = {name: entry["source"] for name, entry in paper.provenance.items()}
        row["authors"] = [
            (a.position, a.author.name, a.author.given_name, a.author.orcid, a.affiliations)
            for a in paper.authorships.select_related("author").order_by("position")
        ]
        row["fundings"] = [
            (f.funder.name, f.funder.funder_doi, f.awards)
            for f in paper.fundings.select_related("funder").order_by("position")
        ]
        row["categories"] = sorted(
            paper.category_links.values_list("category__name", "category__slug", "source")
        )
        row["notices"] = sorted(paper.notices.values_list("kind", "doi", "date", "direction"))
        papers[paper.doi] = row
    counts = {model.__name__: model.objects.count() for model in ALL_MODELS}
    return papers, counts


def empty_catalogue():
    for model in (Paper, Author, Journal, Funder, Category):
        model.objects.all().delete()


def test_it_stores_the_same_rows_and_provenance_as_the_single_path():
    pairs = recorded_works()
    assert len(pairs) > 50
    for _, one in pairs:
        upsert_work(one)
    single = catalogue()
    empty_catalogue()

    report = bulk(pairs, batch_size=20)

    assert (report.created, report.updated, len(report.rejected)) == (len(pairs), 0, 0)
    assert catalogue() == single


def test_a_second_import_changes_nothing_and_reports_every_record_unchanged():
    pairs = recorded_works()
    bulk(pairs)
    before = catalogue(), list(Paper.objects.order_by("pk").values_list("updated_at"))

    again = bulk(pairs)

    assert (again.created, again.updated, again.unchanged) == (0, 0, len(pairs))
    assert (catalogue(), list(Paper.objects.order_by("pk").values_list("updated_at"))) == before


def test_an_updated_record_updates_only_what_changed_like_the_single_path():
    original = work("10.3389_fpls.2019.00816.json")
    bulk([("a", original)])
    before = Paper.objects.get().provenance

    report = bulk(
        [
            (
                "a",
                dataclasses.replace(
                    original, title="A corrected title", authors=original.authors[:-1]
                ),
            )
        ]
    )

    assert report.updated == 1
    paper = Paper.objects.get()
    assert paper.title == "A corrected title"
    assert paper.authorships.count() == len(original.authors) - 1
    assert paper.provenance["abstract"] == before["abstract"]
    assert set(paper.provenance) == set(before)


def test_locked_fields_and_relations_are_never_overwritten():
    original = work("10.1038_hdy.2013.26.json")
    bulk([("a", original)])
    paper = Paper.objects.get()
    Authorship.objects.filter(paper=paper, position=1).delete()
    stamped = paper.provenance["title"]
    Paper.objects.filter(pk=paper.pk).update(
        title="Curated title", locked_fields=["title", "authors"]
    )

    report = bulk([("a", dataclasses.replace(original, title="New title", volume="99"))])

    assert report.updated == 1
    paper.refresh_from_db()
    assert paper.title == "Curated title"
    assert paper.provenance["title"] == stamped
    assert paper.volume == "99"  # what is not locked is imported
    assert paper.authorships.count() == len(original.authors) - 1
    assert bulk([("a", original)]).updated == 1 and Paper.objects.get().title == "Curated title"


def test_a_bad_record_is_rejected_alone_with_its_reason_and_the_rest_of_its_batch_lands():
    good = work("10.1038_srep16696.json")
    negative = dataclasses.replace(work("10.1038_hdy.2013.26.json"), citation_count=-1)
    # Two awards of one registry funder: the database refuses the second funding row, which
    # no check foresees, so the batch is stored again record by record.
    twice = work("10.1136_jclinpath-2020-206745.json")
    twice = dataclasses.replace(twice, funders=twice.funders[:1] * 2)
    assert twice.funders[0].funder_doi
    other = work("10.1016_j.ejphar.2015.03.018.json")
    items = [
        ("good", good),
        ("negative", negative),
        ("broken", crossref.CrossrefError("not JSON: Expecting value")),
        ("twice", twice),
        ("other", other),
    ]

    report = bulk(items)

    assert report.created == 2
    reasons = dict(report.rejected)
    assert list(reasons) == ["negative", "broken", "twice"]
    assert "citation_count" in reasons["negative"] and "-1" in reasons["negative"]
    assert reasons["broken"] == "not JSON: Expecting value"
    assert reasons["twice"]  # the database's own words
    assert set(Paper.objects.values_list("doi", flat=True)) == {good.doi, other.doi}
    assert Paper.objects.get(doi=good.doi).authorships.count() == len(good.authors)


def test_a_doi_twice_in_one_batch_is_one_paper():
    original = work("10.1038_srep16696.json")

    report = bulk([("first", original), ("again", dataclasses.replace(original, title="Later"))])

    assert (report.created, report.updated) == (1, 1)
    assert Paper.objects.get().title == "Later"


def test_an_orcid_author_and_an_issn_journal_are_shared_across_the_batch():
    names = ("10.53731_avg2ykg-gdxppcd.json", "10.53731_ybhah-9jy85.json")
    names += ("10.54900_rckn8ey-1fm76va-qsrnf.json",)
    names += ("10.1371_journal.pone.0000030.json", "10.1371_journal.pone.0214986.json")

    bulk([(name, work(name)) for name in names])

    assert Author.objects.get(orcid="0000-0003-1419-2405").authorships.count() == 3
    assert Journal.objects.filter(issn_electronic="1932-6203").count() == 1
    assert Journal.objects.get(issn_electronic="1932-6203").papers.count() == 2


def test_a_retraction_sends_the_signal_once_committed_and_the_batch_enqueues_one_placement(
    django_capture_on_commit_callbacks,
):
    pairs = recorded_works()
    corrected = next(w for _, w in pairs if any(u.direction == "updated-by" for u in w.updates))
    bulk(pairs)
    retraction = dataclasses.replace(corrected.updates[0], kind="retraction")
    retracted = []

    def receiver(sender, paper_id, **kwargs):
        retracted.append(paper_id)

    paper_retracted.connect(receiver)
    try:
        changed = [("x", dataclasses.replace(corrected, updates=(retraction,)))]
        changed += [(w, dataclasses.replace(one, title=one.title + ".")) for w, one in pairs[:5]]
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            bulk(changed)
            assert retracted == []  # not before the commit
        for callback in callbacks:
            if getattr(callback, "__qualname__", "").startswith(
                "_store"
            ):  # the signal, not the task
                callback()
    finally:
        paper_retracted.disconnect(receiver)

    paper = Paper.objects.get(doi=corrected.doi)
    assert paper.is_retracted
    assert retracted == [paper.pk]
    # Six papers changed: the signal, and one placement task for the batch.
    assert len(callbacks) == 2


def copies(pairs, count, tag):
    """``count`` records cycling through ``pairs``, each DOI made distinct."""
    return [
        (f"{tag}{n}", dataclasses.replace(one, doi=f"{one.doi}.{tag}{n}"))
        for n, (_, one) in enumerate(pairs * (count // len(pairs) + 1))
        if n < count
    ]


def queries_of(function):
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_a_batch_costs_the_same_queries_whatever_its_size(django_assert_num_queries):
    # Records with everything: authors with and without ORCID, a journal by ISSN, funders,
    # categories, a notice.
    names = ("10.1136_jclinpath-2020-206745.json", "10.1038_srep16696.json")
    pairs = [(name, work(name)) for name in names] + [
        (w, one) for w, one in recorded_works() if one.updates
    ]
    bulk(pairs)  # journals, ORCID authors, categories and funders exist, as in a real import

    # SQLite splits an INSERT past 999 bound values (Django's bulk_batch_size): there the
    # larger batch stays under it; PostgreSQL takes 65,535 in one statement.
    factor = 20 if connection.vendor == "postgresql" else 2
    small = queries_of(lambda: bulk(copies(pairs, len(pairs), "s")))
    large = queries_of(lambda: bulk(copies(pairs, factor * len(pairs), "l")))
    assert small == large

    # Created: savepoint; papers by DOI; journals; ORCID authors; the authors of the other
    # names (the conservative match: name aliases, candidates, their authorships, their
    # papers' co-authors of the batch's names, the DOIs those papers cite; they are the same
    # people as in the earlier copies, so no new author);
    # funders by DOI, by name; categories; then INSERTs of papers, authorships, fundings,
    # category links, notices; the cited papers by DOI, INSERT of the references; entries waiting
    # for the new papers; one record names its preprint (``has-preprint``): the stored
    # version links, the named papers by DOI, INSERT of the links, the provenance of the
    # papers linked (read, write: "versions"); the version links waiting for the new papers;
    # the journal-refs waiting for the new papers' volumes (papers.journal_refs); release.
    # PostgreSQL: new rows go in by COPY, which Django's query log does not see; papers,
    # fundings and notices first read their ids from the sequence (authorships, links and
    # references need none), so three fewer; and one more first: the advisory locks on the
    # batch's author names (papers.authors.lock_names).
    with django_assert_num_queries(26 if connection.vendor == "postgresql" else 28):
        bulk(copies(pairs, 2 * len(pairs), "pinned"))
    # Unchanged: savepoint; papers by DOI; journals; ORCID authors; funders by DOI, by name;
    # categories; the stored authorships, fundings, category links, notices, keywords,
    # references, version links; release. Nothing written. PostgreSQL: the name locks too.
    with django_assert_num_queries(16 if connection.vendor == "postgresql" else 15):
        bulk(copies(pairs, 2 * len(pairs), "pinned"))


def two_l_wangs():
    """arXiv 2603.15726 (a real listing line): two different authors named "L. Wang"."""
    record = json.loads(
        (ROOT / "tests" / "fixtures" / "arxiv" / "listing_2603.15726.json").read_text()
    )
    return arxiv.parse_listing(record)


def import_single(one):
    return upsert_work(one, source=arxiv.SOURCE)[1]


def import_bulk(one):
    report = import_works([("a", one)], report=ImportReport(), source=arxiv.SOURCE)
    return next(o for o in ("created", "updated", "unchanged") if getattr(report, o))


@pytest.mark.parametrize("store", [import_single, import_bulk], ids=["single", "bulk"])
def test_two_authors_of_the_same_name_stay_two_and_a_second_import_changes_nothing(store):
    one = two_l_wangs()
    names = [a.display_name for a in one.authors]
    assert names[10:12] == ["L. Wang", "L. Wang"]
    assert store(one) == "created"
    first = list(
        Paper.objects.get().authorships.order_by("position").values_list("author", flat=True)
    )

    assert store(one) == "unchanged"

    paper = Paper.objects.get()
    authors = list(paper.authorships.order_by("position").values_list("author", flat=True))
    assert authors == first
    assert len(set(authors)) == len(authors) == len(names)  # every contributor an author
    assert Author.objects.filter(name="L. Wang").count() == 2


@pytest.mark.parametrize("store", [import_single, import_bulk], ids=["single", "bulk"])
def test_an_author_who_moved_keeps_their_row_and_the_same_name_namesake_keeps_theirs(store):
    one = two_l_wangs()
    store(one)
    before = {a.position: a.author_id for a in Paper.objects.get().authorships.all()}
    # "L. Bing" (position 2) moves to the end; everyone after moves up one.
    moved = list(one.authors)
    moved.append(moved.pop(2))
    moved = [dataclasses.replace(a, position=n) for n, a in enumerate(moved)]

    assert store(dataclasses.replace(one, authors=tuple(moved))) == "updated"

    after = {a.position: a.author_id for a in Paper.objects.get().authorships.all()}
    assert after[len(moved) - 1] == before[2]  # L. Bing kept their row
    assert (after[9], after[10]) == (before[10], before[11])  # the two L. Wangs, in order
    assert Author.objects.count() == len(moved)
