"""Collections of papers: the one write path for a researcher's reading list and named lists.

Who may do what (``can_read``, ``can_edit``, ``can_manage``):
- the owner reads, edits entries, renames, publishes, shares and deletes;
- editors (users the owner shared it with) read and edit entries;
- anyone reads a public collection; nobody else learns that a private one exists (404).

Collections hold no paper page fragment: nothing here bumps ``Paper.content_version``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from library.models import READING_LIST_NAME, Collection, Entry
from papers.rows import insert_tuples


def reading_list(user):
    """``user``'s default collection, made on first use (safe when two requests race)."""
    collection = Collection.objects.filter(owner=user, is_default=True).first()
    if collection is not None:
        return collection
    try:
        with transaction.atomic():
            return Collection.objects.create(owner=user, name=READING_LIST_NAME, is_default=True)
    except IntegrityError:  # made by a concurrent request, or a list already has the name
        collection = Collection.objects.filter(owner=user, is_default=True).first()
        if collection is None:
            raise ValidationError(
                f"Rename your collection called “{READING_LIST_NAME}”: that name is your "
                "reading list's."
            ) from None
        return collection


def visible_to(user):
    """Collections ``user`` may open and edit entries of: their own and those shared with them."""
    if not user.is_authenticated:
        return Collection.objects.none()
    return Collection.objects.filter(Q(owner=user) | Q(editors=user)).distinct()


def can_read(user, collection):
    return collection.is_public or can_edit(user, collection)


def can_edit(user, collection):
    """Add, remove, reorder and annotate entries: the owner and the editors."""
    if not user.is_authenticated:
        return False
    return collection.owner_id == user.pk or collection.editors.filter(pk=user.pk).exists()


def can_manage(user, collection):
    """Rename, publish, share, delete: the owner only."""
    return user.is_authenticated and collection.owner_id == user.pk


def _check_name(name):
    name = (name or "").strip()
    if not name:
        raise ValidationError("A collection needs a name.")
    if len(name) > Collection._meta.get_field("name").max_length:
        raise ValidationError(
            f"A collection's name is at most {Collection._meta.get_field('name').max_length} "
            "characters long."
        )
    return name


def check_new_name(owner, name):
    """``name`` stripped, for a new collection of ``owner``'s; ValidationError when it is
    blank, too long or taken (one query)."""
    name = _check_name(name)
    if Collection.objects.filter(owner=owner, name=name).exists():
        raise ValidationError(f"You already have a collection called “{name}”.")
    return name


def create_collection(*, owner, name, description="", is_public=False):
    """A new collection of ``owner``'s; ValidationError when the name is blank or taken."""
    name = _check_name(name)
    try:
        with transaction.atomic():
            return Collection.objects.create(
                owner=owner, name=name, description=description, is_public=is_public
            )
    except IntegrityError:
        raise ValidationError(f"You already have a collection called “{name}”.") from None


ENTRY_COLUMNS = (
    "collection_id",
    "paper_id",
    "position",
    "note",
    "state",
    "added_by_id",
    "added_at",
    "read_at",
)


def add_papers(*, collection, papers, by):
    """Put ``papers`` at the end of ``collection``, in the order given, skipping those
    already in it. Returns the number added. Safe to run twice: the second adds nothing.
    Five queries whatever the number of papers (lock, present papers, last position, one
    INSERT or COPY of the entries, the collection's time)."""
    if not can_edit(by, collection):
        raise PermissionDenied("You cannot change this collection.")
    with transaction.atomic():
        # The collection's row orders concurrent additions: positions stay distinct.
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        present = set(
            Entry.objects.filter(collection=collection).values_list("paper_id", flat=True)
        )
        last = Entry.objects.filter(collection=collection).aggregate(m=Max("position"))["m"]
        position = -1 if last is None else last
        # As the database takes it (SQLite: text in UTC), since no model instance is made.
        now = Entry._meta.get_field("added_at").get_db_prep_value(timezone.now(), connection)
        new = []
        for paper in papers:
            paper_id = getattr(paper, "pk", paper)
            if paper_id in present:
                continue
            present.add(paper_id)
            position += 1
            new.append(
                (collection.pk, paper_id, position, "", Entry.State.TO_READ, by.pk, now, None)
            )
        # One statement whatever the number (an import brings thousands): bulk_create
        # would split it into INSERTs of 999 values on SQLite.
        insert_tuples(Entry, ENTRY_COLUMNS, new)
        if new:
            Collection.objects.filter(pk=collection.pk).update(updated_at=timezone.now())
    return len(new)


def remove_paper(*, collection, paper, by):
    """Take ``paper`` out of ``collection``; True when it was in it."""
    if not can_edit(by, collection):
        raise PermissionDenied("You cannot change this collection.")
    deleted, _ = Entry.objects.filter(collection=collection, paper=paper).delete()
    return bool(deleted)


def mark(*, entry, state, by):
    """Set an entry to read or to read (``Entry.State``)."""
    if not can_edit(by, entry.collection):
        raise PermissionDenied("You cannot change this collection.")
    if state not in Entry.State.values:
        raise ValidationError(
            f"Unknown state “{state}”: use one of {', '.join(Entry.State.values)}."
        )
    entry.state = state
    entry.read_at = timezone.now() if state == Entry.State.READ else None
    entry.save(update_fields=["state", "read_at"])
    return entry
