"""The one write path for edits to a paper's fields and relations, whoever makes them:
registry import (``papers.ingest``), curator in the admin (``papers.admin``), verified author
(``accounts.authoring``).

An edit sets fields (``set_fields``) and links (``set_links``, ``add_links``,
``remove_links``), then ends in ``record_edit``, which does what every edit owes:

- provenance: each changed field is stamped with who changed it and when (``stamp``);
- the search text (``Paper.search_document``) is rebuilt when it holds a changed field;
- once the transaction commits, the paper is re-placed in the related-papers lists when the
  recommender reads a changed field (``RECOMMENDER_FIELDS``);
- the paper's ``content_version`` goes up, so its page's cached fragments are replaced.

``bump_version(paper_ids)`` is the one function every other write that changes what a
paper page shows calls (ratings, reviews, resource requests, claims, merges, related lists;
``papers.models.NEXT_VERSION`` when the write runs an UPDATE of the paper anyway). A write
that changes what OTHER papers' pages show (a renamed paper in their "Recommended" lists, an
author's new name) bumps them with ``bump_version_on_commit``: outside its transaction, in
id order, so that two writes of papers that list each other cannot deadlock.

Locks: a curator locks a field (``Paper.locked_fields``, named by ``lock_name``) against
every other source; ``is_locked`` says whether a source must leave it alone. Imports skip a
locked field, an author is refused, a curator is not bound by the locks they set.

Keyword and category links carry the source that made them (``LinkSource``): an import
replaces only its own links, curators and authors add theirs beside them.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from papers.models import (
    NEXT_VERSION,
    Authorship,
    Category,
    Funding,
    Keyword,
    LinkSource,
    Notice,
    Paper,
    PaperCategory,
    PaperKeyword,
    Reference,
    RelatedPaper,
)
from papers.recommend import place_related_paper, place_related_papers
from papers.versions import bump_version_on_commit

# What the recommender reads of a paper (papers.recommend.load_documents; a retracted paper
# leaves every list): a change to one of these re-places it.
RECOMMENDER_FIELDS = {
    "title",
    "abstract",
    "authors",
    "keywords",
    "categories",
    "journal",
    "is_retracted",
    # Its citation neighbours (shared references) come from its reference list.
    "references",
}
# What an entry of another paper's "Recommended" list shows of a paper (lock names):
# a change to one is on the pages that list the paper (``pages_listing``) at once.
LISTED_FIELDS = {"title", "journal", "published", "is_retracted"}
# What build_search_document reads of a paper.
SEARCHED_FIELDS = {"doi", "subtitle", "journal", "authors", "keywords", "categories"}
# A paper's relations (their row models) under the names that lock them.
RELATIONS = {
    Authorship: "authors",
    Funding: "funding",
    PaperKeyword: "keywords",
    PaperCategory: "categories",
    Notice: "notices",
}
# Link model -> (its column naming the term, the term model).
LINKS = {PaperKeyword: ("keyword", Keyword), PaperCategory: ("category", Category)}


def stamp(source, *, by=None):
    """The provenance entry of a field written now by ``source``.

    ``source`` is a ``LinkSource`` ("crossref"...); with ``by``, the user who made the edit,
    their username follows: "curator admin", "author carol".
    """
    who = f"{source} {by.get_username()}" if by is not None else str(source)
    return {"source": who, "at": timezone.now().isoformat(timespec="seconds")}


def source_of(paper, field):
    """Who last wrote ``field`` of ``paper`` ("crossref", "curator admin"...), or None."""
    entry = paper.provenance.get(lock_name(field))
    return entry.get("source") if isinstance(entry, dict) else None


def lock_name(field):
    """The name that locks ``field`` (and keys its provenance): a relation's own name, and
    "published" for the three parts of the date, which are locked together."""
    return "published" if field.startswith("published_") else field


def is_locked(paper, field, *, source):
    """Whether ``source`` must leave ``field`` of ``paper`` alone: a curator's lock binds
    every source but curators."""
    return source != LinkSource.CURATOR and lock_name(field) in paper.locked_fields


def set_fields(paper, values, *, source):
    """Set ``values`` ({field name: value}) on ``paper`` as ``source``; returns the names set.

    Locked fields and values the paper already has are skipped. Saves nothing: pass the
    names to ``record_edit``.
    """
    changed = set()
    for name, value in values.items():
        if is_locked(paper, name, source=source) or getattr(paper, name) == value:
            continue
        setattr(paper, name, value)
        changed.add(name)
    return changed


def record_edit(paper, changed, *, source, by=None):
    """Finish an edit of ``paper`` by ``source`` (and the user ``by``, for curators and
    authors); ``changed`` names the fields set on the instance and the relations rewritten,
    e.g. {"title", "published_year", "keywords"}.

    Stamps the provenance of each lockable one, rebuilds the search text if it reads one,
    saves those columns (one UPDATE, plus three small queries for the search text), bumps
    the pages whose related lists show it when its title, journal, year or retraction
    changed (one more UPDATE, ``pages_listing``), and
    once the transaction commits re-places the paper in the related-papers lists if the
    recommender reads one. Does nothing when ``changed`` is empty. Call it inside the
    edit's transaction, after the relations are written.
    """
    if not changed:
        return
    names = stamp_provenance(paper, changed, source=source, by=by)
    columns = {field.name for field in Paper._meta.concrete_fields} & set(changed)
    columns |= {"provenance", "updated_at"}
    if names & SEARCHED_FIELDS:
        paper.search_document = build_search_document(paper)
        columns.add("search_document")
    # In the same UPDATE; the instance holds the expression until it is read again.
    paper.content_version = NEXT_VERSION
    columns.add("content_version")
    paper.save(update_fields=sorted(columns))
    if {lock_name(name) for name in changed} & LISTED_FIELDS:
        # The pages listing it show its title, journal and year: bumped with this edit, not
        # when the re-placement task runs (which may not change those lists at all).
        bump_version_on_commit(pages_listing([paper.pk]))
    if names & RECOMMENDER_FIELDS:
        place_in_recommendations_on_commit(paper.pk)


def bump_version(paper_ids):
    """Add one to the ``content_version`` of each paper in ``paper_ids`` (ids, or a
    queryset of ids: then a subquery), in ONE UPDATE whatever their number; returns how
    many papers it bumped. Call it inside the write's transaction, after the write.

    The paper page caches what it shows every reader under (paper, version)
    (``portal.paper_fragments``): a write that changes what the page shows and does not
    bump the version leaves readers a stale page.
    """
    if not isinstance(paper_ids, models.QuerySet):
        paper_ids = sorted({int(pk) for pk in paper_ids if pk is not None})
        if not paper_ids:
            return 0
    return Paper.objects.filter(pk__in=paper_ids).bump_version()


def stamp_provenance(paper, changed, *, source, by=None):
    """Stamp the provenance of each lockable field or relation in ``changed`` on the
    instance (saves nothing); returns the lock names of ``changed``.

    ``record_edit`` calls it for one paper; ``papers.bulk`` for each paper of a batch, which
    it then saves with the others in one statement.
    """
    names = {lock_name(name) for name in changed}
    entry = stamp(source, by=by)
    for name in names & set(Paper.LOCKABLE_FIELDS):
        paper.provenance[name] = entry
    return names


def pages_listing(paper_ids):
    """The papers whose "Recommended" lists, "References" or "Cited by" blocks show any of
    ``paper_ids`` (ids, or a queryset of ids), as a flat queryset of ids (a subquery for
    ``bump_version``). Related rows of every run, a superset of the shown lists: bumping a
    page too many costs one render."""
    related = RelatedPaper.objects.filter(related_id__in=paper_ids).values("paper_id")
    linked = Reference.objects.pages_linked(paper_ids)
    return Paper.objects.filter(Q(pk__in=related) | Q(pk__in=linked)).values_list("pk", flat=True)


def place_in_recommendations_on_commit(paper_id):
    """Once the transaction commits, (re)place the paper in the related-papers lists."""
    place_related_paper.delay_on_commit(paper_id)


def place_batch_in_recommendations_on_commit(paper_ids):
    """Once the transaction commits, (re)place these papers: one task for them all."""
    if paper_ids:
        place_related_papers.delay_on_commit(sorted(paper_ids))


def lost_citers(cited_before, cited_now):
    """The papers a changed reference list no longer cites: they lost a citing paper, so
    their co-citations with the papers it still cites may be gone, and placing them again
    takes them out of the lists that showed them only for those (``recommend.place_paper``).
    The papers it newly cites gain links, which the next rebuild counts."""
    return set(cited_before) - set(cited_now)


# --- keyword and category links ---


def get_or_create_named(model, name):
    """A Keyword or Category by case-insensitive name, created with a unique slug."""
    row = model.objects.filter(name__iexact=name).first()
    if row:
        return row
    base = slugify(name, allow_unicode=True)[:190] or "untitled"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return model.objects.create(name=name, slug=slug)


def _terms(link_model, terms):
    """Keyword or Category rows, in order and once each, from rows or names."""
    _, model = LINKS[link_model]
    rows = [t if isinstance(t, model) else get_or_create_named(model, t) for t in terms]
    return list({row.pk: row for row in rows}.values())


def set_links(paper, link_model, terms, *, source):
    """Make ``source``'s keyword or category links of ``paper`` exactly ``terms``.

    ``link_model`` is PaperKeyword or PaperCategory; ``terms`` are names (matched
    case-insensitively, created if new) or rows. Links of other sources (another registry,
    a curator, an author) stay, and a term another source linked first stays theirs, so a
    Crossref re-import never removes OpenAlex's categories, nor OpenAlex Crossref's.
    A lock leaves the links alone. Returns True if a link was added or removed.
    """
    term, _ = LINKS[link_model]
    if is_locked(paper, RELATIONS[link_model], source=source):
        return False
    wanted = {row.pk for row in _terms(link_model, terms)}
    links = {getattr(link, f"{term}_id"): link for link in link_model.objects.filter(paper=paper)}
    stale = [link.pk for pk, link in links.items() if link.source == source and pk not in wanted]
    new = sorted(wanted - links.keys())
    if stale:
        link_model.objects.filter(pk__in=stale).delete()
    if new:
        link_model.objects.bulk_create(
            link_model(paper=paper, source=source, **{f"{term}_id": pk}) for pk in new
        )
    return bool(stale or new)


def add_links(paper, link_model, terms, *, source):
    """Link ``terms`` (names or rows) to ``paper`` as ``source``, beside the links it has.

    A term already linked stays with the source that linked it. A lock leaves the links
    alone. Returns the terms newly linked, in the order given.
    """
    term, _ = LINKS[link_model]
    if is_locked(paper, RELATIONS[link_model], source=source):
        return []
    have = set(link_model.objects.filter(paper=paper).values_list(f"{term}_id", flat=True))
    added = [row for row in _terms(link_model, terms) if row.pk not in have]
    link_model.objects.bulk_create(
        link_model(paper=paper, source=source, **{term: row}) for row in added
    )
    return added


def remove_links(paper, link_model, terms, *, source):
    """Unlink ``terms`` (rows or primary keys) from ``paper``, whoever linked them.

    A lock leaves the links alone. Returns True if a link was removed.
    """
    term, _ = LINKS[link_model]
    if is_locked(paper, RELATIONS[link_model], source=source):
        return False
    pks = [getattr(t, "pk", t) for t in terms]
    deleted, _ = link_model.objects.filter(paper=paper, **{f"{term}_id__in": pks}).delete()
    return bool(deleted)


# --- the search text ---


def build_search_document(paper):
    """Authors, keywords, categories, journal and DOI as one text (three small queries)."""
    return search_text(
        doi=paper.doi,
        subtitle=paper.subtitle,
        journal=paper.journal.title if paper.journal else "",
        authors=paper.authorships.order_by("position").values_list("author__name", flat=True),
        keywords=paper.keywords.values_list("name", flat=True),
        categories=paper.categories.values_list("name", flat=True),
    )


def search_text(*, doi, subtitle, journal, authors, keywords, categories):
    """The search text of a paper from its parts (no query): what ``build_search_document``
    reads from the database, and what ``papers.bulk`` has in memory for a whole batch.
    Authors in their order; keywords and categories sorted here, so that both give the same
    text whatever order (and database collation) the names come in.
    """
    parts = [doi or "", subtitle, journal, *authors, *sorted(keywords), *sorted(categories)]
    return "\n".join(part for part in parts if part)


def refresh_search_documents(paper_ids):
    """Rebuild the search text of these papers (after a merge of authors, keywords...)."""
    for paper in Paper.objects.filter(pk__in=list(paper_ids)).select_related("journal"):
        Paper.objects.filter(pk=paper.pk).update(search_document=build_search_document(paper))
