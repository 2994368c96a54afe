"""Emails about reviews to their authors."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from papers.models import Paper
from reviews.models import Review


def tell_reviewer_hidden(review):
    """Email the reviewer that a curator hid their review, and why (no-op for deleted users)."""
    user = review.user
    if user is None or not user.email:
        return
    context = {"review": review, "paper": review.paper, "site_url": settings.SITE_URL}
    send_mail(
        subject="Your review was hidden by a curator",
        message=render_to_string("reviews/email/review_hidden.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


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
    ).select_related("user")
    told = 0
    for review in waiting:
        if not review.user.email:
            continue
        context = {
            "review": review,
            "paper": paper,
            "notices": notices,
            "site_url": settings.SITE_URL,
        }
        send_mail(
            subject="A paper you rated has been retracted",
            message=render_to_string("reviews/email/paper_retracted.txt", context),
            from_email=None,
            recipient_list=[review.user.email],
        )
        Review.objects.filter(pk=review.pk).update(retraction_told_at=timezone.now())
        told += 1
    return told


def tell_author_of_requests(author, paper, resource_requests):
    """Email a verified author of ``paper`` about readers' resource requests on it."""
    context = {
        "author": author,
        "paper": paper,
        "resource_requests": resource_requests,
        "site_url": settings.SITE_URL,
    }
    send_mail(
        subject=f"Readers ask for resources of your paper: {paper.title or paper.doi}"[:200],
        message=render_to_string("reviews/email/resource_requested.txt", context),
        from_email=None,
        recipient_list=[author.email],
    )


def tell_asker_answered(answer_id):
    """Email the asker that someone answered their resource request (no-op for deleted users)."""
    from reviews.models import ResourceAnswer

    answer = ResourceAnswer.objects.select_related(
        "request__requester", "request__paper", "user__profile"
    ).get(pk=answer_id)
    asker = answer.request.requester
    if asker is None or not asker.email:
        return
    context = {"answer": answer, "paper": answer.request.paper, "site_url": settings.SITE_URL}
    send_mail(
        subject="Your resource request has an answer",
        message=render_to_string("reviews/email/resource_answered.txt", context),
        from_email=None,
        recipient_list=[asker.email],
    )


def tell_asker_status(request_id):
    """Email the asker that their resource request was acknowledged, fulfilled or declined."""
    from reviews.models import ResourceRequest

    resource_request = ResourceRequest.objects.select_related("requester", "paper").get(
        pk=request_id
    )
    asker = resource_request.requester
    if asker is None or not asker.email:
        return
    context = {
        "resource_request": resource_request,
        "paper": resource_request.paper,
        "site_url": settings.SITE_URL,
    }
    send_mail(
        subject=f"Your resource request is {resource_request.get_status_display().lower()}",
        message=render_to_string("reviews/email/resource_status.txt", context),
        from_email=None,
        recipient_list=[asker.email],
    )
