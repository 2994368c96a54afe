"""The library's pages: the private-note form of the paper page, the Save control, the
collection pages and "My library", the downloads of a collection and of the whole library
(``library.exports``), imports from reference managers, and the follow, unfollow and "Save
this search" buttons. Every form works without JavaScript (a plain POST, then a redirect
with a message); the Save control also answers JSON to static/library/save.js. The views
parse and check rights, then call library.collections / notes / imports / follows.

Rights: a collection the reader may not read is 404 (as if it did not exist); a public
collection read by someone who may not change it is 403 on every POST.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from library import collections, exports, follows, imports, notes
from library.forms import CollectionForm, EntryNoteForm, ImportForm, NoteForm, ShareForm
from library.models import Collection, Entry, Follow, ImportItem, ImportJob
from papers.models import Paper

# Imports listed on My library (the import page lists them too).
MY_LIBRARY_IMPORTS = 10
# Rows of unmatched entries a job's page lists; the API gives all of them.
ITEMS_SHOWN = 200
# Papers of the collection the page lists.
PAPERS_SHOWN = 100
# While a job or its fetches are under way, its page reloads itself this often.
IMPORT_REFRESH_SECONDS = 5


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


def _download(export):
    response = HttpResponse(export.content, content_type=export.content_type)
    # Names are slugs (ASCII letters, digits, hyphens): no quoting rules beyond these.
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _style(request):
    return request.GET.get("style", exports.DEFAULT_STYLE)


@require_safe
def collection_export(request, pk, extension):
    """A collection as a file (``exports.FORMAT_OF_EXTENSION``; ``.txt`` in ``?style=``):
    for its owner and editors, and for anyone when it is public; 404 to everyone else.
    Six queries at most (the collection, whether the reader edits it, ``export_collection``)."""
    collection = get_object_or_404(Collection.objects.all(), pk=pk)
    if not collections.can_read(request.user, collection):
        raise Http404("No such collection.")
    try:
        export = exports.export_collection(
            collection,
            exports.FORMAT_OF_EXTENSION[extension],
            user=request.user,
            style=_style(request),
        )
    except exports.UnknownFormat as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    return _download(export)


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


# --- follows: buttons on the author, journal, category, keyword and /papers/ pages ----------


def _refused(request, error, fallback):
    messages.error(request, " ".join(error.messages))
    return HttpResponseRedirect(_back(request, fallback), status=303)


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
def start_import(request):
    """GET: the upload form and the reader's recent imports; POST: queue the import and go
    to its progress page. A refused file is shown again with the reason (400)."""
    collections.reading_list(request.user)  # one to choose from, made on first use
    choices = collections.visible_to(request.user).order_by("-is_default", "name")
    form = ImportForm(request.POST or None, request.FILES or None, collections_queryset=choices)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imports.check_size(upload.size)  # before reading it into memory
            job = imports.start_import(
                owner=request.user,
                file_name=upload.name,
                data=upload.read(),
                collection=form.cleaned_data["collection"],
                collection_name=form.cleaned_data["new_collection"],
            )
        except (ValidationError, PermissionDenied) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            form.add_error(None, message)
        else:
            messages.success(request, "Your file is queued for import.")
            return redirect(job)
    status = 400 if request.method == "POST" else 200
    recent = list(imports.jobs_of(request.user)[:10])
    context = {"form": form, "jobs": recent}
    return render(request, "library/import_form.html", context, status=status)


@login_required
@require_POST
def follow(request):
    """Follow what the page shows: ``kind`` and ``target`` (an author's or journal's id, a
    category's or keyword's slug), or save a search: kind "search", ``query`` (the
    ``/papers/`` query string) and an optional ``name``. Then back to the page (303) with a
    message; a bad kind, an unknown target or a query that cannot be saved is a message too
    (the page redisplays as it was)."""
    kind = request.POST.get("kind", "")
    home = reverse("library:follows")
    try:
        if kind == Follow.Kind.SEARCH:
            found, created = follows.follow(
                user=request.user,
                kind=kind,
                query=request.POST.get("query", ""),
                name=request.POST.get("name", ""),
            )
        else:
            target = follows.target_of(kind, request.POST.get("target", ""))
            found, created = follows.follow(user=request.user, kind=kind, target=target)
    except ValidationError as error:
        return _refused(request, error, home)
    if kind == Follow.Kind.SEARCH:
        text = "Search saved" if created else "You have saved this search already"
        messages.success(request, f"{text}: {found.label}. New papers will be in your digest.")
        fallback = reverse("papers:list") + "?" + found.query
    else:
        text = "You now follow" if created else "You follow"
        messages.success(request, f"{text} {found.label}. New papers will be in your digest.")
        fallback = found.target.get_absolute_url()
    return HttpResponseRedirect(_back(request, fallback), status=303)


@login_required
@require_POST
def unfollow(request, pk):
    """Stop a follow of the reader's; another reader's is 404."""
    found = get_object_or_404(Follow, pk=pk, user=request.user)
    label = found.label
    follows.unfollow(user=request.user, follow_id=found.pk)
    messages.success(request, f"You no longer follow {label}.")
    return HttpResponseRedirect(_back(request, reverse("library:follows")), status=303)


@login_required
@require_POST
def rename_search(request, pk):
    """Rename a saved search of the reader's (blank: its text again); another's is 404."""
    found = get_object_or_404(Follow, pk=pk, user=request.user)
    try:
        follows.rename(follow=found, name=request.POST.get("name", ""), by=request.user)
    except ValidationError as error:
        return _refused(request, error, reverse("library:follows"))
    messages.success(request, f"Saved search renamed {found.label}.")
    return HttpResponseRedirect(_back(request, reverse("library:follows")), status=303)


@login_required
@require_safe
def library_export(request, extension):
    """Every paper of the reader's collections, each once, as a file (see
    ``exports.export_library``)."""
    try:
        export = exports.export_library(
            request.user, exports.FORMAT_OF_EXTENSION[extension], style=_style(request)
        )
    except exports.UnknownFormat as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    return _download(export)


@login_required
@require_safe
def import_progress(request, pk):
    """Where an import stands: its status, counts, fetches and the entries not matched.
    Its owner's only (404 to anyone else). Reloads itself while work is under way."""
    job = imports.jobs_of(request.user).select_related("collection").filter(pk=pk).first()
    if job is None:
        raise Http404("No such import.")
    items = list(
        job.items.exclude(kind=ImportItem.Kind.FETCH).order_by("number")[: ITEMS_SHOWN + 1]
    )
    busy = not job.is_finished or job.waiting
    # The collection's papers, until the collection has a page of its own.
    papers = []
    if job.status == ImportJob.Status.DONE and job.collection is not None:
        papers = list(
            Entry.objects.filter(collection=job.collection)
            .select_related("paper")
            .only("position", "paper__title", "paper__doi", "paper__metadata_status")
            .order_by("position", "id")[:PAPERS_SHOWN]
        )
    return render(
        request,
        "library/import_progress.html",
        {
            "job": job,
            "items": items[:ITEMS_SHOWN],
            "more_items": len(items) > ITEMS_SHOWN,
            "entries": papers,
            "refresh_seconds": IMPORT_REFRESH_SECONDS if busy else None,
            "Status": ImportJob.Status,
        },
    )


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
        collections.delete_collection(collection=collection, by=request.user)
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
        user = collections.user_named(form.cleaned_data["username"])
        collections.share(collection=collection, user=user, by=request.user)
    except ValidationError as error:
        return _collection_page(request, collection, status=400, error=error.messages[0])
    messages.success(request, f"Shared with {user.get_username()} for editing.")
    return redirect(collection)


@login_required
@require_POST
def unshare_collection(request, pk, user_id):
    collection = _managed(request, pk)
    collections.unshare(collection=collection, user=user_id, by=request.user)
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
            collections.set_entry_note(
                entry=entry, note=request.POST.get("note", ""), by=request.user
            )
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
        "jobs": list(imports.jobs_of(request.user)[:MY_LIBRARY_IMPORTS]),
        **follows.follows_context(request.user),
    }
    return render(request, "library/my_library.html", context)


@login_required
@require_safe
def follow_list(request):
    """ "My follows": the reader's follows with their feeds and unfollow buttons (the same
    include the My library page shows). One query besides the session's."""
    return render(request, "library/follow_list.html", follows.follows_context(request.user))
