"""Collections of papers: the one write path for a researcher's reading list and named lists.

Who may do what (``can_read``, ``can_edit``, ``can_manage``):
- the owner reads, edits entries, renames, publishes, shares and deletes;
- editors (users the owner shared it with) read and edit entries;
- anyone reads a public collection; nobody else learns that a private one exists (404).

Collections hold no paper page fragment: nothing here bumps ``Paper.content_version``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q
from django.utils import timezone

from library.models import (
    COLLECTION_DESCRIPTION_MAX_LENGTH,
    ENTRY_NOTE_MAX_LENGTH,
    READING_LIST_NAME,
    Collection,
    Entry,
)
from papers.models import CARD_AUTHORS, Authorship
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
    # A subquery rather than a join on editors: no duplicate rows, so no DISTINCT, and
    # counts annotated on the result stay right.
    shared = Collection.editors.through.objects.filter(user_id=user.pk).values("collection_id")
    return Collection.objects.filter(Q(owner=user) | Q(pk__in=shared))


def readable_by(user):
    """Collections ``user`` may read: ``visible_to`` and every public collection."""
    if not user.is_authenticated:
        return Collection.objects.filter(is_public=True)
    shared = Collection.editors.through.objects.filter(user_id=user.pk).values("collection_id")
    return Collection.objects.filter(Q(is_public=True) | Q(owner=user) | Q(pk__in=shared))


def for_list(queryset):
    """``queryset`` with what a list of collections shows: the owner joined, the number
    of entries annotated, the editors prefetched (two queries, whatever the rows)."""
    return (
        queryset.select_related("owner")
        .annotate(entry_count=Count("entries"))
        .prefetch_related(Prefetch("editors", queryset=get_user_model().objects.only("username")))
        # Meta.ordering is not applied to a query with GROUP BY: say it again.
        .order_by("-is_default", "name", "id")
    )


def can_read(user, collection):
    return collection.is_public or can_edit(user, collection)


def can_edit(user, collection):
    """Add, remove, reorder and annotate entries: the owner and the editors."""
    if not user.is_authenticated:
        return False
    if collection.owner_id == user.pk:
        return True
    prefetched = getattr(collection, "_prefetched_objects_cache", {}).get("editors")
    if prefetched is not None:  # loaded by ``for_list``: no query
        return any(editor.pk == user.pk for editor in prefetched)
    return collection.editors.filter(pk=user.pk).exists()


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


def _check_manage(collection, by):
    if not can_manage(by, collection):
        raise PermissionDenied("Only the collection's owner can do this.")


def rename(*, collection, name, by):
    """Give ``collection`` a new name (owner only). The reading list keeps its name;
    ValidationError when the name is blank, too long or another of the owner's."""
    _check_manage(collection, by)
    name = _check_name(name)
    if name == collection.name:
        return collection
    if collection.is_default:
        raise ValidationError(f"Your reading list is always called “{READING_LIST_NAME}”.")
    try:
        with transaction.atomic():
            collection.name = name
            collection.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        collection.refresh_from_db(fields=["name"])
        raise ValidationError(f"You already have a collection called “{name}”.") from None
    return collection


def set_description(*, collection, description, by):
    """Change ``collection``'s description (owner only); ValidationError when too long."""
    _check_manage(collection, by)
    description = (description or "").strip()
    if len(description) > COLLECTION_DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            f"A description is at most {COLLECTION_DESCRIPTION_MAX_LENGTH:,} characters long."
        )
    collection.description = description
    collection.save(update_fields=["description", "updated_at"])
    return collection


def set_public(*, collection, is_public, by):
    """Publish ``collection`` (anyone with its link reads it) or make it private again."""
    _check_manage(collection, by)
    collection.is_public = bool(is_public)
    collection.save(update_fields=["is_public", "updated_at"])
    return collection


def share(*, collection, user, by):
    """Let ``user`` edit ``collection``'s entries (owner only). Idempotent; the owner
    cannot be their own editor, nor can an inactive account be one."""
    _check_manage(collection, by)
    if user.pk == collection.owner_id:
        raise ValidationError("You own this collection already.")
    if not user.is_active:
        raise ValidationError(f"{user.username} cannot be given a collection to edit.")
    collection.editors.add(user)  # adding an editor twice is a no-op
    return collection


def unshare(*, collection, user, by):
    """Take back ``user``'s right to edit ``collection`` (owner only). Idempotent."""
    _check_manage(collection, by)
    collection.editors.remove(user)
    return collection


def delete_collection(*, collection, by):
    """Delete ``collection`` and its entries (owner only); the reading list stays."""
    _check_manage(collection, by)
    if collection.is_default:
        raise ValidationError("Your reading list cannot be deleted; remove its papers instead.")
    collection.delete()


def move_entry(*, entry, position, by):
    """Put ``entry`` at ``position`` (0 is first; past the end is last) in its collection,
    the others keeping their order. Positions become 0, 1, 2, ... Two queries and one
    UPDATE per entry whose position changes, under the collection's row lock."""
    if not can_edit(by, entry.collection):
        raise PermissionDenied("You cannot change this collection.")
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise ValidationError("A position is a whole number, 0 for the first.")
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=entry.collection_id).first()
        order = list(
            Entry.objects.filter(collection_id=entry.collection_id)
            .order_by("position", "id")
            .values_list("pk", "position")
        )
        ids = [pk for pk, _ in order if pk != entry.pk]
        ids.insert(min(position, len(ids)), entry.pk)
        was = dict(order)
        moved = [Entry(pk=pk, position=index) for index, pk in enumerate(ids) if was[pk] != index]
        Entry.objects.bulk_update(moved, ["position"], batch_size=500)
    entry.position = ids.index(entry.pk)
    return entry


def set_entry_note(*, entry, note, by):
    """Set ``entry``'s short note (blank clears it); ValidationError when too long."""
    if not can_edit(by, entry.collection):
        raise PermissionDenied("You cannot change this collection.")
    note = (note or "").strip()
    if len(note) > ENTRY_NOTE_MAX_LENGTH:
        raise ValidationError(
            f"An entry's note is at most {ENTRY_NOTE_MAX_LENGTH:,} characters long; "
            f"this one has {len(note):,}."
        )
    entry.note = note
    entry.save(update_fields=["note"])
    return entry


def describe(*, collection, name, description, by):
    """The collection page's one form: ``rename`` and ``set_description`` together (owner
    only), both or neither. The reading list keeps its name whatever ``name`` says."""
    with transaction.atomic():
        if not collection.is_default:
            rename(collection=collection, name=name, by=by)
        return set_description(collection=collection, description=description, by=by)


def user_named(username):
    """The active user called ``username`` (any case); ValidationError naming it otherwise."""
    User = get_user_model()
    username = (username or "").strip()
    user = User.objects.filter(
        **{User.USERNAME_FIELD + "__iexact": username}, is_active=True
    ).first()
    if user is None:
        raise ValidationError(f"There is no user called “{username}”.")
    return user


def move(*, entry, direction, by):
    """Move ``entry`` one place up or down (``move_entry``); False at either end."""
    if direction not in ("up", "down"):
        raise ValidationError(f"Unknown direction “{direction}”: use up or down.")
    order = list(
        Entry.objects.filter(collection_id=entry.collection_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    if entry.pk not in order:
        return False
    target = order.index(entry.pk) + (-1 if direction == "up" else 1)
    if not 0 <= target < len(order):
        return False
    move_entry(entry=entry, position=target, by=by)
    return True


def export_collections(user):
    """``user``'s own collections with their entries, as plain JSON values, for the account
    export (three queries: collections, editors, entries with their papers)."""
    owned = (
        Collection.objects.filter(owner=user)
        .prefetch_related(
            Prefetch("editors", queryset=get_user_model().objects.only("username")),
            Prefetch(
                "entries",
                queryset=Entry.objects.select_related("paper")
                .only(
                    "collection_id",
                    "position",
                    "note",
                    "state",
                    "added_at",
                    "read_at",
                    "paper__id",
                    "paper__title",
                    "paper__doi",
                )
                .order_by("position", "id"),
            ),
        )
        .order_by("-is_default", "name", "id")
    )
    return [
        {
            "name": collection.name,
            "description": collection.description,
            "is_default": collection.is_default,
            "is_public": collection.is_public,
            "editors": sorted(editor.username for editor in collection.editors.all()),
            "created_at": collection.created_at.isoformat(),
            "entries": [
                {
                    "paper": {"id": e.paper.pk, "title": e.paper.title, "doi": e.paper.doi},
                    "position": e.position,
                    "note": e.note,
                    "state": e.state,
                    "added_at": e.added_at.isoformat(),
                    "read_at": e.read_at.isoformat() if e.read_at else None,
                }
                for e in collection.entries.all()
            ],
        }
        for collection in owned
    ]


def saved_state(user, paper_id):
    """The paper page's Save control for ``user``: ``choices`` (the collections they may add
    to, reading list first, each with ``has_paper``), ``saved_in`` (the names of those
    holding ``paper_id``) and ``has_reading_list``. One query; none for an anonymous reader."""
    if not user.is_authenticated:
        return {"choices": [], "saved_in": [], "has_reading_list": False}
    holding = Entry.objects.filter(collection=OuterRef("pk"), paper_id=paper_id)
    choices = list(
        visible_to(user)
        .annotate(has_paper=Exists(holding))
        .only("pk", "name", "is_default", "owner_id")
        .order_by("-is_default", "name", "pk")
    )
    return {
        "choices": choices,
        "saved_in": [c.name for c in choices if c.has_paper],
        "has_reading_list": any(c.is_default and c.owner_id == user.pk for c in choices),
    }


def collections_for_library(user):
    """``user``'s collections and those shared with them, reading list first, each with
    ``entry_count`` and its owner: one query."""
    return list(
        visible_to(user)
        .select_related("owner")
        .annotate(entry_count=Count("entries", distinct=True))
        .order_by("-is_default", "name", "pk")
    )


def entries_for_page(collection):
    """The entries of ``collection`` in order, each with its paper and the paper's first
    authors (``entry.paper.card_authorships``): two queries whatever the number of entries."""
    first_authors = Authorship.objects.select_related("author").order_by("position")
    return list(
        Entry.objects.filter(collection=collection)
        .select_related("paper")
        .only(
            "pk",
            "position",
            "note",
            "state",
            "read_at",
            "collection_id",
            "paper_id",
            "paper__title",
            "paper__doi",
            "paper__published_year",
        )
        .prefetch_related(
            Prefetch(
                "paper__authorships",
                queryset=first_authors[: CARD_AUTHORS + 1],
                to_attr="card_authorships",
            )
        )
    )
