"""The owner's profile page, claims, API tokens, account export and deletion, email links
(unsubscribe), and a verified author's edits.

Thin views: they parse the request, call accounts.claims / profiles / authoring /
account_data, and render. Every page here works without JavaScript.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.authtoken.models import Token

from accounts import account_data, authoring, claims, profiles, signing, unsubscribe
from accounts.forms import DisputeForm, KeywordsForm, PasswordConfirmForm, ProfileForm, SummaryForm
from accounts.models import Claim
from papers.models import Authorship, Paper


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    """The owner's page: edit the profile, see the API token, export or delete the account."""
    profile = profiles.profile_for(request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        profiles.save_profile_form(form)
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile-edit")
    context = {
        "form": form,
        "profile": profile,
        "token": Token.objects.filter(user=request.user).first(),
        "orcid_login_enabled": bool(settings.SOCIALACCOUNT_PROVIDERS["orcid"]["APPS"]),
        "claims": list(
            Claim.objects.filter(user=request.user)
            .select_related("paper", "authorship__author")
            .order_by("-created_at")
        ),
    }
    return render(request, "accounts/profile_edit.html", context)


@login_required
@require_POST
def api_token(request):
    """Regenerate (a new key replaces the old one) or revoke the user's API token."""
    Token.objects.filter(user=request.user).delete()
    if request.POST.get("action") == "regenerate":
        Token.objects.create(user=request.user)
        messages.success(request, "A new API token is ready; the old one no longer works.")
    else:
        messages.success(request, "Your API token is revoked.")
    return redirect("accounts:profile-edit")


@login_required
@require_http_methods(["GET", "POST"])
def claim_confirm(request, authorship_pk):
    """GET asks "Claim <name> on <title>?"; POST makes the claim."""
    authorship = get_object_or_404(
        Authorship.objects.select_related("author", "paper"), pk=authorship_pk
    )
    if request.method == "POST":
        try:
            claim = claims.claim_authorship(user=request.user, authorship=authorship)
        except claims.AuthorshipTaken as taken:
            messages.error(request, str(taken))
            return redirect("accounts:claim-dispute", authorship_pk=authorship.pk)
        except claims.ClaimError as error:
            messages.error(request, str(error))
            return redirect(authorship.paper.get_absolute_url())
        if claim.status == Claim.Status.VERIFIED:
            messages.success(request, "You are a verified author of this paper (ORCID iD matched).")
        else:
            messages.success(request, "Your claim is waiting for a curator.")
        if claims.other_papers_to_claim(user=request.user, authorship=authorship, limit=1):
            return redirect("accounts:claim-more", authorship_pk=authorship.pk)
        return redirect(authorship.paper.get_absolute_url())
    in_the_way = claims.claim_in_the_way(user=request.user, authorship=authorship)
    context = {"authorship": authorship, "paper": authorship.paper, "in_the_way": in_the_way}
    return render(request, "accounts/claim_confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def claim_more(request, authorship_pk):
    """After a claim: the same author's other papers (and namesakes'), to claim at once.
    GET lists them with a checkbox each; POST claims the ticked ones and goes back to the
    paper. Only for the authorship the user claims (404 otherwise)."""
    authorship = get_object_or_404(
        Authorship.objects.select_related("author", "paper"), pk=authorship_pk
    )
    if not Claim.objects.active().filter(user=request.user, authorship=authorship).exists():
        raise Http404("no claim of yours on this authorship")
    offered = claims.other_papers_to_claim(user=request.user, authorship=authorship)
    if request.method == "POST":
        ticked = set(request.POST.getlist("authorship"))
        chosen = [a for a in offered if str(a.pk) in ticked]
        made, refused = claims.claim_many(user=request.user, authorships=chosen)
        if made:
            n = len(made)
            messages.success(request, f"{n} more claim{'s' if n != 1 else ''} made.")
        for other, reason in refused:
            messages.error(request, f"{other.paper.title}: {reason}")
        return redirect(authorship.paper.get_absolute_url())
    context = {"authorship": authorship, "paper": authorship.paper, "offered": offered}
    return render(request, "accounts/claim_more.html", context)


@login_required
@require_POST
def claim_withdraw(request, pk):
    claim = get_object_or_404(Claim.objects.select_related("paper"), pk=pk)
    try:
        claims.withdraw_claim(claim, by=request.user)
    except PermissionDenied:
        raise Http404("no such claim of yours") from None
    except claims.ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your claim is withdrawn.")
    # "next" comes from the form: only a path on this site, never an address elsewhere.
    after = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        after, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        after = claim.paper.get_absolute_url()
    return redirect(after)


@login_required
@require_http_methods(["GET", "POST"])
def claim_dispute(request, authorship_pk):
    """A second researcher says the claim on this authorship is wrong."""
    authorship = get_object_or_404(
        Authorship.objects.select_related("author", "paper"), pk=authorship_pk
    )
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            claims.dispute_claim(
                user=request.user, authorship=authorship, reason=form.cleaned_data["reason"]
            )
        except claims.ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your dispute is with the curators; they will look into it.")
        return redirect(authorship.paper.get_absolute_url())
    context = {"authorship": authorship, "paper": authorship.paper, "form": form}
    return render(request, "accounts/claim_dispute.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    form = PasswordConfirmForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        account_data.delete_account(user)
        messages.success(request, "Your account is deleted.")
        return redirect("papers:home")
    return render(request, "accounts/account_delete.html", {"form": form})


@login_required
@require_safe
def account_export(request):
    """Everything the portal holds about the user, as a JSON download."""
    data = account_data.export_account(request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="research-portal-account.json"'
    return response


def _paper_for_author(request, paper_pk):
    paper = get_object_or_404(Paper, pk=paper_pk)
    if not claims.is_verified_author(request.user, paper):
        raise PermissionDenied("Only a verified author of this paper can change it.")
    return paper


@login_required
@require_http_methods(["GET", "POST"])
def paper_summary_edit(request, paper_pk):
    paper = _paper_for_author(request, paper_pk)
    form = SummaryForm(request.POST or None, initial={"summary": paper.summary})
    if request.method == "POST" and form.is_valid():
        try:
            authoring.edit_summary(paper, by=request.user, summary=form.cleaned_data["summary"])
        except claims.ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "The summary is saved.")
            return redirect(paper.get_absolute_url())
    return render(request, "accounts/paper_summary_edit.html", {"paper": paper, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def paper_keywords_add(request, paper_pk):
    paper = _paper_for_author(request, paper_pk)
    form = KeywordsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = authoring.add_keywords(
                paper, by=request.user, names=form.cleaned_data["keywords"]
            )
        except claims.ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{len(added)} keyword(s) added.")
            return redirect(paper.get_absolute_url())
    context = {"paper": paper, "form": form, "keywords": list(paper.keywords.all())}
    return render(request, "accounts/paper_keywords_add.html", context)


def bad_email_link(request, error):
    """The page for an email link whose signed token is not valid or has expired (400)."""
    expired = isinstance(error, signing.ExpiredToken)
    context = {"expired": expired, "preferences_url": unsubscribe.preferences_url()}
    return render(request, "accounts/email_link_bad.html", context, status=400)


# The signed token in the URL is the credential (no session, no log-in), so there is no
# CSRF token to check: mail clients POST "List-Unsubscribe=One-Click" here (RFC 8058).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request, token):
    """GET shows what the link stops, with one button (link scanners that fetch every URL
    in an email must not unsubscribe anyone); POST — the button, or the mail client's
    one-click — turns those kinds of email off at once."""
    try:
        user_id, kinds = unsubscribe.read(token)
    except signing.BadToken as error:
        return bad_email_link(request, error)
    context = {
        "what": unsubscribe.kinds_label(kinds),
        "done": False,
        "preferences_url": unsubscribe.preferences_url(),
    }
    if request.method == "POST":
        unsubscribe.unsubscribe(user_id, kinds)
        context["done"] = True
    return render(request, "accounts/email_unsubscribe.html", context)
