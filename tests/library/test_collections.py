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
