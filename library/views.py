"""The private-note form of the paper page: works without JavaScript (a plain POST, then
back to the paper), and on its own page when the text needs correcting; the follow,
unfollow and "Save this search" buttons (plain POSTs, then back to the page); the feeds."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from library import follows, notes
from library.forms import NoteForm
from library.models import Follow
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


# --- follows: buttons on the author, journal, category, keyword and /papers/ pages ----------


def _back(request, fallback):
    """Where a follow button sends the reader back to: the page it was on (``next``, a
    local URL only), else ``fallback``."""
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _refused(request, error, fallback):
    messages.error(request, " ".join(error.messages))
    return HttpResponseRedirect(_back(request, fallback), status=303)


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
def follow_list(request):
    """ "My follows": the reader's follows with their feeds and unfollow buttons (the same
    include the My library page shows). One query besides the session's."""
    return render(request, "library/follow_list.html", follows.follows_context(request.user))
