"""Follows: a reader follows an author, a journal, a category, a keyword or a saved search,
and hears of new papers matching it — in their digest (``recommendations.digests``, which
calls ``alerts_for`` and ``mark_alerted``) and in the follow's Atom feed (``library.feeds``).

The one write path: ``follow``, ``unfollow``, ``rename``; the pages' buttons and the API
call them. "New" means added to the catalogue (``Paper.created_at``) after the follow's
watermark ``alerted_until``, so each paper is alerted once per follow, and a digest run
twice alerts nothing twice (the digest moves the watermark in the transaction that logs it).

A saved search is a ``/papers/`` query string, normalised (``normalise_query``) and run by
the same FilterSet as the page (``papers.filters.PaperFilter``): it means exactly what
``/papers/?<query>`` shows, restricted to the papers added in the window.

Follows are private: nobody but their reader sees them (others get 404); their feeds are
read without a session at a URL holding an unguessable token.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils import timezone

from library.models import FOLLOW_NAME_MAX_LENGTH, FOLLOW_QUERY_MAX_LENGTH, Follow
from papers.filters import PaperFilter
from papers.models import (
    Author,
    Authorship,
    Category,
    Journal,
    Keyword,
    Paper,
    PaperCategory,
    PaperKeyword,
)

Kind = Follow.Kind
# The model of each followed thing, and how a page or the API names it (id or slug).
TARGET_MODELS = {
    Kind.AUTHOR: (Author, "pk"),
    Kind.JOURNAL: (Journal, "pk"),
    Kind.CATEGORY: (Category, "slug"),
    Kind.KEYWORD: (Keyword, "slug"),
}
# The /papers/ parameters a saved search keeps (PaperFilter's); "page" and unknown ones go.
SEARCH_PARAMETERS = list(PaperFilter.base_filters)
# Which follow's reason a paper matched by several is alerted with: the most specific first.
REASON_ORDER = [Kind.AUTHOR, Kind.SEARCH, Kind.KEYWORD, Kind.CATEGORY, Kind.JOURNAL]
# At most this many new papers per follow and alert (a digest stays readable; the feed has
# the rest).
ALERTS_PER_FOLLOW = 50
# A feed holds the newest papers added in this window, at most FEED_ENTRIES.
FEED_WINDOW = timedelta(days=90)
FEED_ENTRIES = 50


# --- the write path ---------------------------------------------------------------------


def normalise_query(query):
    """A ``/papers/`` query string (with or without "?") as a saved search keeps it: only
    the list's own parameters with a value, one of each, sorted by name, re-encoded; so
    "?sort=newest&q=gnn&page=3" and "q=gnn&sort=newest" are the same search.

    ValidationError (a reader's message) when a parameter is invalid for the list (a year
    that is not a number, an unknown sort) or when nothing but the sort is left: following
    the whole catalogue is not a search."""
    query = (query or "").lstrip("?")
    if len(query) > FOLLOW_QUERY_MAX_LENGTH:
        raise ValidationError(
            f"A saved search's query is at most {FOLLOW_QUERY_MAX_LENGTH:,} characters long."
        )
    params = QueryDict(query)
    kept = QueryDict(mutable=True)
    for name in sorted(SEARCH_PARAMETERS):
        value = (params.get(name) or "").strip()
        if value:
            kept[name] = value
    form = PaperFilter(kept, queryset=Paper.objects.none()).form
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        raise ValidationError(f"This search cannot be saved ({problems}).")
    if not set(kept) - {"sort"}:
        raise ValidationError("A saved search needs search text or a filter.")
    return kept.urlencode()


def default_name(query):
    """A saved search's name when the reader gives none: its text, else its query."""
    params = QueryDict(query)
    return (params.get("q") or query)[:FOLLOW_NAME_MAX_LENGTH]


def _check_name(name):
    name = " ".join((name or "").split())
    if len(name) > FOLLOW_NAME_MAX_LENGTH:
        raise ValidationError(
            f"A saved search's name is at most {FOLLOW_NAME_MAX_LENGTH} characters long."
        )
    return name


def target_of(kind, value):
    """The row a page or the API names by ``kind`` and id or slug; ValidationError when the
    kind is unknown or there is no such row."""
    if kind not in TARGET_MODELS:
        kinds = ", ".join(k for k in Kind.values if k != Kind.SEARCH)
        raise ValidationError(f"Unknown kind “{kind}”: follow one of {kinds}, or save a search.")
    model, field = TARGET_MODELS[kind]
    try:
        row = model.objects.filter(**{field: value}).first()
    except (TypeError, ValueError, OverflowError):
        row = None
    if row is None:
        raise ValidationError(f"There is no {model._meta.verbose_name} “{value}”.")
    return row


def follow(*, user, kind, target=None, query="", name=""):
    """``user`` follows ``target`` (an Author, Journal, Category or Keyword row, for those
    kinds) or saves the ``/papers/`` ``query`` under ``name`` (kind "search").

    Returns (follow, created). Idempotent: following again returns the follow there is
    (a second save of a search renames it when a name is given). New papers are alerted
    from now on. ValidationError for a bad kind, a missing target, a query that cannot be
    saved (``normalise_query``), a name too long. Two queries at most (three on a race)."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in to follow.")
    fields = {"user": user, "kind": kind}
    if kind == Kind.SEARCH:
        fields["query"] = normalise_query(query)
        name = _check_name(name)
    elif kind in Follow.TARGET_FIELDS:
        if target is None:
            raise ValidationError(f"Say which {kind} to follow.")
        fields[Follow.TARGET_FIELDS[kind]] = target
    else:
        target_of(kind, None)  # raises the unknown-kind message
    existing = Follow.objects.filter(**fields).first()
    if existing is not None:
        if kind == Kind.SEARCH and name and existing.name != name:
            existing.name = name
            existing.save(update_fields=["name"])
        return existing, False
    try:
        with transaction.atomic():
            name = (name or default_name(fields["query"])) if kind == Kind.SEARCH else ""
            created = Follow.objects.create(**fields, name=name, alerted_until=timezone.now())
    except IntegrityError:  # a concurrent request followed it between our read and insert
        return Follow.objects.get(**fields), False
    return created, True


def unfollow(*, user, follow_id):
    """Stop ``user``'s follow ``follow_id``; True when there was one. Another reader's
    follow is never touched (it is not there, for them). One query."""
    deleted, _ = Follow.objects.filter(user=user, pk=follow_id).delete()
    return bool(deleted)


def rename(*, follow, name, by):
    """Give a saved search a new ``name`` (blank: its text again)."""
    if follow.user_id != by.pk:
        raise PermissionDenied("This is not your saved search.")
    if follow.kind != Kind.SEARCH:
        raise ValidationError("Only a saved search has a name of its own.")
    follow.name = _check_name(name) or default_name(follow.query)
    follow.save(update_fields=["name"])
    return follow


# --- what is new --------------------------------------------------------------------------


def new_papers_for(follow, since, until=None):
    """The papers matching ``follow`` added to the catalogue after ``since`` (None: ever)
    and up to ``until`` (None: now), a queryset, the newest added first.

    A saved search runs ``PaperFilter`` on its query over the papers of the window, as
    ``/papers/?<query>`` does over the whole catalogue; the window is applied first, so a
    relevance search's bounded candidates (``papers.search.search_papers``) are drawn from
    the new papers. Runs a search's probe (one or two queries) when the query has text.
    One paper per work, as every list: a new preprint whose published version is in the
    catalogue is left out (a new published version of an alerted preprint is news)."""
    papers = Paper.objects.all()
    if since is not None:
        papers = papers.filter(created_at__gt=since)
    if until is not None:
        papers = papers.filter(created_at__lte=until)
    if follow.kind == Kind.SEARCH:
        # One paper per work unless the search asks for every version (``versions``).
        return PaperFilter(QueryDict(follow.query), queryset=papers).qs.order_by(
            "-created_at", "-id"
        )
    # One paper per work: a preprint whose published version is here is not news.
    papers = papers.one_per_version_group()
    if follow.kind == Kind.AUTHOR:
        links = Authorship.objects.filter(author_id=follow.author_id, paper=OuterRef("pk"))
        papers = papers.filter(Exists(links))
    elif follow.kind == Kind.JOURNAL:
        papers = papers.filter(journal_id=follow.journal_id)
    elif follow.kind == Kind.CATEGORY:
        links = PaperCategory.objects.filter(category_id=follow.category_id, paper=OuterRef("pk"))
        papers = papers.filter(Exists(links))
    elif follow.kind == Kind.KEYWORD:
        links = PaperKeyword.objects.filter(keyword_id=follow.keyword_id, paper=OuterRef("pk"))
        papers = papers.filter(Exists(links))
    return papers.order_by("-created_at", "-id")


def follows_of(user):
    """``user``'s follows with what they follow (one query), in REASON_ORDER."""
    rows = Follow.objects.filter(user=user).select_related(
        "author", "journal", "category", "keyword"
    )
    return sorted(rows, key=lambda f: (REASON_ORDER.index(f.kind), f.pk))


def alerts_for(user, since=None, *, until=None):
    """[(paper, reason)]: papers new to ``user``'s follows, each once, with the reason of
    the most specific follow that matched it (REASON_ORDER: an author's before a saved
    search's before a keyword's ...), the newest added first.

    Each follow's window starts at its watermark ``alerted_until`` (or ``since``, when
    later) and ends at ``until`` (default now); at most ALERTS_PER_FOLLOW papers a follow.
    Writes nothing (``mark_alerted`` moves the watermarks once the alert is logged).
    Queries: 1 for the follows, 1 per follow (a search with text: 2-3), then 3 for the
    papers with journals and authors."""
    until = until or timezone.now()
    reasons = {}
    for each in follows_of(user):
        start = max(each.alerted_until, since) if since else each.alerted_until
        if start >= until:
            continue
        ids = new_papers_for(each, start, until).values_list("pk", flat=True)
        for paper_id in ids[:ALERTS_PER_FOLLOW]:
            reasons.setdefault(paper_id, each.reason)
    if not reasons:
        return []
    papers = Paper.objects.filter(pk__in=reasons).for_list().order_by("-created_at", "-id")
    return [(paper, reasons[paper.pk]) for paper in papers]


def mark_alerted(user, until):
    """Move every watermark of ``user``'s follows up to ``until`` (never back). Call it in
    the transaction that logs the alert. One UPDATE."""
    return Follow.objects.filter(user=user, alerted_until__lt=until).update(alerted_until=until)


# --- reading follows ------------------------------------------------------------------------


def follow_state(user, kind, target):
    """``user``'s follow of ``target`` (kind author/journal/category/keyword), or None.
    One query for a signed-in reader, none for an anonymous one."""
    if not user.is_authenticated:
        return None
    return Follow.objects.filter(user=user, **{Follow.TARGET_FIELDS[kind]: target}).first()


def savable_query(query):
    """``query`` normalised (``normalise_query``), or "" when it cannot be saved."""
    try:
        return normalise_query(query)
    except ValidationError:
        return ""


def saved_search(user, query):
    """``user``'s saved search of the normalised ``query``, or None (one query for a
    signed-in reader; none for an anonymous one)."""
    if not user.is_authenticated:
        return None
    return Follow.objects.filter(user=user, kind=Kind.SEARCH, query=query).first()


def feed_papers(follow, *, now=None):
    """The papers of ``follow``'s feed: the newest FEED_ENTRIES matching it added within
    FEED_WINDOW, with journals and authors (a saved search's probe, then 3 queries)."""
    now = now or timezone.now()
    ids = list(
        new_papers_for(follow, now - FEED_WINDOW).values_list("pk", flat=True)[:FEED_ENTRIES]
    )
    return list(Paper.objects.filter(pk__in=ids).for_list().order_by("-created_at", "-id"))


def by_feed_token(token):
    """The follow whose feed URL holds ``token``, or None (one query)."""
    return (
        Follow.objects.select_related("author", "journal", "category", "keyword")
        .filter(feed_token=token)
        .first()
    )


def follows_context(user):
    """The "My follows" list for the My library page (``library/_follows.html``): one query."""
    return {"follows": follows_of(user) if user.is_authenticated else []}


def export_follows(user):
    """``user``'s follows as plain JSON values, for the account export (one query). The
    feed token is left out: an export holds no secret."""
    rows = []
    for each in follows_of(user):
        target = each.target
        rows.append(
            {
                "kind": each.kind,
                "target": None
                if target is None
                else {"id": target.pk, "name": str(target), "url": target.get_absolute_url()},
                "query": each.query,
                "name": each.name,
                "created_at": each.created_at.isoformat(),
                "alerted_until": each.alerted_until.isoformat(),
            }
        )
    return rows
