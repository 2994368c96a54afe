"""Collections (library.collections): the reading list, adding and removing papers, read
state, and who may read, edit and manage a collection."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from library import collections
from library.models import READING_LIST_NAME, Collection, Entry
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_the_reading_list_is_made_once(alice):
    first = collections.reading_list(alice)
    second = collections.reading_list(alice)

    assert first.pk == second.pk
    assert (first.name, first.is_default, first.is_public) == (READING_LIST_NAME, True, False)
    assert Collection.objects.filter(owner=alice).count() == 1


def test_a_collection_name_is_required_and_unique_per_owner(alice, bob):
    collections.create_collection(owner=alice, name="Thesis")
    collections.create_collection(owner=bob, name="Thesis")

    with pytest.raises(ValidationError, match="already have a collection called “Thesis”"):
        collections.create_collection(owner=alice, name=" Thesis ")
    with pytest.raises(ValidationError, match="needs a name"):
        collections.create_collection(owner=alice, name="   ")


def test_papers_are_added_in_order_once(alice):
    papers = PaperFactory.create_batch(3)
    thesis = collections.create_collection(owner=alice, name="Thesis")

    assert collections.add_papers(collection=thesis, papers=papers[1:], by=alice) == 2
    assert collections.add_papers(collection=thesis, papers=papers, by=alice) == 1
    assert collections.add_papers(collection=thesis, papers=papers, by=alice) == 0

    order = list(thesis.entries.values_list("paper_id", flat=True))
    assert order == [papers[1].pk, papers[2].pk, papers[0].pk]


def test_editors_change_entries_but_only_the_owner_manages(alice, bob, carol):
    paper = PaperFactory()
    shared = collections.create_collection(owner=alice, name="Group reading")
    shared.editors.add(bob)

    collections.add_papers(collection=shared, papers=[paper], by=bob)
    assert Entry.objects.get(collection=shared).added_by == bob
    assert collections.can_edit(bob, shared) and not collections.can_manage(bob, shared)
    assert not collections.can_read(carol, shared)
    with pytest.raises(PermissionDenied):
        collections.remove_paper(collection=shared, paper=paper, by=carol)

    shared.is_public = True
    assert collections.can_read(carol, shared) and not collections.can_edit(carol, shared)
    assert list(collections.visible_to(bob)) == [shared]


def test_an_entry_is_marked_read_and_back(alice):
    reading = collections.reading_list(alice)
    collections.add_papers(collection=reading, papers=[PaperFactory()], by=alice)
    entry = reading.entries.get()

    collections.mark(entry=entry, state=Entry.State.READ, by=alice)
    assert entry.read_at is not None
    collections.mark(entry=entry, state=Entry.State.TO_READ, by=alice)
    entry.refresh_from_db()
    assert (entry.state, entry.read_at) == ("to_read", None)
    with pytest.raises(ValidationError, match="Unknown state"):
        collections.mark(entry=entry, state="skimmed", by=alice)


def test_the_owner_renames_describes_publishes_and_deletes(alice, bob):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.create_collection(owner=alice, name="Taken")
    thesis.editors.add(bob)

    collections.rename(collection=thesis, name="  Chapter 2 ", by=alice)
    collections.set_description(collection=thesis, description="GNNs", by=alice)
    collections.set_public(collection=thesis, is_public=True, by=alice)
    thesis.refresh_from_db()
    assert (thesis.name, thesis.description, thesis.is_public) == ("Chapter 2", "GNNs", True)
    with pytest.raises(ValidationError, match="already have a collection called “Taken”"):
        collections.rename(collection=thesis, name="Taken", by=alice)
    assert Collection.objects.get(pk=thesis.pk).name == "Chapter 2"
    for change in (
        lambda: collections.rename(collection=thesis, name="Bob's", by=bob),
        lambda: collections.set_public(collection=thesis, is_public=False, by=bob),
        lambda: collections.share(collection=thesis, user=bob, by=bob),
        lambda: collections.delete_collection(collection=thesis, by=bob),
    ):
        with pytest.raises(PermissionDenied):
            change()
    collections.delete_collection(collection=thesis, by=alice)
    assert not Collection.objects.filter(pk=thesis.pk).exists()


def test_the_reading_list_keeps_its_name_and_stays(alice):
    reading = collections.reading_list(alice)

    with pytest.raises(ValidationError, match="always called"):
        collections.rename(collection=reading, name="To read", by=alice)
    with pytest.raises(ValidationError, match="cannot be deleted"):
        collections.delete_collection(collection=reading, by=alice)


def test_sharing_is_idempotent_and_not_with_oneself(alice, bob):
    thesis = collections.create_collection(owner=alice, name="Thesis")

    collections.share(collection=thesis, user=bob, by=alice)
    collections.share(collection=thesis, user=bob, by=alice)
    assert list(thesis.editors.all()) == [bob]
    with pytest.raises(ValidationError, match="own this collection"):
        collections.share(collection=thesis, user=alice, by=alice)
    collections.unshare(collection=thesis, user=bob, by=alice)
    collections.unshare(collection=thesis, user=bob, by=alice)
    assert not thesis.editors.exists()


def test_an_entry_moves_and_the_others_keep_their_order(alice):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    papers = PaperFactory.create_batch(4)
    collections.add_papers(collection=thesis, papers=papers, by=alice)
    collections.remove_paper(collection=thesis, paper=papers[1], by=alice)  # leaves a gap
    last = thesis.entries.get(paper=papers[3])

    collections.move_entry(entry=last, position=0, by=alice)
    assert last.position == 0
    order = list(thesis.entries.values_list("paper_id", "position"))
    assert order == [(papers[3].pk, 0), (papers[0].pk, 1), (papers[2].pk, 2)]
    collections.move_entry(entry=last, position=10, by=alice)
    assert [p for p, _ in thesis.entries.values_list("paper_id", "position")][-1] == papers[3].pk
    with pytest.raises(ValidationError, match="whole number"):
        collections.move_entry(entry=last, position=-1, by=alice)


def test_the_owner_renames_and_describes_but_the_reading_list_keeps_its_name(alice, bob):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.create_collection(owner=alice, name="Taken")
    reading = collections.reading_list(alice)

    collections.describe(collection=thesis, by=alice, name=" Chapter 2 ", description=" Tea ")
    collections.describe(collection=reading, by=alice, name="Other", description="Soon")

    thesis.refresh_from_db()
    reading.refresh_from_db()
    assert (thesis.name, thesis.description) == ("Chapter 2", "Tea")
    assert (reading.name, reading.description) == (READING_LIST_NAME, "Soon")
    with pytest.raises(ValidationError, match="already have a collection called “Taken”"):
        collections.describe(collection=thesis, by=alice, name="Taken", description="")
    with pytest.raises(ValidationError, match="at most 2,000"):
        collections.describe(collection=thesis, by=alice, name="X", description="x" * 2001)
    with pytest.raises(PermissionDenied):
        collections.describe(collection=thesis, by=bob, name="Mine", description="")


def test_a_user_is_found_by_name_in_any_case(alice, bob):
    assert collections.user_named(" BOB ") == bob
    with pytest.raises(ValidationError, match="no user called “nobody”"):
        collections.user_named("nobody")


def test_entries_move_up_and_down_and_stop_at_the_ends(alice, bob):
    papers = PaperFactory.create_batch(3)
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.add_papers(collection=thesis, papers=papers, by=alice)
    first, second, third = thesis.entries.all()  # papers 0, 1, 2

    def order():
        return list(thesis.entries.values_list("paper_id", flat=True))

    assert collections.move(entry=third, by=alice, direction="up")
    assert order() == [papers[0].pk, papers[2].pk, papers[1].pk]
    assert collections.move(entry=first, by=alice, direction="down")
    assert order() == [papers[2].pk, papers[0].pk, papers[1].pk]
    assert not collections.move(entry=third, by=alice, direction="up")  # first already
    assert not collections.move(entry=second, by=alice, direction="down")  # last already
    with pytest.raises(ValidationError, match="Unknown direction"):
        collections.move(entry=first, by=alice, direction="sideways")
    with pytest.raises(PermissionDenied):
        collections.move(entry=first, by=bob, direction="up")


def test_an_entry_note_is_set_cleared_and_limited(alice, bob):
    reading = collections.reading_list(alice)
    collections.add_papers(collection=reading, papers=[PaperFactory()], by=alice)
    entry = reading.entries.get()

    collections.set_entry_note(entry=entry, note="  Key figure 3 ", by=alice)
    assert Entry.objects.get().note == "Key figure 3"
    collections.set_entry_note(entry=entry, note="", by=alice)
    assert Entry.objects.get().note == ""
    with pytest.raises(ValidationError, match="at most 1,000 characters long; this one has 1,001"):
        collections.set_entry_note(entry=entry, note="x" * 1001, by=alice)
    with pytest.raises(PermissionDenied):
        collections.set_entry_note(entry=entry, note="Mine", by=bob)


def test_the_saved_state_names_the_collections_holding_the_paper(alice, bob):
    paper = PaperFactory()
    reading = collections.reading_list(alice)
    thesis = collections.create_collection(owner=alice, name="Thesis")
    shared = collections.create_collection(owner=bob, name="Group")
    shared.editors.add(alice)
    collections.add_papers(collection=reading, papers=[paper], by=alice)
    collections.add_papers(collection=shared, papers=[paper], by=bob)

    state = collections.saved_state(alice, paper.pk)

    assert [c.pk for c in state["choices"]] == [reading.pk, shared.pk, thesis.pk]
    assert state["saved_in"] == [READING_LIST_NAME, "Group"]
    assert state["has_reading_list"]
    assert collections.saved_state(bob, paper.pk)["has_reading_list"] is False
