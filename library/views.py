"""The library's pages: the private-note form of the paper page, the Save control, the
collection pages and "My library". Every form works without JavaScript (a plain POST, then
a redirect with a message); the Save control also answers JSON to static/library/save.js.
The views parse and check rights, then call library.collections / library.notes.

Rights: a collection the reader may not read is 404 (as if it did not exist); a public
collection read by someone who may not change it is 403 on every POST.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from library import collections, notes
from library.forms import CollectionForm, EntryNoteForm, NoteForm, ShareForm
from library.models import Collection, Entry
from papers.models import Paper


@login_required
@require_http_methods(["GET", "POST"])
def edit_note(request, pk):
    """GET: the note's form on a page of its own; POST: save it (blank deletes) and go back
    to the paper's page. A text over the limit is shown again with the reason (400)."""
    paper = get_object_or_404(Paper.objects.only("pk", "title", "doi"), pk=pk)
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            note = notes.save_note(user=request.user, paper=paper, text=form.cleaned_data["text"])
            messages.success(request, "Note saved." if note else "Note deleted.")
            return redirect(paper.get_absolute_url() + "#note")
        return render(request, "library/note_form.html", {"paper": paper, "form": form}, status=400)
    note = notes.note_for(request.user, paper.pk)
    form = NoteForm(initial={"text": note.text if note else ""})
    return render(request, "library/note_form.html", {"paper": paper, "form": form})


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _back(request, default):
    """Where a form came from (its ``next`` field) when that is one of our pages."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def save_paper(request, pk):
    """The Save control of the paper page and the cards: put the paper in the reading list,
    or in the chosen ``collection`` (one the reader may edit), then go back where the form
    was (or answer JSON to save.js)."""
    paper = get_object_or_404(Paper.objects.only("pk", "title"), pk=pk)
    chosen = request.POST.get("collection", "")
    if chosen:
        if not chosen.isdigit():
            return _save_error(request, "Choose one of your collections.", status=400)
        collection = get_object_or_404(collections.visible_to(request.user), pk=int(chosen))
    else:
        try:
            collection = collections.reading_list(request.user)
        except ValidationError as error:
            return _save_error(request, error.messages[0], status=400)
    added = collections.add_papers(collection=collection, papers=[paper], by=request.user)
    message = f"Saved in {collection.name}." if added else f"Already in {collection.name}."
    if _wants_json(request):
        return JsonResponse({"message": message, "added": bool(added), "collection": collection.pk})
    messages.success(request, message)
    return redirect(_back(request, paper.get_absolute_url() + "#save"))


def _save_error(request, message, *, status):
    if _wants_json(request):
        return JsonResponse({"message": message}, status=status)
    return render(request, "library/error.html", {"message": message}, status=status)


def _readable(request, pk):
    """The collection ``pk`` if the reader may read it, else 404."""
    collection = get_object_or_404(Collection.objects.select_related("owner"), pk=pk)
    if not collections.can_read(request.user, collection):
        raise Http404("No such collection.")
    return collection


def _editable(request, pk):
    collection = _readable(request, pk)
    if not collections.can_edit(request.user, collection):
        raise PermissionDenied("You cannot change this collection.")
    return collection


def _managed(request, pk):
    collection = _readable(request, pk)
    if not collections.can_manage(request.user, collection):
        raise PermissionDenied("Only the collection's owner can do this.")
    return collection


@login_required
@require_http_methods(["GET", "POST"])
def collection_list(request):
    """GET: the reader's collections and those shared with them, and a form for a new one;
    POST: make it and open it."""
    form = CollectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                collection = collections.create_collection(owner=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error("name", error.messages[0])
            else:
                messages.success(request, f"Collection “{collection.name}” made.")
                return redirect(collection)
        status = 400
    context = {"collections": collections.collections_for_library(request.user), "form": form}
    return render(request, "library/collection_list.html", context, status=status)


@require_GET
def collection_detail(request, pk):
    """A collection's page: entries in order. Its owner and editors get the forms to change
    it; anyone else reads a public one (and gets 404 for a private one)."""
    return _collection_page(request, _readable(request, pk))


def _collection_page(request, collection, *, status=200, error=None, form=None):
    # The editors are read once: they answer "may this reader edit?" and the sharing list.
    editors = list(collection.editors.only("pk", "username").order_by("username"))
    user = request.user
    is_owner = user.is_authenticated and collection.owner_id == user.pk
    can_edit = is_owner or any(editor.pk == user.pk for editor in editors)
    context = {
        "collection": collection,
        "entries": collections.entries_for_page(collection),
        "editors": editors,
        "is_owner": is_owner,
        "can_edit": can_edit,
        "error": error,
        "form": form
        or CollectionForm(initial={"name": collection.name, "description": collection.description}),
        "share_form": ShareForm(),
        "note_max_length": EntryNoteForm.base_fields["note"].max_length,
    }
    return render(request, "library/collection_detail.html", context, status=status)


@login_required
@require_POST
def describe_collection(request, pk):
    collection = _managed(request, pk)
    form = CollectionForm(request.POST)
    if not form.is_valid():
        return _collection_page(request, collection, status=400, form=form)
    try:
        collections.describe(
            collection=collection,
            by=request.user,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
    except ValidationError as error:
        form.add_error("name", error.messages[0])
        collection.refresh_from_db()
        return _collection_page(request, collection, status=400, form=form)
    messages.success(request, "Collection updated.")
    return redirect(collection)


@login_required
@require_POST
def publish_collection(request, pk):
    collection = _managed(request, pk)
    is_public = request.POST.get("is_public") == "1"
    collections.set_public(collection=collection, by=request.user, is_public=is_public)
    messages.success(
        request,
        "Published: anyone with the link can read it." if is_public else "Now private.",
    )
    return redirect(collection)


@login_required
@require_POST
def delete_collection(request, pk):
    collection = _managed(request, pk)
    try:
        collections.delete(collection=collection, by=request.user)
    except ValidationError as error:
        return _collection_page(request, collection, status=400, error=error.messages[0])
    messages.success(request, f"Collection “{collection.name}” deleted.")
    return redirect("library:collections")


@login_required
@require_POST
def share_collection(request, pk):
    collection = _managed(request, pk)
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _collection_page(request, collection, status=400, error="Give a username.")
    try:
        user = collections.share(
            collection=collection, by=request.user, username=form.cleaned_data["username"]
        )
    except ValidationError as error:
        return _collection_page(request, collection, status=400, error=error.messages[0])
    messages.success(request, f"Shared with {user.get_username()} for editing.")
    return redirect(collection)


@login_required
@require_POST
def unshare_collection(request, pk, user_id):
    collection = _managed(request, pk)
    collections.unshare(collection=collection, by=request.user, user_id=user_id)
    messages.success(request, "No longer shared with them.")
    return redirect(collection)


ENTRY_ACTIONS = ("up", "down", "read", "to_read", "remove", "note")


@login_required
@require_POST
def change_entry(request, pk, entry_id):
    """One form per entry and action: move up/down, mark read/to read, remove, set its note."""
    collection = _editable(request, pk)
    entry = get_object_or_404(
        Entry.objects.select_related("paper"), pk=entry_id, collection=collection
    )
    entry.collection = collection
    action = request.POST.get("action", "")
    if action not in ENTRY_ACTIONS:
        return _collection_page(
            request, collection, status=400, error=f"Unknown action “{action}”."
        )
    try:
        if action in ("up", "down"):
            collections.move(entry=entry, by=request.user, direction=action)
        elif action in ("read", "to_read"):
            collections.mark(entry=entry, state=action, by=request.user)
            messages.success(request, f"Marked {entry.get_state_display().lower()}.")
        elif action == "remove":
            collections.remove_paper(collection=collection, paper=entry.paper, by=request.user)
            messages.success(request, f"Removed “{entry.paper.title}”.")
        else:
            collections.set_note(entry=entry, by=request.user, note=request.POST.get("note", ""))
            messages.success(request, "Note saved.")
    except ValidationError as error:
        return _collection_page(request, collection, status=400, error=error.messages[0])
    return redirect(collection.get_absolute_url() + f"#entry-{entry.pk}")


@login_required
@require_GET
def my_library(request):
    """The reader's library: collections with counts, notes (searchable), and the places
    where follows and import history go."""
    query = request.GET.get("q", "").strip()
    context = {
        "collections": collections.collections_for_library(request.user),
        "notes": notes.notes_for_library(request.user, query),
        "notes_shown": notes.LIBRARY_NOTES_SHOWN,
        "query": query,
    }
    return render(request, "library/my_library.html", context)
