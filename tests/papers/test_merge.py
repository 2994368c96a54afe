"""papers.merge: folding duplicate authors, journals, keywords and categories into one.

Papers come from real recorded Crossref records imported through papers.ingest; the
duplicates are the ones imports really make (one person with and without an ORCID) or
ones a curator would find (two spellings of one keyword).
"""

from pathlib import Path

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from library.follows import follow
from library.models import Follow
from papers.crossref import parse_work
from papers.ingest import upsert_work
from papers.merge import (
    MergeRefused,
    merge_author_groups,
    merge_authors,
    merge_categories,
    merge_journals,
    merge_keywords,
)
from papers.models import Author, Authorship, Category, Journal, Keyword, Paper, PaperCategory
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    KeywordFactory,
    PaperFactory,
    UserFactory,
)
from tests.records import crossref_record, import_record

CROSSREF = Path(__file__).resolve().parent.parent / "fixtures" / "crossref"
FENNER_ORCID = "0000-0003-1419-2405"

pytestmark = pytest.mark.django_db


def authorship_rows():
    return sorted(Authorship.objects.values_list("pk", "paper_id", "author_id", "position"))


def authorship_positions(paper):
    return [
        (a.position, a.author.name, a.affiliations)
        for a in paper.authorships.select_related("author").order_by("position")
    ]


# --- authors ---


def test_two_rows_of_one_person_become_one_with_the_orcid_filled_in():
    # D-Lib lists Martin Fenner without an ORCID, the bioRxiv preprint with one: two rows.
    dlib = import_record("10.1045_january2017-burton.json")
    preprint = import_record("10.1101_097196.json")
    without_orcid = Author.objects.get(name="Martin Fenner", orcid=None)
    with_orcid = Author.objects.get(orcid=FENNER_ORCID)

    result = merge_authors(keep=without_orcid, others=[with_orcid])

    assert not Author.objects.filter(pk=with_orcid.pk).exists()
    without_orcid.refresh_from_db()
    assert without_orcid.orcid == FENNER_ORCID
    assert set(without_orcid.authorships.values_list("paper_id", flat=True)) == {
        dlib.pk,
        preprint.pk,
    }
    assert (result.merged, result.moved, result.duplicates) == (1, 1, 0)
    assert result.paper_ids == {preprint.pk}
    assert str(result) == "1 authorship moved"


def namesakes(groups, per_group):
    """``groups`` authors kept, each with ``per_group`` others of its name, every one on a
    paper of its own (the fragments an import leaves of one person each)."""
    made = []
    for number in range(groups):
        people = [AuthorFactory(name=f"Person {number}") for _ in range(per_group + 1)]
        for person in people:
            AuthorshipFactory(author=person, position=0)
        made.append((people[0], people[1:]))
    return made


def test_many_groups_of_authors_merge_at_once_in_the_same_queries_as_one(
    django_assert_num_queries,
):
    one, many = namesakes(1, 2), namesakes(6, 2)

    with CaptureQueriesContext(connection) as alone:
        merge_author_groups(one)
    with django_assert_num_queries(len(alone)):
        results = merge_author_groups(many)

    for (keep, others), result in zip(many, results, strict=True):
        assert (result.kept, result.merged, result.moved) == (keep, 2, 2)
        assert keep.authorships.count() == 3
        assert not Author.objects.filter(pk__in=[o.pk for o in others]).exists()


def test_one_group_with_two_orcids_refuses_every_group():
    groups = namesakes(3, 1)
    keep, [other] = groups[1]
    Author.objects.filter(pk=keep.pk).update(orcid="0000-0002-1642-628X")
    Author.objects.filter(pk=other.pk).update(orcid="0000-0001-5109-3700")

    with pytest.raises(MergeRefused, match="different ORCIDs"):
        merge_author_groups(groups)

    assert Author.objects.count() == 6 and Authorship.objects.count() == 6


def test_a_later_import_by_orcid_finds_the_kept_author():
    import_record("10.1045_january2017-burton.json")
    import_record("10.1101_097196.json")
    kept = Author.objects.get(name="Martin Fenner", orcid=None)
    merge_authors(keep=kept, others=[Author.objects.get(orcid=FENNER_ORCID)])

    blog_post = import_record("10.53731_ybhah-9jy85.json")

    assert blog_post.authorships.get().author_id == kept.pk
    assert Author.objects.filter(name="Martin Fenner").count() == 1


def test_two_authorships_on_one_paper_become_the_first_with_both_affiliations():
    paper = import_record("10.1136_jclinpath-2020-206745.json")
    jun, ren = Author.objects.get(name="Jun Xu"), Author.objects.get(name="Ren Xu")

    result = merge_authors(keep=ren, others=[jun])

    assert paper.authorships.count() == 14
    first = paper.authorships.get(position=0)
    assert first.author_id == ren.pk
    assert first.affiliations == [
        "Department of Neurosurgery, China-Japan Friendship Hospital, Beijing, China",
        "R&D Center, Shanghai Yuanqi Bio-Pharmaceutical Co. Ltd, Shanghai, China",
    ]
    assert not paper.authorships.filter(position=11).exists()
    assert (result.moved, result.duplicates) == (1, 1)
    assert str(result) == "1 authorship moved, 1 duplicate removed"


def test_the_others_names_fill_only_what_the_kept_author_lacks():
    paper = import_record("10.1136_jclinpath-2020-206745.json")
    initials_only = Author.objects.create(name="J. Huang")
    Authorship.objects.create(paper=paper, author=initials_only, position=20)
    jie = Author.objects.get(name="Jie Huang")

    merge_authors(keep=initials_only, others=[jie])

    initials_only.refresh_from_db()
    assert (initials_only.name, initials_only.given_name, initials_only.family_name) == (
        "J. Huang",
        "Jie",
        "Huang",
    )


def test_authors_with_different_orcids_are_refused_and_nothing_changes():
    import_record("10.1136_jclinpath-2020-206745.json")
    import_record("10.1101_097196.json")
    yang = Author.objects.get(orcid="0000-0002-3513-6501")
    fenner = Author.objects.get(orcid=FENNER_ORCID)
    before = authorship_rows()

    with pytest.raises(MergeRefused, match="different ORCIDs"):
        merge_authors(keep=yang, others=[fenner])

    assert Author.objects.filter(pk__in=[yang.pk, fenner.pk]).count() == 2
    assert authorship_rows() == before


def refuse_deleting_author(pk):
    """A database trigger that fails the DELETE of one author: a failure mid-merge."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TEMP TRIGGER refuse_delete BEFORE DELETE ON papers_author "
                f"WHEN OLD.id = {int(pk)} BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_delete() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_delete BEFORE DELETE ON papers_author FOR EACH ROW "
                f"WHEN (OLD.id = {int(pk)}) EXECUTE FUNCTION refuse_delete()"
            )


def test_a_failure_half_way_through_an_author_merge_undoes_all_of_it():
    dlib = import_record("10.1045_january2017-burton.json")
    import_record("10.1101_097196.json")
    kept = Author.objects.get(name="Martin Fenner", orcid=None)
    other = Author.objects.get(orcid=FENNER_ORCID)
    before = authorship_rows()
    search_before = dict(Paper.objects.values_list("pk", "search_document"))
    refuse_deleting_author(other.pk)  # authorships are moved by then; deleting fails

    with pytest.raises(DatabaseError, match="refused by test"):
        merge_authors(keep=kept, others=[other])

    assert authorship_rows() == before
    assert Author.objects.get(pk=kept.pk).orcid is None
    assert Author.objects.filter(pk=other.pk).exists()
    assert dict(Paper.objects.values_list("pk", "search_document")) == search_before
    assert dlib.authorships.filter(author=kept).count() == 1


# --- journals ---


def test_papers_move_to_the_kept_journal_which_takes_the_missing_issn_and_publisher():
    plos = import_record("10.1371_journal.pone.0000030.json")
    imported = plos.journal
    typed_in = Journal.objects.create(title="PLOS ONE")
    by_hand = PaperFactory(journal=typed_in)

    result = merge_journals(keep=typed_in, others=[imported])

    typed_in.refresh_from_db()
    assert (typed_in.issn_electronic, typed_in.publisher) == (
        "1932-6203",
        imported.publisher,
    )
    assert set(typed_in.papers.values_list("pk", flat=True)) == {plos.pk, by_hand.pk}
    assert not Journal.objects.filter(pk=imported.pk).exists()
    assert (result.merged, result.moved, str(result)) == (1, 1, "1 paper moved")
    plos.refresh_from_db()
    assert "PLOS ONE" in plos.search_document


def test_readers_following_a_merged_journal_follow_the_kept_one_once():
    plos = import_record("10.1371_journal.pone.0000030.json")
    typed_in = Journal.objects.create(title="PLOS ONE")
    reader, both = UserFactory(), UserFactory()
    follow(user=reader, kind=Follow.Kind.JOURNAL, target=plos.journal)
    follow(user=both, kind=Follow.Kind.JOURNAL, target=plos.journal)
    follow(user=both, kind=Follow.Kind.JOURNAL, target=typed_in)

    merge_journals(keep=typed_in, others=[plos.journal])

    # Nobody loses a follow to a merge, and nobody follows one journal twice.
    assert sorted(Follow.objects.values_list("user", "journal")) == [
        (reader.pk, typed_in.pk),
        (both.pk, typed_in.pk),
    ]


def test_a_later_import_with_the_merged_issn_finds_the_kept_journal():
    plos = import_record("10.1371_journal.pone.0000030.json")
    typed_in = Journal.objects.create(title="PLOS ONE")
    merge_journals(keep=typed_in, others=[plos.journal])

    other_plos = import_record("10.1371_journal.pone.0214986.json")

    assert other_plos.journal_id == typed_in.pk
    assert Journal.objects.count() == 1


def test_journals_with_two_different_print_issns_are_refused_and_nothing_changes():
    orthopaedic = import_record("10.1002_jor.1100150407.json").journal
    heredity = import_record("10.1038_hdy.2013.26.json").journal
    papers_before = sorted(Paper.objects.values_list("pk", "journal_id"))

    with pytest.raises(MergeRefused, match="print ISSN"):
        merge_journals(keep=orthopaedic, others=[heredity.pk])

    assert Journal.objects.filter(pk__in=[orthopaedic.pk, heredity.pk]).count() == 2
    assert sorted(Paper.objects.values_list("pk", "journal_id")) == papers_before


# --- keywords and categories ---


def test_keyword_links_move_without_doubling_and_the_search_text_follows():
    both = import_record("10.1136_jclinpath-2020-206745.json")
    one = import_record("10.1038_srep16696.json")
    short, spelled_out = KeywordFactory(name="ctDNA"), KeywordFactory(name="cell-free tumour DNA")
    both.keywords.add(short, spelled_out)
    one.keywords.add(spelled_out)

    result = merge_keywords(keep=short, others=[spelled_out])

    assert not Keyword.objects.filter(pk=spelled_out.pk).exists()
    assert list(both.keywords.all()) == [short]
    assert list(one.keywords.all()) == [short]
    assert (result.moved, result.duplicates) == (1, 1)
    assert str(result) == "1 paper link moved, 1 duplicate removed"
    one.refresh_from_db()
    assert "ctDNA" in one.search_document
    assert "cell-free tumour DNA" not in one.search_document


def test_two_categories_of_one_paper_become_one_link():
    # Crossref gives Pediatric Neurology both "Neurology (clinical)" and "Neurology".
    paper = import_record("10.1016_j.pediatrneurol.2015.06.002.json")
    neurology = Category.objects.get(name="Neurology")
    clinical = Category.objects.get(name="Neurology (clinical)")
    elsewhere = PaperFactory()
    elsewhere.categories.add(clinical)

    result = merge_categories(keep=neurology, others=[clinical])

    assert sorted(paper.categories.values_list("name", flat=True)) == [
        "Developmental Neuroscience",
        "Neurology",
        "Pediatrics, Perinatology and Child Health",
    ]
    assert list(elsewhere.categories.all()) == [neurology]
    assert not Category.objects.filter(pk=clinical.pk).exists()
    assert (result.moved, result.duplicates, result.paper_ids) == (1, 1, {paper.pk, elsewhere.pk})


def test_category_links_of_crossref_and_openalex_move_with_their_sources():
    # Crossref's "Plant Science" on the plant paper; OpenAlex's topic field "Plant Science"
    # spelled "Plant science" on another paper, and both spellings on a third.
    crossref_paper = import_record("10.3389_fpls.2019.00816.json")
    plant_science = Category.objects.get(name="Plant Science")
    lower = Category.objects.create(name="Plant science (OpenAlex)", slug="plant-science-oa")
    openalex_paper = import_record("10.1371_journal.pone.0000030.json")
    both = import_record("10.7554_elife.01567.json")
    PaperCategory.objects.create(paper=openalex_paper, category=lower, source="openalex")
    PaperCategory.objects.create(paper=both, category=lower, source="openalex")
    PaperCategory.objects.create(paper=both, category=plant_science, source="crossref")
    curated = PaperFactory()
    PaperCategory.objects.create(paper=curated, category=plant_science, source="crossref")
    PaperCategory.objects.create(paper=curated, category=lower, source="curator")
    rows_before = PaperCategory.objects.count()

    result = merge_categories(keep=plant_science, others=[lower])

    links = set(PaperCategory.objects.filter(category=plant_science).values_list("paper", "source"))
    assert links == {
        (crossref_paper.pk, "crossref"),
        (openalex_paper.pk, "openalex"),  # moved, still OpenAlex's
        (both.pk, "crossref"),  # one link per paper: the kept category's
        (curated.pk, "curator"),  # ... unless the other was a curator's: no import removes it
    }
    assert PaperCategory.objects.count() == rows_before - 2  # only the duplicates went
    assert (result.moved, result.duplicates) == (1, 2)
    # The moved link is still OpenAlex's: a Crossref re-import of its paper leaves it.
    upsert_work(parse_work(crossref_record("10.1371_journal.pone.0000030.json")))
    assert set(openalex_paper.categories.values_list("name", flat=True)) == {
        "Multidisciplinary",
        "Plant Science",
    }


def test_many_keywords_merge_into_one_in_one_go():
    keep = KeywordFactory(name="machine learning")
    others = KeywordFactory.create_batch(5)
    papers = PaperFactory.create_batch(30)
    for n, paper in enumerate(papers):
        paper.keywords.add(others[n % 5], others[(n + 1) % 5])

    result = merge_keywords(keep=keep, others=others)

    assert result.merged == 5
    assert (result.moved, result.duplicates) == (30, 30)
    assert Keyword.objects.count() == 1
    assert all(list(p.keywords.all()) == [keep] for p in papers)


# --- arguments ---


def test_a_merge_needs_at_least_one_other_row():
    keyword = KeywordFactory()

    with pytest.raises(ValueError, match="at least one other"):
        merge_keywords(keep=keyword, others=[keyword])


def test_a_row_deleted_meanwhile_refuses_the_merge():
    keep, gone = KeywordFactory(), KeywordFactory()
    gone_pk = gone.pk
    gone.delete()

    with pytest.raises(MergeRefused, match="no longer exist"):
        merge_keywords(keep=keep, others=[gone_pk])
