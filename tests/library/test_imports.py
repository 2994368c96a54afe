"""Imports of reference managers' exports (library.imports): reading BibTeX, RIS and
CSL-JSON, matching their entries to the catalogue, one transaction, idempotency, errors
that name the entry and line, and who may see a job."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from library import collections, imports
from library.models import Collection, Entry, ImportJob
from papers.models import Paper
from tests.factories import UserFactory
from tests.records import FIXTURES, import_record

pytestmark = pytest.mark.django_db

Status = ImportJob.Status
LIBRARY = FIXTURES / "library"
EXPORTS = ["zotero.bib", "zotero.ris", "zotero.json"]
# In the catalogue: two by DOI, two matched on title, year and first author (no DOI in the
# exports); 10.1038/srep16696 is new to the catalogue; Erdős and Rényi are not in it.
IN_CATALOGUE = [
    "10.3389_fgene.2017.00147.json",
    "10.1016_j.ffa.2015.10.008.json",
    "10.1136_jclinpath-2020-206745.json",
    "10.4000_dms.865.json",
]
UNKNOWN_DOI = "10.1038/srep16696"


@pytest.fixture
def catalogue(db):
    return [import_record(name) for name in IN_CATALOGUE]


def run(owner, name, *, data=None, collection=None, collection_name="Zotero"):
    """Start an import of a fixture file (or ``data``) and run it here; returns the job."""
    data = data if data is not None else (LIBRARY / name).read_bytes()
    job = imports.start_import(
        owner=owner,
        file_name=name,
        data=data,
        collection=collection,
        collection_name=collection_name if collection is None else "",
    )
    imports.run_import(job.pk)
    job.refresh_from_db()
    return job


def dois_in(collection):
    return list(
        Entry.objects.filter(collection=collection)
        .order_by("position")
        .values_list("paper__doi", flat=True)
    )


@pytest.mark.parametrize("name", EXPORTS)
def test_an_export_is_read_and_matched_in_file_order(alice, catalogue, name):
    job = run(alice, name)

    assert job.status == Status.DONE, job.error
    assert (job.total, job.linked, job.queued_for_fetch) == (6, 2, 1)
    assert (job.matched_by_title, job.unmatched, job.unreadable, job.added) == (2, 1, 0, 5)
    collection = Collection.objects.get(owner=alice, name="Zotero")
    assert job.collection == collection
    assert dois_in(collection) == [
        "10.3389/fgene.2017.00147",
        "10.1016/j.ffa.2015.10.008",
        "10.1136/jclinpath-2020-206745",  # no DOI in the file: title, year ±1, Xu
        "10.4000/dms.865",  # no DOI in the file: title, year, Peraya
        UNKNOWN_DOI,
    ]
    # The unknown DOI is a pending paper, in the collection at once, fetched by a worker.
    pending = Paper.objects.get(doi=UNKNOWN_DOI)
    assert pending.metadata_status == Paper.MetadataStatus.PENDING
    assert pending.added_by is None  # not counted in anyone's hourly add limit
    items = list(job.items.order_by("number").values_list("number", "kind", "title", "doi"))
    assert items == [
        (5, "fetch", items[0][2], UNKNOWN_DOI),
        (6, "unmatched", "On random graphs I", ""),
    ]
    assert job.items.get(kind="unmatched").reason == (
        "no DOI; no catalogue paper has this title, year and first author"
    )
    progress = imports.jobs_of(alice).get(pk=job.pk)
    assert (progress.fetched, progress.waiting, progress.not_found) == (0, 1, 0)
    assert job.content == b""  # the file is not kept once imported


def test_bibtex_latex_escapes_braces_and_non_ascii_names_are_decoded():
    references = imports.parse("bibtex", (LIBRARY / "zotero.bib").read_bytes())

    assert [r.family for r in references] == ["Pánek", "Hong", "Xu", "Peraya", "Tosatto", "Erdős"]
    assert references[1].title == "Construction of DNA codes by using algebraic number theory"
    assert references[1].doi == "10.1016/j.ffa.2015.10.008"  # upper case in the file
    assert references[2].title.endswith("KRAS/NRAS/EGFR/BRAF/MET mutations in plasma ctDNA")
    assert [r.line for r in references] == [2, 16, 30, 44, 54, 69]


def test_the_three_formats_give_the_same_entries():
    read = {
        name: [
            (r.number, r.doi, r.year, r.family, imports.normalise(r.title))
            for r in imports.parse(imports.detect_format(name, data), data)
        ]
        for name in EXPORTS
        for data in [(LIBRARY / name).read_bytes()]
    }

    assert read["zotero.bib"] == read["zotero.ris"] == read["zotero.json"]


@pytest.mark.parametrize(
    "name, data, fmt",
    [
        ("library.txt", b"\xef\xbb\xbf@article{a, title={x}}", "bibtex"),
        ("export.txt", b"\r\nTY  - JOUR\r\nER  - \r\n", "ris"),
        ("My Library.bib", b'[{"title": "x"}]', "csl-json"),  # the content decides
        ("empty-looking.ris", b"\n\nnothing recognisable\n", "ris"),  # else the extension
    ],
)
def test_the_format_is_told_by_content_then_extension(name, data, fmt):
    assert imports.detect_format(name, data) == fmt


def test_a_file_of_another_kind_is_refused_at_once(alice):
    with pytest.raises(ValidationError, match="BibTeX \\(.bib\\), RIS \\(.ris\\) or CSL-JSON"):
        imports.start_import(
            owner=alice, file_name="paper.pdf", data=b"%PDF-1.7", collection_name="x"
        )
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_the_limit(alice, settings):
    settings.IMPORT_MAX_BYTES = 1_000_000
    with pytest.raises(ValidationError, match="larger than 1 MB \\(1.5 MB\\)"):
        imports.start_import(
            owner=alice, file_name="big.bib", data=b"@" * 1_500_000, collection_name="x"
        )


def test_a_broken_bibtex_entry_refuses_the_file_naming_the_entry_and_line(alice, catalogue):
    job = run(alice, "zotero-broken.bib")

    assert job.status == Status.FAILED
    assert job.error.startswith(
        "The file has BibTeX syntax errors, so nothing was imported: entry 2 (line 10): "
        "Unexpected block start: `@article`."
    )
    assert not Collection.objects.filter(owner=alice, name="Zotero").exists()
    assert not Entry.objects.exists()
    assert not Paper.objects.filter(doi=UNKNOWN_DOI).exists()
    assert job.content == b""


@pytest.mark.parametrize(
    "data, error",
    [
        (
            b"TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\nTY  - BOOK\nER  - \n",
            "entry 2 (line 5): it has no end (“ER  - ”) before the next record starts on line 7",
        ),
        (
            b"TY  - JOUR\nTI  - One\nER  - \nstray text\n",
            "line 4: text outside a record",
        ),
        (
            b"TY  - JOUR\nTI  - One\nER  - \nTY  - JOUR\nTI  - Two\n",
            "entry 2 (line 4): it has no end (“ER  - ”) before the file ends",
        ),
    ],
)
def test_a_malformed_ris_file_is_refused_naming_the_line(alice, data, error):
    job = run(alice, "export.ris", data=data)

    assert job.status == Status.FAILED
    assert error in job.error


def test_malformed_json_is_refused_with_its_line_and_column(alice):
    job = run(alice, "export.json", data=b'[\n  {"title": "One"},\n  {"title": }\n]')

    assert job.status == Status.FAILED
    assert "not valid JSON at line 3, column 13 (Expecting value)" in job.error


def test_a_file_not_in_utf8_is_refused_with_the_line(alice):
    job = run(alice, "export.ris", data="TY  - JOUR\nTI  - Café\nER  - \n".encode("latin-1"))

    assert job.status == Status.FAILED
    assert job.error.startswith("The file is not UTF-8 text (line 2)")


def test_an_entry_with_nothing_to_match_on_is_listed_with_its_number(alice, catalogue):
    items = json.loads((LIBRARY / "zotero.json").read_text())
    items[1:1] = ["not an item", {"DOI": "not a doi", "author": [{"family": "Nobody"}]}]
    job = run(alice, "zotero.json", data=json.dumps(items).encode())

    assert job.status == Status.DONE
    assert (job.total, job.unreadable, job.added) == (8, 2, 5)
    assert list(job.items.filter(kind="unreadable").values_list("number", "reason")) == [
        (2, "not a CSL-JSON item (an object with a title, DOI, authors…)"),
        (3, "“not a doi” is not a DOI, and there is no title to match on"),
    ]


def test_reimporting_the_same_file_changes_nothing(alice, catalogue):
    first = run(alice, "zotero.bib")
    collection = first.collection
    entries = list(Entry.objects.values_list("pk", "paper_id", "position"))
    papers = Paper.objects.count()

    again = run(alice, "zotero.ris", collection=collection)

    assert again.status == Status.DONE
    assert again.added == 0
    assert (again.linked, again.queued_for_fetch, again.matched_by_title) == (3, 0, 2)
    assert list(Entry.objects.values_list("pk", "paper_id", "position")) == entries
    assert Paper.objects.count() == papers


def test_papers_already_in_the_collection_keep_their_place(alice, catalogue):
    collection = collections.create_collection(owner=alice, name="Thesis")
    collections.add_papers(collection=collection, papers=[catalogue[3]], by=alice)

    job = run(alice, "zotero.bib", collection=collection)

    assert job.added == 4
    assert dois_in(collection)[0] == "10.4000/dms.865"


def test_a_failure_half_way_leaves_nothing_imported(alice, bob, catalogue):
    # bob's collection, shared with alice for editing when she uploads; he takes her off
    # its editors before the worker runs: add_papers refuses, after the pending paper for
    # the unknown DOI was inserted in the same transaction.
    shared = collections.create_collection(owner=bob, name="Shared")
    shared.editors.add(alice)
    job = imports.start_import(
        owner=alice,
        file_name="zotero.bib",
        data=(LIBRARY / "zotero.bib").read_bytes(),
        collection=shared,
    )
    shared.editors.remove(alice)

    assert imports.run_import(job.pk) == Status.FAILED

    job.refresh_from_db()
    assert job.error == "You cannot change this collection. Nothing was imported."
    assert not Entry.objects.exists()
    assert not Paper.objects.filter(doi=UNKNOWN_DOI).exists()
    assert not job.items.exists()
    assert (job.total, job.added) == (0, 0)


def test_a_new_collection_whose_name_was_taken_meanwhile_fails_the_job(alice, catalogue):
    job = imports.start_import(
        owner=alice,
        file_name="zotero.bib",
        data=(LIBRARY / "zotero.bib").read_bytes(),
        collection_name="Zotero",
    )
    collections.create_collection(owner=alice, name="Zotero")

    imports.run_import(job.pk)

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert "already have a collection called “Zotero”" in job.error
    assert not Entry.objects.exists()


def test_a_job_runs_once(alice, catalogue):
    job = run(alice, "zotero.bib")

    assert imports.run_import(job.pk) is None
    assert Entry.objects.count() == 5


def test_the_task_runs_the_job(alice, catalogue):
    job = imports.start_import(
        owner=alice,
        file_name="zotero.bib",
        data=(LIBRARY / "zotero.bib").read_bytes(),
        collection_name="Zotero",
    )

    assert imports.import_library.apply(args=(job.pk,)).get() == Status.DONE


def test_a_collection_one_cannot_edit_is_refused_at_upload(alice, bob):
    theirs = collections.create_collection(owner=bob, name="Bob's")
    with pytest.raises(PermissionDenied):
        imports.start_import(
            owner=alice, file_name="x.bib", data=b"@article{a, title={x}}", collection=theirs
        )


def test_imports_per_hour_are_limited(alice, settings):
    settings.IMPORTS_PER_HOUR = 2
    for n in range(2):
        imports.start_import(
            owner=alice, file_name="x.bib", data=b"@article{a, title={x}}", collection_name=f"{n}"
        )
    with pytest.raises(ValidationError, match="limit of 2 imports an hour"):
        imports.start_import(
            owner=alice, file_name="x.bib", data=b"@article{a, title={x}}", collection_name="3"
        )


def test_a_title_match_needs_the_same_first_author(alice, catalogue):
    # The paper's second author, as if first: not the same reference.
    data = (
        b"@article{q, title={Construction of a reference material panel for detecting "
        b"KRAS/NRAS/EGFR/BRAF/MET mutations in plasma ctDNA}, author={Qu, Shoufang}, year=2020}"
    )
    job = run(alice, "x.bib", data=data)

    assert (job.matched_by_title, job.unmatched) == (0, 1)


def bibtex_of(count):
    """A BibTeX file of ``count`` entries from one template: a third with DOIs in the
    catalogue, a third new DOIs, a third without DOI (one in ten of those in the catalogue)."""
    parts = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            doi = f"10.5555/library.{n}"
        elif kind == 1:
            doi = f"10.5555/new.{count}.{n}"
        else:
            doi = ""
        parts.append(
            f"@article{{e{n},\n  title = {{A study of {{RNA}} number {n}}},\n"
            f'  author = {{M{{\\"u}}ller{n % 50}, Jörg and Smith, Ann}},\n  year = {{2019}},\n'
            + (f"  doi = {{{doi}}},\n" if doi else "")
            + "}\n"
        )
    return "".join(parts).encode()


def seed_catalogue(count):
    from papers.models import Author, Authorship

    papers = Paper.objects.bulk_create(
        [
            Paper(doi=f"10.5555/library.{n}", title=f"A study of RNA number {n}")
            for n in range(0, count, 3)
        ]
        + [
            Paper(title=f"A study of RNA number {n}", published_year=2019)
            for n in range(2, count, 30)
        ]
    )
    authors = Author.objects.bulk_create(
        [Author(family_name=f"Müller{n}", name=f"Jörg Müller{n}") for n in range(50)]
    )
    Authorship.objects.bulk_create(
        Authorship(paper=paper, author=authors[int(paper.title.rsplit(" ", 1)[1]) % 50], position=0)
        for paper in papers
        if paper.doi is None
    )


def queries_to_import(owner, count, tmp_path):
    path = tmp_path / f"library-{count}.bib"
    path.write_bytes(bibtex_of(count))
    job = imports.start_import(
        owner=owner, file_name=path.name, data=path.read_bytes(), collection_name=f"n{count}"
    )
    with CaptureQueriesContext(connection) as captured:
        imports.run_import(job.pk)
    job.refresh_from_db()
    return job, len(captured)


def test_a_10000_entry_file_imports_in_a_bounded_number_of_queries(alice, tmp_path, settings):
    settings.METADATA_REFRESH_BATCH = 200
    seed_catalogue(10_000)
    small, small_queries = queries_to_import(UserFactory(), 300, tmp_path)
    job, queries = queries_to_import(alice, 10_000, tmp_path)

    assert job.status == Status.DONE, job.error
    assert (job.total, job.linked, job.queued_for_fetch) == (10_000, 3334, 3333)
    assert (job.matched_by_title, job.unmatched, job.added) == (334, 2999, 7001)
    assert Entry.objects.filter(collection=job.collection).count() == 7001
    # Reads go 2,000 DOIs or names at a time; every write is one statement per table
    # (pending papers and entries: one executemany or COPY; items likewise). 10,000
    # entries hold 6,667 DOIs (4 chunks to read instead of 1) of which 3,333 are new (2
    # chunks to read back instead of 1), and 50 names (1 chunk, as for 300 entries).
    assert queries == small_queries + 4
    assert queries < 40


def test_the_sweep_enqueues_imports_whose_task_was_lost(alice, settings):
    import datetime

    from django.utils import timezone

    settings.METADATA_QUEUE_LEASE = 600
    fresh, lost, dead = (
        ImportJob.objects.create(
            owner=alice, collection_name=f"{n}", file_name="x.bib", format="bibtex"
        )
        for n in range(3)
    )
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    ImportJob.objects.filter(pk=lost.pk).update(created_at=long_ago)
    ImportJob.objects.filter(pk=dead.pk).update(status=Status.RUNNING, started_at=long_ago)

    assert imports.enqueue_stale() == 2
    assert imports.claim(dead.pk)  # a dead worker's job is taken again
    assert not imports.claim(dead.pk)


def test_a_nul_in_a_title_does_not_fail_the_import(alice):
    job = run(alice, "x.bib", data=b"@article{a, title={Tea\x00 party}, year={2020}}")

    assert job.status == Status.DONE, job.error
    assert job.items.get().title == "Tea party"
