"""The private-note form of the paper page: works without JavaScript (a plain POST, then
back to the paper), and on its own page when the text needs correcting. The downloads of a
collection and of the whole library (``library.exports``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from library import collections, exports, notes
from library.forms import NoteForm
from library.models import Collection
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
