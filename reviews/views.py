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
from reviews import ratings
from reviews.forms import ReportForm, ReviewForm
from reviews.models import Review
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
            status = 429 if "limit" in str(error) else 400
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
