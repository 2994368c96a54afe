"""The library's pages: the private-note form of the paper page, the downloads of a
collection and of the whole library (``library.exports``), and imports from reference
managers. All work without JavaScript (plain POST, then a redirect)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from library import collections, exports, imports, notes
from library.forms import ImportForm, NoteForm
from library.models import Collection, Entry, ImportItem, ImportJob
from papers.models import Paper

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
