"""Resource requests: "Ask authors/readers for more resources".

A logged-in reader asks for a resource on a paper (data, code, a protocol...). The paper's
verified authors are emailed; with none yet the request waits, and the first author whose
claim is verified is told of it (``tell_new_author_of_waiting_requests``, called by
accounts.claims once the claim is committed). Anyone logged in answers with text and a link;
a verified author's answer is marked "Author". The status moves open -> acknowledged ->
fulfilled (with a link) or declined (with a reason): a verified author or a curator moves it,
and the asker may mark it fulfilled. Other readers add "me too" to an open request.

Every function checks who may act first and raises ResourceRefused with a message for the
user, writing nothing, when the action is not allowed. Emails go out from a worker after
commit: the tasks that tell authors of requests are here, the others in
reviews.notifications.
"""

import contextlib

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.utils import timezone

from accounts.claims import is_verified_author, verified_author_users
from accounts.emails import RETRY
from papers.curation import bump_version
from papers.links import safe_link
from reviews import notifications
from reviews.limits import Refused, check_hourly_limit
from reviews.models import (
    MAX_ANSWER_CHARS,
    MAX_REQUEST_CHARS,
    MeToo,
    ResourceAnswer,
    ResourceRequest,
)
from reviews.text import render_review_text

Status = ResourceRequest.Status
MAX_LINK_CHARS = 1000


class ResourceRefused(Refused):
    """A resource-request action that is not allowed; the message says why, for the user."""


# --- who may do what ---


def is_resource_curator(user):
    """Curators moderate requests and answers: staff allowed to change resource requests."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("reviews.change_resourcerequest")
    )


def may_manage(user, resource_request):
    """A verified author of the paper, or a curator, moves a request's status. One query."""
    return is_resource_curator(user) or is_verified_author(user, resource_request.paper_id)


# --- asking, answering, "me too" ---


def ask(*, user, paper, kind, message):
    """``user`` asks for a resource of ``kind`` on ``paper``. Returns the new request.

    The paper's verified authors are emailed after commit; with none the request waits.
    A reader has one open (or acknowledged) request of a kind per paper: asking again is
    refused with ``existing`` set to it (a database constraint decides between concurrent
    asks, so exactly one is created).
    """
    _require_login(user, "Log in to ask for a resource.")
    if kind not in ResourceRequest.Kind.values:
        raise ResourceRefused("Choose what kind of resource you are asking for.")
    message = (message or "").strip()
    if not message:
        raise ResourceRefused("Say what you are asking for.")
    if len(message) > MAX_REQUEST_CHARS:
        raise ResourceRefused(
            f"A request can be at most {MAX_REQUEST_CHARS:,} characters; "
            f"this one has {len(message):,}."
        )
    _refuse_a_second_request(user=user, paper=paper, kind=kind)
    check_hourly_limit(
        ResourceRequest.objects.filter(requester=user),
        settings.RESOURCE_REQUESTS_PER_HOUR,
        "resource requests",
        refused=ResourceRefused,
    )
    try:
        with transaction.atomic():
            resource_request = ResourceRequest.objects.create(
                paper=paper, requester=user, kind=kind, message=message
            )
            bump_version([paper.pk])  # the paper page lists it
            tell_authors_of_request.delay_on_commit(resource_request.pk)
    except IntegrityError:
        # Another request of the same reader won between our check and our insert.
        _refuse_a_second_request(user=user, paper=paper, kind=kind)
        raise
    return resource_request


def _refuse_a_second_request(*, user, paper, kind):
    existing = ResourceRequest.objects.active_of(user=user, paper=paper, kind=kind).first()
    if existing is not None:
        raise ResourceRefused(
            f"You have already asked for {existing.get_kind_display().lower()} on this paper "
            "and your request is still open: add to it with an answer instead.",
            existing=existing,
        )


def answer(*, user, resource_request, text="", link=""):
    """``user`` answers ``resource_request`` with text and/or a link. Returns the answer.

    Marked "Author" when the user is a verified author of the paper now. The asker is
    emailed after commit (unless they answered themself).
    """
    _require_login(user, "Log in to answer a request.")
    _require_visible(resource_request)
    text = (text or "").strip()
    link = clean_link(link)
    if not text and not link:
        raise ResourceRefused("Write an answer or give a link.")
    if len(text) > MAX_ANSWER_CHARS:
        raise ResourceRefused(
            f"An answer can be at most {MAX_ANSWER_CHARS:,} characters; this one has {len(text):,}."
        )
    check_hourly_limit(
        ResourceAnswer.objects.filter(user=user),
        settings.RESOURCE_ANSWERS_PER_HOUR,
        "answers",
        refused=ResourceRefused,
    )
    with transaction.atomic():
        reply = ResourceAnswer.objects.create(
            request=resource_request,
            user=user,
            text=text,
            text_html=render_review_text(text),
            link=link,
            as_author=is_verified_author(user, resource_request.paper_id),
        )
        bump_version([resource_request.paper_id])
        if resource_request.requester_id != user.pk:
            notifications.tell_asker_answered.delay_on_commit(reply.pk)
    return reply


def me_too(*, user, resource_request):
    """``user`` wants the same resource. One per user; not on one's own request; only while
    the request is open. Returns True when counted, False when already counted."""
    _require_login(user, "Log in to add your “me too”.")
    _require_visible(resource_request)
    if resource_request.requester_id == user.pk:
        raise ResourceRefused("This is your own request.", forbidden=True)
    if resource_request.status != Status.OPEN:
        raise ResourceRefused("Only open requests take a “me too”.")
    try:
        with transaction.atomic():
            _, created = MeToo.objects.get_or_create(request=resource_request, user=user)
            if created:  # the page shows how many want it
                bump_version([resource_request.paper_id])
    except IntegrityError:  # a double click raced us to the same row
        created = False
    return created


# --- status ---


def acknowledge(resource_request, *, by):
    """A verified author or a curator says the request is seen and being worked on."""
    _require_manager(by, resource_request)
    return _move(resource_request, by=by, allowed=[Status.OPEN], status=Status.ACKNOWLEDGED)


def decline(resource_request, *, by, reason):
    """A verified author or a curator declines the request, saying why."""
    _require_manager(by, resource_request)
    reason = (reason or "").strip()
    if not reason:
        raise ResourceRefused("Say why the request is declined: the asker is told.")
    if len(reason) > MAX_REQUEST_CHARS:
        raise ResourceRefused(f"Keep the reason under {MAX_REQUEST_CHARS:,} characters.")
    return _move(
        resource_request,
        by=by,
        allowed=[Status.OPEN, Status.ACKNOWLEDGED],
        status=Status.DECLINED,
        declined_reason=reason,
    )


def fulfil(resource_request, *, by, link):
    """The request is met: the resource is at ``link``. The asker, a verified author of the
    paper or a curator may say so."""
    _require_login(by, "Log in to mark a request fulfilled.")
    if resource_request.requester_id != by.pk and not may_manage(by, resource_request):
        raise ResourceRefused(
            "Only the asker, a verified author of the paper or a curator can mark a request "
            "fulfilled.",
            forbidden=True,
        )
    link = clean_link(link)
    if not link:
        raise ResourceRefused("Give the link where the resource now is.")
    return _move(
        resource_request,
        by=by,
        allowed=[Status.OPEN, Status.ACKNOWLEDGED],
        status=Status.FULFILLED,
        fulfilled_url=link,
    )


def _move(resource_request, *, by, allowed, status, **fields):
    with transaction.atomic():
        # An optimistic update: a request moved meanwhile by someone else is left alone.
        changed = ResourceRequest.objects.filter(
            pk=resource_request.pk, status__in=allowed, is_hidden=False
        ).update(status=status, status_changed_at=timezone.now(), **fields)
        if not changed:
            resource_request.refresh_from_db()
            raise ResourceRefused(
                f"This request is {resource_request.get_status_display().lower()}; not changed."
            )
        bump_version([resource_request.paper_id])
        if resource_request.requester_id != by.pk:
            notifications.tell_asker_status.delay_on_commit(resource_request.pk)
    resource_request.refresh_from_db()
    return resource_request


# --- moderation ---


def hide(item, *, curator, reason):
    """A curator hides a request or an answer with a reason; it leaves the pages at once."""
    if not is_resource_curator(curator):
        raise ResourceRefused("Only curators hide requests and answers.", forbidden=True)
    reason = (reason or "").strip()
    if not reason:
        raise ResourceRefused("Say why it is hidden.")
    with transaction.atomic():
        type(item).objects.filter(pk=item.pk).update(
            is_hidden=True, hidden_reason=reason, hidden_at=timezone.now()
        )
        bump_version([_paper_id_of(item)])
    item.refresh_from_db()
    return item


def restore(item, *, curator):
    if not is_resource_curator(curator):
        raise ResourceRefused("Only curators restore requests and answers.", forbidden=True)
    with transaction.atomic():
        type(item).objects.filter(pk=item.pk).update(
            is_hidden=False, hidden_reason="", hidden_at=None
        )
        bump_version([_paper_id_of(item)])
    item.refresh_from_db()
    return item


def _paper_id_of(item):
    """The paper a request or an answer is on."""
    if isinstance(item, ResourceAnswer):
        return ResourceRequest.objects.values_list("paper_id", flat=True).get(pk=item.request_id)
    return item.paper_id


# --- notifications ---


# Each request reaches its authors' emails once, by one of two tasks: the one its asking
# enqueues (when the paper has verified authors), or, when it had to wait, the one a claim's
# verification enqueues. ``authors_notified_at`` is taken before sending and decides between
# them; a refused send gives the requests back, so that the task's retry takes them again,
# and the send log (accounts.emails.send_once) keeps anyone already told from hearing twice.


@shared_task(**RETRY)
def tell_authors_of_request(request_id):
    """Email the paper's verified authors of a new request, once. With no verified author
    the request waits (``authors_notified_at`` stays empty). Safe to run twice. Returns the
    number of authors emailed."""
    resource_request = ResourceRequest.objects.select_related("paper").get(pk=request_id)
    authors = list(verified_author_users(resource_request.paper_id).exclude(email=""))
    if not authors:
        return 0
    # Taken before sending, so a second run (or a claim verified meanwhile) tells nobody twice.
    taken_at = timezone.now()
    taken = ResourceRequest.objects.filter(pk=request_id, authors_notified_at=None).update(
        authors_notified_at=taken_at
    )
    if not taken:
        return 0
    told = 0
    with _given_back_if_refused([request_id], taken_at):
        for author in authors:
            told += notifications.tell_author_of_requests(
                author, resource_request.paper, [resource_request]
            )
    return told


@shared_task(**RETRY)
def tell_new_author_of_waiting_requests(*, user_id, paper_id):
    """A claim on ``paper_id`` became verified: tell its author of the open requests that
    waited for one (one email), and record that they were told. Safe to run twice.
    Returns how many requests."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return 0
    waiting = ResourceRequest.objects.filter(
        paper_id=paper_id, authors_notified_at=None, is_hidden=False, status=Status.OPEN
    )
    taken_at = timezone.now()
    with transaction.atomic():
        requests = list(waiting.select_for_update().select_related("paper"))
        ResourceRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
            authors_notified_at=taken_at
        )
    if requests:
        with _given_back_if_refused([r.pk for r in requests], taken_at):
            notifications.tell_author_of_requests(user, requests[0].paper, requests)
    return len(requests)


@contextlib.contextmanager
def _given_back_if_refused(request_ids, taken_at):
    try:
        yield
    except Exception:
        ResourceRequest.objects.filter(pk__in=request_ids, authors_notified_at=taken_at).update(
            authors_notified_at=None
        )
        raise


# --- what the page shows ---


def requests_for_page(paper, user):
    """The visible requests of ``paper``, newest first, each with ``visible_answers`` (with
    their users), ``me_too_count`` and, for a signed-in reader, ``mine_too``.

    Two queries (the requests with their counts, then the answers), whatever their number.
    """
    answers = ResourceAnswer.objects.filter(is_hidden=False).select_related("user__profile")
    requests = (
        ResourceRequest.objects.filter(paper=paper, is_hidden=False)
        .select_related("requester__profile")
        .annotate(me_too_count=Count("me_toos"))
        .prefetch_related(Prefetch("answers", queryset=answers, to_attr="visible_answers"))
    )
    if user.is_authenticated:
        requests = requests.annotate(
            mine_too=Exists(MeToo.objects.filter(request=OuterRef("pk"), user=user))
        )
    return list(requests)


def answered_by(user):
    """The visible answers ``user`` gave to visible requests, newest first, with their
    request and paper (for the public profile). One query."""
    return list(
        ResourceAnswer.objects.filter(user=user, is_hidden=False, request__is_hidden=False)
        .select_related("request__paper")
        .order_by("-created_at", "-id")
    )


def clean_link(link):
    """``link`` stripped and checked by papers.links.safe_link (http and https only, no
    user name). "" when blank."""
    link = (link or "").strip()
    if not link:
        return ""
    if len(link) > MAX_LINK_CHARS:
        raise ResourceRefused(f"A link can be at most {MAX_LINK_CHARS:,} characters.")
    if safe_link(link) is None:
        raise ResourceRefused(
            "A link must be a web address starting with http:// or https://, "
            "without a user name or password."
        )
    return link


def _require_login(user, message):
    if not user.is_authenticated:
        raise ResourceRefused(message, forbidden=True)


def _require_visible(resource_request):
    if resource_request.is_hidden:
        raise ResourceRefused("This request was hidden by a curator.", forbidden=True)


def _require_manager(user, resource_request):
    _require_login(user, "Log in first.")
    if not may_manage(user, resource_request):
        raise ResourceRefused(
            "Only a verified author of the paper or a curator can change this request.",
            forbidden=True,
        )
