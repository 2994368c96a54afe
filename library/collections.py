"""Collections of papers: the one write path for a researcher's reading list and named lists.

Who may do what (``can_read``, ``can_edit``, ``can_manage``):
- the owner reads, edits entries, renames, publishes, shares and deletes;
- editors (users the owner shared it with) read and edit entries;
- anyone reads a public collection; nobody else learns that a private one exists (404).

Collections hold no paper page fragment: nothing here bumps ``Paper.content_version``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
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


def add_papers(*, collection, papers, by):
    """Put ``papers`` at the end of ``collection``, in the order given, skipping those
    already in it. Returns the number added. Safe to run twice: the second adds nothing."""
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
        new = []
        for paper in papers:
            paper_id = getattr(paper, "pk", paper)
            if paper_id in present:
                continue
            present.add(paper_id)
            position += 1
            new.append(
                Entry(collection=collection, paper_id=paper_id, position=position, added_by=by)
            )
        Entry.objects.bulk_create(new)
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


def _require_manager(user, collection):
    if not can_manage(user, collection):
        raise PermissionDenied("Only the collection's owner can do this.")


def describe(*, collection, by, name, description):
    """Rename ``collection`` and set its description (owner only). The reading list keeps
    its name. ValidationError when the name is blank, too long or taken."""
    _require_manager(by, collection)
    name = READING_LIST_NAME if collection.is_default else _check_name(name)
    description = (description or "").strip()
    limit = COLLECTION_DESCRIPTION_MAX_LENGTH
    if len(description) > limit:
        raise ValidationError(f"A description is at most {limit:,} characters long.")
    collection.name, collection.description = name, description
    try:
        with transaction.atomic():
            collection.save(update_fields=["name", "description", "updated_at"])
    except IntegrityError:
        raise ValidationError(f"You already have a collection called “{name}”.") from None
    return collection


def set_public(*, collection, by, is_public):
    """Publish (a read-only page for anyone) or unpublish ``collection`` (owner only)."""
    _require_manager(by, collection)
    collection.is_public = bool(is_public)
    collection.save(update_fields=["is_public", "updated_at"])
    return collection


def delete(*, collection, by):
    """Delete ``collection`` and its entries (owner only); the reading list cannot go."""
    _require_manager(by, collection)
    if collection.is_default:
        raise ValidationError("Your reading list cannot be deleted; empty it instead.")
    collection.delete()


def share(*, collection, by, username):
    """Let the user called ``username`` edit ``collection``'s entries (owner only).
    Idempotent. ValidationError when no such user exists or it is the owner."""
    _require_manager(by, collection)
    User = get_user_model()
    username = (username or "").strip()
    user = User.objects.filter(**{User.USERNAME_FIELD + "__iexact": username}).first()
    if user is None:
        raise ValidationError(f"There is no user called “{username}”.")
    if user.pk == collection.owner_id:
        raise ValidationError("You own this collection already.")
    collection.editors.add(user)
    return user


def unshare(*, collection, by, user_id):
    """Stop sharing ``collection`` with the user ``user_id`` (owner only). Idempotent."""
    _require_manager(by, collection)
    collection.editors.remove(user_id)


def move(*, entry, by, direction):
    """Swap ``entry`` with its neighbour above (``direction="up"``) or below ("down").
    Nothing happens at either end. Runs under the collection's row lock, as additions do."""
    if not can_edit(by, entry.collection):
        raise PermissionDenied("You cannot change this collection.")
    if direction not in ("up", "down"):
        raise ValidationError(f"Unknown direction “{direction}”: use up or down.")
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=entry.collection_id).first()
        entries = list(Entry.objects.filter(collection_id=entry.collection_id).only("pk"))
        index = next((i for i, e in enumerate(entries) if e.pk == entry.pk), None)
        if index is None:
            return False
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(entries):
            return False
        entries[index], entries[other] = entries[other], entries[index]
        # Renumber the whole list: positions stay distinct even if older rows shared one.
        for position, row in enumerate(entries):
            row.position = position
        Entry.objects.bulk_update(entries, ["position"])
    return True


def set_note(*, entry, by, note):
    """Set an entry's short note (blank clears it); ValidationError when it is too long."""
    if not can_edit(by, entry.collection):
        raise PermissionDenied("You cannot change this collection.")
    note = (note or "").strip()
    if len(note) > ENTRY_NOTE_MAX_LENGTH:
        raise ValidationError(f"An entry's note is at most {ENTRY_NOTE_MAX_LENGTH:,} characters.")
    entry.note = note
    entry.save(update_fields=["note"])
    return entry


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
