"""Emails about reviews and resource requests, with their tasks.

Each email goes to one user through accounts.emails.message_to, which adds the unsubscribe
headers and footer and keeps titles out of header-breaking territory, and is sent by
accounts.emails.send_once: a send-log row is written first, so that a task delivered twice,
or retried after a refused send, emails nobody twice.
"""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.emails import RETRY, message_to, send_once, wants_at_once
from accounts.models import EmailKind, SentEmail
from papers.models import Paper
from reviews.models import ResourceAnswer, ResourceRequest, Review


@shared_task(**RETRY)
def tell_reviewer_hidden(review_id):
    """Email the reviewer that a curator hid their review, and why. A task, enqueued on
    commit by ``reviews.ratings.hide_review``.

    Once per hiding (the send log's key is the review and the moment it was hidden): hidden
    again after a restore, the reviewer is told again. Nothing for a review restored
    meanwhile, or a deleted user. Returns the number of messages sent.
    """
    review = (
        Review.objects.select_related("user__profile", "paper")
        .filter(pk=review_id, is_hidden=True, hidden_at__isnull=False)
        .first()
    )
    if review is None:
        return 0
    user = review.user
    if user is None or not user.email or not wants_at_once(user, EmailKind.REVIEW_NOTICES):
        return 0
    context = {"review": review, "paper": review.paper, "site_url": settings.SITE_URL}
    message = message_to(
        user,
        kinds=[EmailKind.REVIEW_NOTICES],
        subject="Your review was hidden by a curator",
        template="reviews/email/review_hidden",
        context=context,
        html=False,
    )
    key = f"{review.pk}:{review.hidden_at.isoformat()}"
    return int(send_once(kind=SentEmail.Kind.REVIEW_HIDDEN, key=key, to=user, message=message))


@shared_task(**RETRY)
def tell_raters_of_retraction(paper_id):
    """Email everyone who rated ``paper_id`` that it has been retracted; each reader once.

    Safe to run again (a retried task, a second refresh): the send log (key: the paper)
    keeps anyone from being told twice, and each review is marked told, so that the next
    run skips it. Returns how many were emailed.
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
        message = message_to(
            review.user,
            kinds=[EmailKind.REVIEW_NOTICES],
            subject="A paper you rated has been retracted",
            template="reviews/email/paper_retracted",
            context=context,
            html=False,
        )
        told += send_once(
            kind=SentEmail.Kind.RETRACTION, key=str(paper.pk), to=review.user, message=message
        )
        Review.objects.filter(pk=review.pk).update(retraction_told_at=timezone.now())
    return told


def tell_author_of_requests(author, paper, resource_requests):
    """Email a verified author of ``paper`` about readers' resource requests on it, when they
    want activity on their papers at once (otherwise their digest lists the requests).

    Called by reviews.resources, which gives each request to its authors' emails once; the
    send log's key is the first request, so an email is not sent twice. Returns True when
    this call sent it.
    """
    if not wants_at_once(author, EmailKind.PAPER_ACTIVITY):
        return False
    context = {
        "author": author,
        "paper": paper,
        "resource_requests": resource_requests,
        "site_url": settings.SITE_URL,
    }
    message = message_to(
        author,
        kinds=[EmailKind.PAPER_ACTIVITY],
        subject=f"Readers ask for resources of your paper: {paper.title or paper.doi}",
        template="reviews/email/resource_requested",
        context=context,
        html=False,
    )
    key = str(min(r.pk for r in resource_requests))
    return send_once(kind=SentEmail.Kind.RESOURCE_REQUEST, key=key, to=author, message=message)


@shared_task(**RETRY)
def tell_asker_answered(answer_id):
    """Email the asker that someone answered their resource request, once per answer (no-op
    for deleted users). Returns the number of messages sent."""
    answer = ResourceAnswer.objects.select_related(
        "request__requester__profile", "request__paper", "user__profile"
    ).get(pk=answer_id)
    asker = answer.request.requester
    if asker is None or not asker.email or not wants_at_once(asker, EmailKind.REQUEST_ANSWERS):
        return 0
    context = {"answer": answer, "paper": answer.request.paper, "site_url": settings.SITE_URL}
    message = message_to(
        asker,
        kinds=[EmailKind.REQUEST_ANSWERS],
        subject="Your resource request has an answer",
        template="reviews/email/resource_answered",
        context=context,
        html=False,
    )
    sent = send_once(
        kind=SentEmail.Kind.REQUEST_ANSWERED, key=str(answer.pk), to=asker, message=message
    )
    return int(sent)


@shared_task(**RETRY)
def tell_asker_status(request_id):
    """Email the asker that their resource request was acknowledged, fulfilled or declined:
    once per status it reaches (a status never comes back). Returns the messages sent."""
    resource_request = ResourceRequest.objects.select_related("requester__profile", "paper").get(
        pk=request_id
    )
    asker = resource_request.requester
    if asker is None or not asker.email or not wants_at_once(asker, EmailKind.REQUEST_ANSWERS):
        return 0
    context = {
        "resource_request": resource_request,
        "paper": resource_request.paper,
        "site_url": settings.SITE_URL,
    }
    message = message_to(
        asker,
        kinds=[EmailKind.REQUEST_ANSWERS],
        subject=f"Your resource request is {resource_request.get_status_display().lower()}",
        template="reviews/email/resource_status",
        context=context,
        html=False,
    )
    key = f"{resource_request.pk}:{resource_request.status}"
    return int(send_once(kind=SentEmail.Kind.REQUEST_STATUS, key=key, to=asker, message=message))
