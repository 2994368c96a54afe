"""The "For you" page, its "not relevant" button, and the "not relevant" link of a digest.

Thin views: they parse the request, call recommendations.picks / digests, and render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import signing, unsubscribe
from accounts.views import bad_email_link
from papers.models import Paper
from recommendations import digests, picks
from recommendations.models import Recommendation


@login_required
@require_safe
def recommendations(request):
    """The signed-in user's personal picks with their reasons. Picks rows with papers and
    journals joined: one query (after the session and user)."""
    picks_shown = list(Recommendation.objects.for_user(request.user))
    return render(request, "recommendations/recommendations.html", {"picks": picks_shown})


@login_required
@require_POST
def recommendation_dismiss(request, paper_pk):
    """ "Not relevant": the pick goes at once, and counts against its kind from now on."""
    paper = get_object_or_404(Paper.objects.only("pk", "title"), pk=paper_pk)
    picks.dismiss(user=request.user, paper=paper)
    messages.success(request, f"“{paper.title}” will not be recommended to you again.")
    return redirect("recommendations:recommendations")


# The signed token in the URL is the credential (no session, no log-in), so there is no
# CSRF token to check (as for accounts' unsubscribe link).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_not_relevant(request, token):
    """A recommended paper's "not relevant" link: GET asks (one button), POST records the
    dismissal for the recommender, without a log-in."""
    try:
        user_id, paper_id = digests.read_not_relevant(token)
    except signing.BadToken as error:
        return bad_email_link(request, error)
    paper = Paper.objects.filter(pk=paper_id).only("title", "doi").first()
    if paper is None:
        raise Http404("no such paper")
    done = request.method == "POST" and digests.dismiss(user_id, paper_id)
    context = {"paper": paper, "done": done, "preferences_url": unsubscribe.preferences_url()}
    return render(request, "recommendations/email_not_relevant.html", context)
