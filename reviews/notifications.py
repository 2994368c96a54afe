"""Emails about reviews to their authors."""

from django.conf import settings
from django.utils import timezone

from accounts.emails import message_to, wants_at_once
from accounts.models import EmailKind
from papers.models import Paper
from reviews.models import Review

# Each email goes to one user through accounts.emails.message_to, which adds the
# unsubscribe headers and footer and keeps titles out of header-breaking territory.


def tell_reviewer_hidden(review):
    """Email the reviewer that a curator hid their review, and why (no-op for deleted users)."""
    user = review.user
    if user is None or not user.email or not wants_at_once(user, EmailKind.REVIEW_NOTICES):
        return
    context = {"review": review, "paper": review.paper, "site_url": settings.SITE_URL}
    message_to(
        user,
        kinds=[EmailKind.REVIEW_NOTICES],
        subject="Your review was hidden by a curator",
        template="reviews/email/review_hidden",
        context=context,
        html=False,
    ).send()


def tell_raters_of_retraction(paper_id):
    """Email everyone who rated ``paper_id`` that it has been retracted; each reader once.

    Safe to run again (a retried task, a second refresh): a reader already told is skipped,
    and each one is marked right after their email is sent. Returns how many were emailed.
    """
    paper = Paper.objects.filter(pk=paper_id, is_retracted=True).first()
    if paper is None:
        return 0
    notices = [n for n in paper.notices.all() if n.is_retraction]
    waiting = Review.objects.filter(
        paper=paper, retraction_told_at__isnull=True, user__isnull=False
    ).select_related("user__profile")
    told = 0
    for review in waiting:
        if not review.user.email or not wants_at_once(review.user, EmailKind.REVIEW_NOTICES):
            continue
        context = {
            "review": review,
            "paper": paper,
            "notices": notices,
            "site_url": settings.SITE_URL,
        }
        message_to(
            review.user,
            kinds=[EmailKind.REVIEW_NOTICES],
            subject="A paper you rated has been retracted",
            template="reviews/email/paper_retracted",
            context=context,
            html=False,
        ).send()
        Review.objects.filter(pk=review.pk).update(retraction_told_at=timezone.now())
        told += 1
    return told


def tell_author_of_requests(author, paper, resource_requests):
    """Email a verified author of ``paper`` about readers' resource requests on it, when they
    want activity on their papers at once (otherwise their digest lists the requests)."""
    if not wants_at_once(author, EmailKind.PAPER_ACTIVITY):
        return
    context = {
        "author": author,
        "paper": paper,
        "resource_requests": resource_requests,
        "site_url": settings.SITE_URL,
    }
    message_to(
        author,
        kinds=[EmailKind.PAPER_ACTIVITY],
        subject=f"Readers ask for resources of your paper: {paper.title or paper.doi}",
        template="reviews/email/resource_requested",
        context=context,
        html=False,
    ).send()


def tell_asker_answered(answer_id):
    """Email the asker that someone answered their resource request (no-op for deleted users)."""
    from reviews.models import ResourceAnswer

    answer = ResourceAnswer.objects.select_related(
        "request__requester__profile", "request__paper", "user__profile"
    ).get(pk=answer_id)
    asker = answer.request.requester
    if asker is None or not asker.email or not wants_at_once(asker, EmailKind.REQUEST_ANSWERS):
        return
    context = {"answer": answer, "paper": answer.request.paper, "site_url": settings.SITE_URL}
    message_to(
        asker,
        kinds=[EmailKind.REQUEST_ANSWERS],
        subject="Your resource request has an answer",
        template="reviews/email/resource_answered",
        context=context,
        html=False,
    ).send()


def tell_asker_status(request_id):
    """Email the asker that their resource request was acknowledged, fulfilled or declined."""
    from reviews.models import ResourceRequest

    resource_request = ResourceRequest.objects.select_related("requester__profile", "paper").get(
        pk=request_id
    )
    asker = resource_request.requester
    if asker is None or not asker.email or not wants_at_once(asker, EmailKind.REQUEST_ANSWERS):
        return
    context = {
        "resource_request": resource_request,
        "paper": resource_request.paper,
        "site_url": settings.SITE_URL,
    }
    message_to(
        asker,
        kinds=[EmailKind.REQUEST_ANSWERS],
        subject=f"Your resource request is {resource_request.get_status_display().lower()}",
        template="reviews/email/resource_status",
        context=context,
        html=False,
    ).send()
