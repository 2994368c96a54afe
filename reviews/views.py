"""Writing, deleting, voting on and reporting reviews. Thin: the rules are in reviews.ratings.

Every form works without JavaScript (POST, then back to the paper page with a message).
The rating form also answers a script (``Accept: application/json``) with the new summary
block, so that the page updates in place.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST

from papers.models import Paper
from reviews import ratings, resources
from reviews.forms import (
    ReportForm,
    ResourceAnswerForm,
    ResourceRequestForm,
    ResourceStatusForm,
    ReviewForm,
)
from reviews.models import ResourceRequest, Review
from reviews.page import reviews_context


@login_required
@require_http_methods(["GET", "POST"])
def review(request, pk):
    """The reader's review of paper ``pk``: its form (GET), written or edited (POST)."""
    paper = get_object_or_404(Paper.objects.for_page(), pk=pk)
    own = Review.objects.filter(paper=paper, user=request.user).first()
    form = ReviewForm.for_review(own, request.POST if request.method == "POST" else None)
    refusal = ratings.rating_refusal(request.user, paper)
    status = 200
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            _, created = ratings.submit_review(user=request.user, paper=paper, **form.cleaned_data)
        except ratings.ReviewRefused as error:
            form.add_error(None, str(error))
            status = error.http_status
        else:
            message = "Thank you: your rating is in." if created else "Your review is updated."
            if _wants_json(request):
                return JsonResponse(
                    {"message": message, "summary_html": _summary_html(request, pk)}
                )
            messages.success(request, message)
            return redirect(paper.get_absolute_url() + "#ratings")
    elif request.method == "POST":
        status = 403 if refusal else 400
    if _wants_json(request):
        errors = [refusal] if refusal else [e for errs in form.errors.values() for e in errs]
        return JsonResponse({"errors": errors}, status=status)
    context = {"paper": paper, "form": form, "own_review": own, "rating_refusal": refusal}
    return render(request, "reviews/review_page.html", context, status=status)


@login_required
@require_POST
def delete(request, review_id):
    review = get_object_or_404(Review, pk=review_id)
    try:
        ratings.delete_review(user=request.user, review=review)
    except ratings.ReviewRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your review is deleted.")
    return redirect(review.paper.get_absolute_url() + "#ratings")


@login_required
@require_POST
def helpful(request, review_id):
    review = get_object_or_404(Review, pk=review_id, is_hidden=False)
    try:
        counted = ratings.mark_helpful(user=request.user, review=review)
    except ratings.ReviewRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thanks for your vote." if counted else "You already voted.")
    return redirect(review.paper.get_absolute_url() + f"#review-{review.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def report(request, review_id):
    review = get_object_or_404(Review.objects.select_related("paper"), pk=review_id)
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _, created = ratings.report_review(
                user=request.user, review=review, reason=form.cleaned_data["reason"]
            )
        except ratings.ReviewRefused as error:
            form.add_error(None, str(error))
            status = 429
        else:
            messages.success(
                request,
                "Thank you: curators will look at it." if created else "You already reported it.",
            )
            return redirect(review.paper.get_absolute_url() + f"#review-{review.pk}")
    elif request.method == "POST":
        status = 400
    return render(
        request, "reviews/report_page.html", {"review": review, "form": form}, status=status
    )


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _summary_html(request, pk):
    paper = Paper.objects.for_page().get(pk=pk)
    context = {"paper": paper, **reviews_context(paper, request.user)}
    return render_to_string("papers/_paper_reviews.html", context, request=request)


# --- resource requests (the rules are in reviews.resources) ---


@login_required
@require_http_methods(["GET", "POST"])
def ask_resource(request, pk):
    """The request form of paper ``pk`` (GET); a new request (POST), then back to the page."""
    paper = get_object_or_404(Paper, pk=pk)
    form = ResourceRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            asked = resources.ask(user=request.user, paper=paper, **form.cleaned_data)
        except resources.ResourceRefused as error:
            form.add_error(None, str(error))
            status = error.http_status
        else:
            messages.success(request, "Your request is listed; the authors are told.")
            return redirect(paper.get_absolute_url() + f"#resource-request-{asked.pk}")
    elif request.method == "POST":
        status = 400
    return render(
        request, "reviews/resource_ask.html", {"paper": paper, "form": form}, status=status
    )


@require_http_methods(["GET"])
def resource_request(request, request_id):
    """One request with its answers and the forms to answer it or change its status."""
    return _request_page(request, _visible_request(request, request_id))


@login_required
@require_POST
def answer_resource(request, request_id):
    asked = _visible_request(request, request_id)
    form = ResourceAnswerForm(request.POST)
    if not form.is_valid():
        return _request_page(request, asked, answer_form=form, status=400)
    try:
        resources.answer(user=request.user, resource_request=asked, **form.cleaned_data)
    except resources.ResourceRefused as error:
        form.add_error(None, str(error))
        return _request_page(request, asked, answer_form=form, status=error.http_status)
    messages.success(request, "Your answer is posted.")
    return redirect(asked.paper.get_absolute_url() + f"#resource-request-{asked.pk}")


@login_required
@require_POST
def me_too(request, request_id):
    asked = _visible_request(request, request_id)
    try:
        counted = resources.me_too(user=request.user, resource_request=asked)
    except resources.ResourceRefused as error:
        return _request_page(request, asked, error=str(error), status=error.http_status)
    messages.success(request, "Counted: you want this too." if counted else "You already said so.")
    return redirect(asked.paper.get_absolute_url() + f"#resource-request-{asked.pk}")


@login_required
@require_POST
def resource_status(request, request_id):
    """Acknowledge, decline (with a reason) or mark fulfilled (with a link)."""
    asked = _visible_request(request, request_id)
    form = ResourceStatusForm(request.POST)
    if not form.is_valid():
        return _request_page(request, asked, status_form=form, status=400)
    action, data = form.cleaned_data["action"], form.cleaned_data
    try:
        if action == "acknowledge":
            resources.acknowledge(asked, by=request.user)
        elif action == "decline":
            resources.decline(asked, by=request.user, reason=data["reason"])
        else:
            resources.fulfil(asked, by=request.user, link=data["link"])
    except resources.ResourceRefused as error:
        form.add_error(None, str(error))
        return _request_page(request, asked, status_form=form, status=error.http_status)
    messages.success(request, f"The request is {asked.get_status_display().lower()}.")
    return redirect(asked.paper.get_absolute_url() + f"#resource-request-{asked.pk}")


def _visible_request(request, request_id):
    """The request, or 404 when it does not exist or is hidden (curators use the admin)."""
    return get_object_or_404(
        ResourceRequest.objects.select_related("paper", "requester__profile"),
        pk=request_id,
        is_hidden=False,
    )


def _request_page(request, asked, *, answer_form=None, status_form=None, error="", status=200):
    user = request.user
    context = {
        "paper": asked.paper,
        "resource_request": asked,
        "answers": list(asked.answers.filter(is_hidden=False).select_related("user__profile")),
        "answer_form": answer_form or ResourceAnswerForm(),
        "status_form": status_form or ResourceStatusForm(),
        "may_manage": user.is_authenticated and resources.may_manage(user, asked),
        "is_asker": user.is_authenticated and asked.requester_id == user.pk,
        "error": error,
    }
    return render(request, "reviews/resource_request.html", context, status=status)
