"""Author identity (papers.authors): one person across papers without an ORCID, matched
conservatively, through both ingest paths; merges that survive later imports.

Records are real Crossref list items, taken verbatim from
../shared/data/crossref-lists/crossref_work_list_items.jsonl.gz into
tests/fixtures/crossref-lists/author_identity.jsonl: 18 papers by Carl Boettiger (UC
Berkeley; 12 with his ORCID), two by different people named Rong Chen and two by
different people named Yi Yang (each with their own ORCID). ORCIDs are hidden here
(``without_orcids``), as the conservative match must do without them.
"""

import dataclasses
import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import TestCase
from django.urls import reverse

from library.follows import follow
from library.models import Follow
from papers import authors, crossref, openalex
from papers.ingest import (
    ImportReport,
    apply_enrichment,
    import_works,
    read_records,
    upsert_work,
)
from papers.merge import merge_authors
from papers.models import Author, AuthorAlias, Authorship, AuthorSplit, Paper
from papers.records import Contributor
from tests.factories import UserFactory
from tests.records import import_record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORDS = FIXTURES / "crossref-lists" / "author_identity.jsonl"
# Two of his papers with the same co-author (Marcus Lapeyrolerie) and affiliation.
WITH_LAPEYROLERIE = ("10.1111/2041-210x.13954", "10.1111/2041-210x.14013")
# Two of his papers with neither a shared co-author nor an affiliation (none given).
NO_CLUE = ("10.1007/s12080-013-0192-6", "10.32614/cran.package.rfishbase")
RONG_CHENS = ("10.1155/2017/1021432", "10.1155/2021/5531736")
YI_YANGS = ("10.1155/2018/6958476", "10.1155/2021/5781753")

pytestmark = pytest.mark.django_db


def without_orcids(work):
    hidden = tuple(dataclasses.replace(c, orcid=None) for c in work.authors)
    return dataclasses.replace(work, authors=hidden)


def works(*dois):
    records = {record["DOI"].lower(): record for _, record in read_records(RECORDS)}
    return [without_orcids(crossref.parse_work(records[doi])) for doi in dois]


def bulk_import(items):
    with TestCase.captureOnCommitCallbacks(execute=True):
        report = import_works(
            [(item.doi, item) for item in items], report=ImportReport(), source="crossref"
        )
    assert not report.rejected, report.rejected


def single_import(items):
    for item in items:
        with TestCase.captureOnCommitCallbacks(execute=True):
            upsert_work(item, source="crossref")


def one_by_one_in_batches(items):
    for item in items:
        bulk_import([item])


PATHS = pytest.mark.parametrize(
    "store", [single_import, bulk_import, one_by_one_in_batches], ids=["single", "batch", "batches"]
)


def authors_named(name):
    return Author.objects.filter(name=name)


def papers_of(author):
    return set(Authorship.objects.filter(author=author).values_list("paper__doi", flat=True))


# --- names ---


def test_names_compare_without_case_accents_punctuation_or_spacing():
    assert authors.name_key("  José  García-López ") == "jose garcia lopez"
    assert authors.name_key("Kari E. A. Norman") == authors.name_key("kari e a  norman")


def test_initials_and_organisations_are_never_matched():
    person = Contributor("Carl", "Boettiger", None, False, None, False, (), "first", 0)
    assert authors.is_matchable(person)
    assert not authors.is_matchable(dataclasses.replace(person, given="C."))
    assert not authors.is_matchable(dataclasses.replace(person, given="C. A."))
    assert not authors.is_matchable(dataclasses.replace(person, is_organization=True))
    assert not authors.is_matchable(dataclasses.replace(person, given=None))


def test_affiliations_written_differently_are_one_place():
    berkeley = authors.affiliation_words(
        "Department of Environmental Science, Policy, and Management University of California"
        " Berkeley Berkeley CA USA"
    )
    also = authors.affiliation_words(
        "Dept of Environmental Science, Policy, and Management University of California "
        "Berkeley Berkeley CA 94720\u20103114 USA"
    )
    elsewhere = authors.affiliation_words("Department of Hematology, First Affiliated Hospital")
    assert authors.same_place(berkeley, also)
    assert not authors.same_place(berkeley, elsewhere)
    assert authors.affiliation_words("Berkeley") is None  # too short to tell


# --- matching, through every path ---


@PATHS
def test_a_shared_co_author_and_affiliation_make_one_person(store):
    store(works(*WITH_LAPEYROLERIE))

    [boettiger] = authors_named("Carl Boettiger")
    [lapeyrolerie] = authors_named("Marcus Lapeyrolerie")
    assert papers_of(boettiger) == papers_of(lapeyrolerie) == set(WITH_LAPEYROLERIE)


@PATHS
def test_the_same_name_without_a_shared_clue_stays_two_people(store):
    store(works(*NO_CLUE))

    assert authors_named("Carl Boettiger").count() == 2


@PATHS
def test_namesakes_with_their_own_colleagues_and_places_stay_apart(store):
    store(works(*RONG_CHENS, *YI_YANGS))

    assert authors_named("Rong Chen").count() == 2
    assert authors_named("Yi Yang").count() == 2


@PATHS
def test_every_paper_with_a_clue_joins_the_author(store):
    store(works(*[doi for _, record in read_records(RECORDS) for doi in [record["DOI"].lower()]]))

    by_papers = [len(papers_of(author)) for author in authors_named("Carl Boettiger")]
    # 20 papers, whatever the path and the batches: some share his Berkeley affiliation,
    # others only a co-author or a citation with a paper that arrives later (which links
    # them, and their authors are folded into one). The namesakes stay two people each.
    assert by_papers == [20]
    assert authors_named("Rong Chen").count() == 2
    assert authors_named("Yi Yang").count() == 2


def stored_namesake(doi, *, with_co_author):
    """A stored "Carl Boettiger" on a paper of their own, at Berkeley, and (or not) with a
    co-author named Marcus Lapeyrolerie."""
    [later] = works(WITH_LAPEYROLERIE[1])
    berkeley = list(later.authors[1].affiliations)
    paper = Paper.objects.create(doi=doi, title=f"A paper {doi}")
    author = Author.objects.create(
        name="Carl Boettiger", given_name="Carl", family_name="Boettiger"
    )
    Authorship.objects.create(paper=paper, author=author, position=0, affiliations=berkeley)
    if with_co_author:
        co_author = Author.objects.create(name="Marcus Lapeyrolerie")
        Authorship.objects.create(paper=paper, author=co_author, position=1, affiliations=[])
    return author


@PATHS
def test_a_paper_linking_two_authors_of_one_name_folds_them_into_one(store):
    first = stored_namesake("10.5555/one", with_co_author=True)
    second = stored_namesake("10.5555/two", with_co_author=False)  # the same place only
    reader, both = UserFactory(), UserFactory()
    follow(user=reader, kind=Follow.Kind.AUTHOR, target=second)
    follow(user=both, kind=Follow.Kind.AUTHOR, target=first)
    follow(user=both, kind=Follow.Kind.AUTHOR, target=second)

    store(works(WITH_LAPEYROLERIE[1]))

    # The later paper shares a co-author with the first and a place with the second: one
    # person. The earliest author is kept; the other's papers and followers move to it.
    assert list(authors_named("Carl Boettiger")) == [first]
    assert papers_of(first) == {"10.5555/one", "10.5555/two", WITH_LAPEYROLERIE[1]}
    assert not Author.objects.filter(pk=second.pk).exists()
    follows = Follow.objects.filter(kind=Follow.Kind.AUTHOR)
    assert sorted(follows.values_list("user", "author")) == [
        (reader.pk, first.pk),
        (both.pk, first.pk),
    ]


@PATHS
def test_authors_a_curator_split_are_never_folded(store):
    first = stored_namesake("10.5555/one", with_co_author=True)
    second = stored_namesake("10.5555/two", with_co_author=True)
    AuthorSplit.objects.create(author=first, other=second)

    store(works(WITH_LAPEYROLERIE[1]))

    # Both share as much with the later paper: no guess either, a new author.
    assert authors_named("Carl Boettiger").count() == 3
    assert papers_of(first) == {"10.5555/one"} and papers_of(second) == {"10.5555/two"}


@PATHS
def test_authors_with_two_different_orcids_are_never_folded(store):
    first = stored_namesake("10.5555/one", with_co_author=True)
    second = stored_namesake("10.5555/two", with_co_author=False)
    Author.objects.filter(pk=first.pk).update(orcid="0000-0002-1642-628X")
    Author.objects.filter(pk=second.pk).update(orcid="0000-0001-5109-3700")

    store(works(WITH_LAPEYROLERIE[1]))

    # Two people by their ORCIDs: the later paper goes to the one sharing most.
    assert authors_named("Carl Boettiger").count() == 2
    assert papers_of(first) == {"10.5555/one", WITH_LAPEYROLERIE[1]}
    assert papers_of(second) == {"10.5555/two"}


def test_two_namesakes_on_one_paper_are_two_people():
    [later] = works(WITH_LAPEYROLERIE[1])
    boettiger = next(c for c in later.authors if c.family == "Boettiger")
    namesake = dataclasses.replace(boettiger, position=len(later.authors), sequence="additional")
    twice = dataclasses.replace(later, authors=(*later.authors, namesake))

    bulk_import([twice])

    # The second shares every co-author with the first, but a person is not their own
    # co-author: two authors.
    assert authors_named("Carl Boettiger").count() == 2


def test_the_candidate_sharing_most_is_taken():
    stronger = stored_namesake("10.5555/one", with_co_author=True)
    stored_namesake("10.5555/two", with_co_author=False)  # the same place only
    [later] = works(WITH_LAPEYROLERIE[1])
    boettiger = next(c for c in later.authors if c.family == "Boettiger")

    assert authors.Matcher([(later, later.authors)]).match(boettiger, later) == stronger


def test_a_re_import_keeps_every_author_and_changes_nothing():
    items = works(*WITH_LAPEYROLERIE, *NO_CLUE)
    bulk_import(items)
    before = sorted(Authorship.objects.values_list("paper_id", "position", "author_id"))

    single_import(items)
    bulk_import(items)

    assert sorted(Authorship.objects.values_list("paper_id", "position", "author_id")) == before


def test_matching_costs_five_queries_for_a_batch_whatever_its_size(django_assert_num_queries):
    bulk_import(works(WITH_LAPEYROLERIE[0]))
    batch = [works(doi)[0] for doi in WITH_LAPEYROLERIE * 20]

    # The name aliases and the authors of the batch's names, their authorships, their
    # papers' co-authors of the batch's names, what those papers cite.
    with django_assert_num_queries(5):
        matcher = authors.Matcher([(work, work.authors) for work in batch])
    with django_assert_num_queries(0):
        found = {matcher.match(c, work) for work in batch for c in work.authors}
    assert {"Carl Boettiger", "Marcus Lapeyrolerie"} <= {a.name for a in found if a}


def test_a_batch_reads_the_curators_splits_once_whatever_it_folds(django_assert_num_queries):
    [later] = works(WITH_LAPEYROLERIE[1])
    berkeley = list(later.authors[1].affiliations)
    for n in range(2):  # two stored namesakes of each of its authors, each at Berkeley
        for name in ("Carl Boettiger", "Marcus Lapeyrolerie"):
            paper = Paper.objects.create(doi=f"10.5555/{name[0]}{n}", title=f"A paper {n}")
            author = Author.objects.create(name=name)
            Authorship.objects.create(paper=paper, author=author, position=0, affiliations=berkeley)
    matcher = authors.Matcher([(later, later.authors)])

    # Two folds (one a name), one query: the splits among all the batch's candidates.
    with django_assert_num_queries(1):
        found = [matcher.match(c, later) for c in later.authors]
    assert [author.name for author in found] == ["Marcus Lapeyrolerie", "Carl Boettiger"]
    assert sorted(len(others) for _, others in matcher.stored_folds()) == [1, 1]


# --- merges ---


def test_a_merge_survives_later_imports_through_its_name_alias():
    bulk_import(works(WITH_LAPEYROLERIE[0]))
    [kept] = authors_named("Carl Boettiger")
    variant = Author.objects.create(
        name="Carl A. Boettiger", given_name="Carl A.", family_name="Boettiger"
    )

    merge_authors(keep=kept, others=[variant])

    assert list(kept.aliases.values_list("value", flat=True)) == ["carl a boettiger"]
    # A later paper naming him "Carl A. Boettiger", with his co-author: the kept author.
    [later] = works(WITH_LAPEYROLERIE[1])
    renamed = tuple(
        dataclasses.replace(c, given="Carl A.") if c.family == "Boettiger" else c
        for c in later.authors
    )
    bulk_import([dataclasses.replace(later, authors=renamed)])
    assert papers_of(kept) == set(WITH_LAPEYROLERIE)
    assert AuthorAlias.objects.count() == 1


def test_name_locks_are_one_query_on_postgresql_and_none_on_sqlite(django_assert_num_queries):
    batch = works(*WITH_LAPEYROLERIE)
    # SQLite has one writer at a time: nothing to lock.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 0):
        authors.lock_names(batch)


# --- splits ---


@pytest.fixture
def curator(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_a_curator_splits_an_author_and_later_imports_keep_the_split(curator):
    items = works(*WITH_LAPEYROLERIE)
    bulk_import(items)
    [boettiger] = authors_named("Carl Boettiger")
    moved = Paper.objects.with_doi(WITH_LAPEYROLERIE[1]).get()
    changelist = reverse("admin:papers_author_changelist")
    selected = {"action": "split_author", "_selected_action": [boettiger.pk]}

    page = curator.post(changelist, selected)
    assert page.status_code == 200 and "Give the ticked papers to a new author" in page.text
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = curator.post(changelist, {**selected, "apply": "1", "paper": [moved.pk]})

    assert response.status_code == 302
    first, second = authors_named("Carl Boettiger").order_by("pk")
    assert (papers_of(first), papers_of(second)) == ({WITH_LAPEYROLERIE[0]}, {moved.doi})
    single_import(items)
    bulk_import(items)
    assert (papers_of(first), papers_of(second)) == ({WITH_LAPEYROLERIE[0]}, {moved.doi})
    assert curator.get(second.get_absolute_url()).status_code == 200


def test_a_split_of_none_or_all_of_the_papers_is_refused(curator):
    bulk_import(works(*WITH_LAPEYROLERIE))
    [boettiger] = authors_named("Carl Boettiger")
    changelist = reverse("admin:papers_author_changelist")
    selected = {"action": "split_author", "_selected_action": [boettiger.pk], "apply": "1"}
    all_papers = list(
        Authorship.objects.filter(author=boettiger).values_list("paper_id", flat=True)
    )

    none = curator.post(changelist, selected, follow=True)
    every = curator.post(changelist, {**selected, "paper": all_papers}, follow=True)
    malformed = curator.post(changelist, {**selected, "paper": ["x"]}, follow=True)

    assert "Not split: Choose papers of this author" in none.text
    assert "Not split: Leave at least one paper" in every.text
    assert "Not split:" in malformed.text
    assert authors_named("Carl Boettiger").count() == 1


# --- OpenAlex author ids ---

PLOS = "10.1371/journal.pone.0000030"
RALSER = "A5070892021"  # OpenAlex's id of Markus Ralser, first author of PLOS


def openalex_work_json():
    return json.loads((FIXTURES / "openalex" / "W1982728624.json").read_text())


def test_openalex_works_carry_their_authors_ids():
    work = openalex.parse_work(openalex_work_json())
    enrichment = openalex.parse_enrichment(openalex_work_json())

    assert work.authors[0].openalex_id == RALSER
    assert [c.openalex_id for c in enrichment.authors] == [c.openalex_id for c in work.authors]


@pytest.mark.parametrize("store", [single_import, bulk_import], ids=["single", "batch"])
def test_an_openalex_author_id_is_one_person_whatever_the_name(store):
    first = openalex.parse_work(openalex_work_json())
    # A later OpenAlex work by the same people, its first author written with an initial.
    renamed = tuple(
        dataclasses.replace(c, given="M.") if c.openalex_id == RALSER else c for c in first.authors
    )
    later = dataclasses.replace(first, doi="10.5555/ralser-later", authors=renamed)

    store([first])
    store([later])

    [ralser] = Author.objects.filter(openalex_id=RALSER)
    assert papers_of(ralser) == {PLOS, "10.5555/ralser-later"}
    assert Author.objects.filter(openalex_id__isnull=False).count() == len(first.authors)


def test_enrichment_gives_the_papers_authors_their_openalex_ids():
    import_record("10.1371_journal.pone.0000030.json")

    apply_enrichment(openalex.parse_enrichment(openalex_work_json()))

    first = Authorship.objects.get(paper__doi=PLOS, position=0).author
    assert (first.family_name, first.openalex_id) == ("Ralser", RALSER)


def test_enrichment_moves_an_authorship_to_the_author_openalex_names():
    known = Author.objects.create(
        name="Markus Ralser", given_name="Markus", family_name="Ralser", openalex_id=RALSER
    )
    paper = import_record("10.1371_journal.pone.0000030.json")
    before = Authorship.objects.get(paper=paper, position=0).author

    apply_enrichment(openalex.parse_enrichment(openalex_work_json()))

    assert before != known
    assert Authorship.objects.get(paper=paper, position=0).author == known


def test_curators_list_the_namesakes_to_look_at_for_a_merge(curator):
    bulk_import(works(*NO_CLUE, *RONG_CHENS))

    response = curator.get(reverse("admin:papers_author_changelist"), {"namesakes": "yes"})

    assert response.status_code == 200
    shown = [author.name for author in response.context["cl"].result_list]
    assert shown == ["Carl Boettiger", "Carl Boettiger", "Rong Chen", "Rong Chen"]


def test_a_family_name_with_a_non_ascii_capital_is_matched_on_every_database():
    [first, second] = works(*WITH_LAPEYROLERIE)

    def accented(work):
        return dataclasses.replace(
            work,
            authors=tuple(
                dataclasses.replace(c, family="Åström") if c.family == "Boettiger" else c
                for c in work.authors
            ),
        )

    bulk_import([accented(first)])
    bulk_import([accented(second)])

    [astrom] = Author.objects.filter(family_name="Åström")
    assert papers_of(astrom) == set(WITH_LAPEYROLERIE)


def test_a_batch_holds_a_bounded_number_of_name_locks_whatever_its_size():
    # Thousands of names (a batch of 2,000 arXiv papers has 7,000) take at most
    # NAME_LOCK_BUCKETS locks: one a name ran out of the server's lock table.
    people = tuple(
        dataclasses.replace(
            works(WITH_LAPEYROLERIE[0])[0].authors[0], given=f"Given{n}", family=f"Family{n}"
        )
        for n in range(3000)
    )
    batch = [dataclasses.replace(works(WITH_LAPEYROLERIE[0])[0], authors=people)]

    authors.lock_names(batch)

    keys = authors.name_lock_keys(batch)
    assert authors.NAME_LOCK_BUCKETS / 2 < len(keys) <= authors.NAME_LOCK_BUCKETS
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                "AND pid = pg_backend_pid()",
                [authors.NAME_LOCK_SPACE],
            )
            assert cursor.fetchone()[0] == len(keys)
