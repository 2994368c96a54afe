"""The private-note form of the paper page: works without JavaScript (a plain POST, then
back to the paper), and on its own page when the text needs correcting."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from library import notes
from library.forms import NoteForm
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
