"""Merge duplicate catalogue rows (authors, journals, keywords, categories) into one.

Each ``merge_*`` function takes the row to keep and the rows (or ids) to fold into it, and in
one ``transaction.atomic()``:

1. locks the kept row and the others (``select_for_update``, in id order, so two merges of
   overlapping rows wait for each other instead of deadlocking);
2. checks the merge loses nothing it cannot afford to lose (two different ORCIDs, two
   different print ISSNs, ...) and raises ``MergeRefused`` before changing anything;
3. moves every link to the kept row, dropping only exact duplicates (a paper linked to both);
4. fills the kept row's empty fields from the others, deletes the others;
5. rebuilds the search text of every paper whose links changed.

If anything fails, the transaction rolls back and nothing has changed. They are the one
implementation behind the admin's merge actions; call them from a shell or a command too.
"""

from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import F, Q

from papers.authors import add_name_aliases, name_key
from papers.curation import bump_version, pages_listing, refresh_search_documents
from papers.models import (
    Author,
    Authorship,
    AuthorSplit,
    Category,
    Journal,
    Keyword,
    LinkSource,
    Paper,
)
from papers.rows import update_column


class MergeRefused(Exception):
    """The rows cannot be merged without losing something; nothing was changed."""


@dataclass
class MergeResult:
    kept: models.Model
    merged: int  # rows folded into ``kept`` and deleted
    moved: int  # links now pointing at ``kept`` (authorships, papers, paper links)
    moved_noun: str  # what ``moved`` counts: "authorship", "paper", "paper link"
    duplicates: int = 0  # links dropped because the kept row already had them
    paper_ids: set = field(default_factory=set)  # papers whose search text was rebuilt

    def __str__(self):
        text = f"{self.moved} {self.moved_noun}{'s' if self.moved != 1 else ''} moved"
        if self.duplicates:
            text += f", {self.duplicates} duplicate{'s' if self.duplicates != 1 else ''} removed"
        return text


def merge_authors(*, keep, others):
    """Fold the authors ``others`` into ``keep``; returns a MergeResult.

    What moves:
    - every Authorship of the others now points at ``keep``. Where the merged authors both
      sit on one paper, the authorship with the lower position stays (pointing at ``keep``)
      and the other is deleted; its affiliations are added to the one that stays (union,
      first-seen order). Positions are not renumbered: they mirror the source record.
    - every other relation to Author (any model's ForeignKey, OneToOneField or
      ManyToManyField pointing at Author, hidden ones included, e.g. readers' follows) is
      moved with one queryset ``.update()`` per relation; a row that would repeat one of
      ``keep``'s (a reader following both authors; a many-to-many link) is dropped. A
      one-to-one held by both sides is refused.
    - ``keep``'s empty ORCID, given name and family name are filled from the others.
    - the others' names become ``keep``'s name aliases (``AuthorAlias``), which ingest's
      conservative match reads (papers.authors): a merge survives every later import.

    Refused (MergeRefused, nothing changed) when the authors carry two different ORCIDs.
    """
    [result] = merge_author_groups([(keep, others)])
    return result


def merge_author_groups(groups):
    """``merge_authors`` for many groups at once: ``groups`` are (author kept, [others])
    pairs (rows or ids), with no author in two groups; returns a MergeResult per group.

    Set-based, for ingest's folds (``papers.authors``: one batch of records may link
    hundreds of pairs of authors): a dozen queries whatever the number of groups, one
    transaction, every group refused (MergeRefused, nothing changed) if one carries two
    ORCIDs. A paper's search text is rebuilt only where an author's name as shown changes
    (a fold joins authors of one name)."""
    with transaction.atomic():
        locked = _lock_groups(groups)
        for keep, others in locked:
            orcids = sorted({a.orcid for a in [keep, *others] if a.orcid})
            if len(orcids) > 1:
                raise MergeRefused(
                    f"These authors have different ORCIDs ({', '.join(orcids)}): they are "
                    "different people, or one ORCID is wrong. Correct it first. Nothing was "
                    "changed."
                )
        owner = {other.pk: keep for keep, others in locked for other in others}
        moved = _move_authorships_of(owner)
        held = _held_by_relations(Author, list(owner), skip={Authorship})
        for keep, others in locked:
            other_ids = [a.pk for a in others]
            if held & set(other_ids):
                _move_relations(Author, keep, other_ids, skip={Authorship})
            if {name_key(a.name) for a in others} - {name_key(keep.name)}:
                # A later paper naming the author as one of the others did finds ``keep``.
                add_name_aliases(keep, [other.name for other in others])
        fills = [
            (keep, _fills(keep, others, ["orcid", "given_name", "family_name"]))
            for keep, others in locked
        ]
        Author.objects.filter(pk__in=list(owner)).delete()
        # A split of two authors now merged says nothing any more.
        AuthorSplit.objects.filter(
            author_id__in=[k.pk for k, _ in locked], other=F("author")
        ).delete()
        for keep, values in fills:
            # After the delete: the ORCID is unique, and may have been one of the others'.
            _apply_fills(keep, values)
        renamed = {
            paper_id
            for other_id, paper_ids in moved.papers.items()
            for paper_id in paper_ids
            if moved.names[other_id] != owner[other_id].name
        }
        refresh_search_documents(renamed)
        # The moved papers, and the papers of a kept author given an ORCID.
        filled = [keep.pk for keep, values in fills if values]
        bump_version(
            set().union(*moved.papers.values())
            | set(
                Authorship.objects.filter(author_id__in=filled).values_list("paper_id", flat=True)
            )
        )
    return [
        MergeResult(
            keep,
            len(others),
            sum(moved.moved.get(o.pk, 0) for o in others),
            "authorship",
            moved.duplicates.get(keep.pk, 0),
            {pk for o in others for pk in moved.papers.get(o.pk, ())},
        )
        for keep, others in locked
    ]


def split_author(author, paper_ids):
    """Give ``author``'s authorships on ``paper_ids`` to a new author of the same names (a
    curator found two people under one row); returns the new Author.

    The ORCID stays with ``author``. The split survives later imports: a re-import of a
    moved paper keeps the author it finds at that place under that name
    (``bulk.earlier_authors``), and a new paper goes to whichever of the two it shares
    most with, or to a new author (``papers.authors``), but never joins the two: the split
    is recorded (``AuthorSplit``) and ingest does not fold them. Only a record carrying the
    ORCID puts a paper back on ``author``. Refused (MergeRefused, nothing changed) when the
    papers are none, or all, of the author's."""
    wanted = {int(pk) for pk in paper_ids}
    with transaction.atomic():
        author = Author.objects.select_for_update().get(pk=author.pk)
        own = set(Authorship.objects.filter(author=author).values_list("paper_id", flat=True))
        moving = wanted & own
        if not moving:
            raise MergeRefused("Choose papers of this author to give to the new author.")
        if moving == own:
            raise MergeRefused(
                "Leave at least one paper with this author: to rename the author, edit it."
            )
        new = Author.objects.create(
            given_name=author.given_name,
            family_name=author.family_name,
            name=author.name,
            is_organization=author.is_organization,
        )
        Authorship.objects.filter(author=author, paper_id__in=moving).update(author=new)
        # Ingest folds authors that a record links (papers.authors), never these two.
        AuthorSplit.objects.create(author=author, other=new)
        # Their author links now lead to the new author's page.
        bump_version(sorted(moving))
    return new


def merge_journals(*, keep, others):
    """Fold the journals ``others`` into ``keep``; returns a MergeResult.

    What moves: every paper of the others (``Paper.journal``), and any other relation to
    Journal (moved generically, as for authors). ``keep``'s empty print ISSN, electronic ISSN
    and publisher are filled from the others, so that later imports carrying either ISSN find
    the kept journal.

    Refused (MergeRefused, nothing changed) when an ISSN of the others has no place on
    ``keep`` (two different print, or two different electronic, ISSNs): it would be lost,
    and the next import carrying it would create the duplicate again.
    """
    with transaction.atomic():
        keep, others = _lock(Journal, keep, others)
        fills = {}
        for kind in ("issn_print", "issn_electronic"):
            wanted = {getattr(j, kind) for j in others if getattr(j, kind)} - set(keep.issns)
            have = getattr(keep, kind)
            if len(wanted) > 1 or (have and wanted):
                issns = ", ".join(sorted(wanted | ({have} if have else set())))
                label = Journal._meta.get_field(kind).verbose_name
                raise MergeRefused(
                    f"These journals have different {label}s ({issns}); the kept journal can "
                    "hold only one. Nothing was changed."
                )
            if wanted:
                fills[kind] = wanted.pop()
        fills.update(_fills(keep, others, ["publisher"]))
        other_ids = [j.pk for j in others]
        paper_ids = set(Paper.objects.filter(journal__in=other_ids).values_list("pk", flat=True))
        moved = _move_relations(Journal, keep, other_ids)
        Journal.objects.filter(pk__in=other_ids).delete()
        _apply_fills(keep, fills)
        refresh_search_documents(paper_ids)
        # Their pages, and the pages whose "Recommended" lists show them with their journal.
        ids = sorted(paper_ids)
        bump_version(
            Paper.objects.filter(Q(pk__in=ids) | Q(pk__in=pages_listing(ids))).values("pk")
        )
    return MergeResult(keep, len(others), moved["papers.Paper.journal"][0], "paper", 0, paper_ids)


def merge_keywords(*, keep, others):
    """Fold the keywords ``others`` into ``keep``; returns a MergeResult.

    What moves: every paper's link to the others (the ``Paper.keywords`` through table),
    without duplicates: a paper linked to ``keep`` and an other keeps one link. Any other
    relation to Keyword moves too. The others' slugs (and their pages) go away.
    """
    return _merge_tags(Keyword, "keywords", keep=keep, others=others)


def merge_categories(*, keep, others):
    """Fold the categories ``others`` into ``keep``; returns a MergeResult.

    What moves: every paper's link to the others (the ``Paper.categories`` through table),
    without duplicates, as for keywords.
    """
    return _merge_tags(Category, "categories", keep=keep, others=others)


def _merge_tags(model, paper_field, *, keep, others):
    with transaction.atomic():
        keep, others = _lock(model, keep, others)
        other_ids = [row.pk for row in others]
        paper_ids = set(
            Paper.objects.filter(**{f"{paper_field}__in": other_ids}).values_list("pk", flat=True)
        )
        moved, duplicates = _move_relations(model, keep, other_ids)[f"papers.Paper.{paper_field}"]
        model.objects.filter(pk__in=other_ids).delete()
        refresh_search_documents(paper_ids)
        bump_version(paper_ids)
    return MergeResult(keep, len(others), moved, "paper link", duplicates, paper_ids)


# --- the moving parts ---


def _lock_groups(groups):
    """``_lock`` for groups of authors ((keep, [others]), rows or ids), in one query, in id
    order; returns [(keep, [others])]. ValueError for a group without others, or an author
    in two groups."""
    wanted, seen = [], set()
    for keep, others in groups:
        keep_id = getattr(keep, "pk", keep)
        other_ids = sorted({getattr(o, "pk", o) for o in others} - {keep_id})
        if not other_ids:
            raise ValueError("merging needs at least one other author")
        if seen & {keep_id, *other_ids}:
            raise ValueError("an author can be merged in one group only")
        seen |= {keep_id, *other_ids}
        wanted.append((keep_id, other_ids))
    rows = {
        row.pk: row
        for row in Author.objects.select_for_update().filter(pk__in=sorted(seen)).order_by("pk")
    }
    missing = seen - rows.keys()
    if missing:
        raise MergeRefused(
            f"Authors {sorted(missing)} no longer exist (merged or deleted meanwhile). "
            "Nothing was changed."
        )
    return [(rows[keep_id], [rows[pk] for pk in other_ids]) for keep_id, other_ids in wanted]


def _lock(model, keep, others):
    """Lock and reload ``keep`` and ``others`` (rows or ids); returns (keep, [others])."""
    keep_id = getattr(keep, "pk", keep)
    other_ids = {getattr(o, "pk", o) for o in others} - {keep_id}
    if not other_ids:
        raise ValueError(f"merging needs at least one other {model._meta.verbose_name}")
    rows = {
        row.pk: row
        for row in model.objects.select_for_update()
        .filter(pk__in=[keep_id, *other_ids])
        .order_by("pk")
    }
    missing = ({keep_id} | other_ids) - rows.keys()
    if missing:
        raise MergeRefused(
            f"{model._meta.verbose_name_plural.capitalize()} {sorted(missing)} no longer exist "
            "(merged or deleted meanwhile). Nothing was changed."
        )
    return rows[keep_id], [rows[pk] for pk in sorted(other_ids)]


def _fills(keep, others, names):
    """Values for ``keep``'s empty fields, taken from the first other that has one."""
    fills = {}
    for name in names:
        if getattr(keep, name):
            continue
        value = next((getattr(o, name) for o in others if getattr(o, name)), None)
        if value:
            fills[name] = value
    return fills


def _apply_fills(row, fills):
    if fills:
        type(row).objects.filter(pk=row.pk).update(**fills)
        for name, value in fills.items():
            setattr(row, name, value)


@dataclass
class _Moved:
    """What ``_move_authorships_of`` did: by author folded, the authorships moved, the
    papers touched and the author's name as it was shown; by kept author, the duplicates
    removed."""

    moved: dict = field(default_factory=dict)
    duplicates: dict = field(default_factory=dict)
    papers: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)


def _move_authorships_of(owner):
    """Point the authorships of each author in ``owner`` ({folded id: kept Author}) at its
    kept author; one authorship per paper and kept author survives (the lowest position,
    with the affiliations of those dropped). Three queries whatever the number of authors
    (the rows read and locked, the duplicates deleted, the moved rows' authors updated),
    and a fourth when duplicates gave their affiliations to the rows that stay."""
    keeps = {keep.pk for keep in owner.values()}
    rows = list(
        Authorship.objects.select_for_update()
        .filter(author__in=[*keeps, *owner])
        .select_related("author")
        .order_by("paper_id", "position")
    )
    result = _Moved()
    survivors = {}  # (paper id, kept author id) -> the authorship that stays
    doomed, changed, moved_to = [], {}, {}
    for row in rows:
        from_id = row.author_id
        target = owner[from_id].pk if from_id in owner else from_id
        if from_id in owner:
            result.names[from_id] = row.author.name
            result.papers.setdefault(from_id, set()).add(row.paper_id)
        survivor = survivors.setdefault((row.paper_id, target), row)
        if survivor is not row:
            doomed.append(row)
            result.duplicates[target] = result.duplicates.get(target, 0) + 1
            for affiliation in row.affiliations:
                if affiliation not in survivor.affiliations:
                    survivor.affiliations.append(affiliation)
                    changed[survivor.pk] = survivor
            continue
        if from_id != target:
            row.author_id = moved_to[row.pk] = target
            result.moved[from_id] = result.moved.get(from_id, 0) + 1
    Authorship.objects.filter(pk__in=[row.pk for row in doomed]).delete()
    update_column(Authorship, "author", moved_to)
    Authorship.objects.bulk_update(list(changed.values()), ["affiliations"])  # a few, if any
    return result


def _held_by_relations(model, ids, *, skip=()):
    """Which of ``ids`` any relation to ``model`` (but those to models in ``skip``) holds:
    one query per relation, so that a merge moves only what exists."""
    held = set()
    for rel in _relations(model):
        related = rel.through if rel.many_to_many else rel.related_model
        if rel.related_model in skip:
            continue
        column = rel.field.m2m_reverse_field_name() if rel.many_to_many else rel.field.name
        rows = related._base_manager.filter(**{f"{column}__in": ids})
        held |= set(rows.values_list(f"{column}_id", flat=True).distinct())
    return held


def _relations(model):
    """Every relation to ``model``: ``_meta.related_objects`` leaves out hidden ones
    (related_name="+"), whose rows a delete would cascade away."""
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one or f.many_to_many)
    ]


def _move_relations(model, keep, other_ids, *, skip=()):
    """Re-point every reverse relation of ``model`` from ``other_ids`` to ``keep``.

    Generic on purpose, so that a relation added later (say, a follow in library, whose
    reverse accessor is hidden) is carried along by a merge without changing this module:
    each ForeignKey is moved with one queryset ``.update()``, less the rows that would then
    break one of the model's unique constraints (``_move_foreign_key``); each many-to-many
    through table drops the others' links that would duplicate one of ``keep``'s and moves
    the rest with one ``.update()``. A one-to-one (or unique ForeignKey) present on both
    sides is refused. Relations to models in ``skip`` are left to the caller.

    Returns {"app.Model.field": (moved, duplicates removed)}.
    """
    counts = {}
    relations = _relations(model)
    # A through model with its own fields (PaperCategory: the link's source) is also a
    # ForeignKey to ``model``; its rows move once, with their fields, as the many-to-many.
    throughs = {rel.through for rel in relations if rel.many_to_many}
    for rel in relations:
        related = rel.through if rel.many_to_many else rel.related_model
        if rel.related_model in skip or (not rel.many_to_many and related in throughs):
            continue
        label = f"{rel.related_model._meta.label}.{rel.field.name}"
        if rel.many_to_many:
            target = rel.field.m2m_reverse_field_name()  # the column pointing at ``model``
            source = rel.field.m2m_field_name()  # the column pointing at the other side
            counts[label] = _move_m2m(related, target, source, keep, other_ids)
            continue
        name = rel.field.name
        rows = related._base_manager.filter(**{f"{name}__in": other_ids})
        if rel.one_to_one or rel.field.unique:
            holders = related._base_manager.filter(**{f"{name}__in": [keep.pk, *other_ids]})
            if holders.count() > 1:
                raise MergeRefused(
                    f"More than one of these rows has a {related._meta.verbose_name}; only one "
                    "can be kept. Nothing was changed."
                )
        counts[label] = _move_foreign_key(related, name, keep, rows)
    return counts


def _move_foreign_key(related, name, keep, rows):
    """Point ``name`` of ``rows`` at ``keep``; a row that would then repeat one of ``keep``'s
    (or an earlier moved row's) values under a unique constraint of ``related`` on ``name``
    and other fields is deleted instead (conditions aside: a duplicate is dropped even where
    a condition would have let it stand). One update without such a constraint; with one,
    a read of ``keep``'s and the rows' values, a delete and an update. Returns (moved,
    duplicates removed)."""
    uniques = [
        tuple(field for field in constraint.fields if field != name)
        # Conditional ones too (one follow per reader and author): a moved row meets the
        # condition as the row it would repeat does, or is kept for nothing.
        for constraint in related._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and name in constraint.fields
    ] + [
        tuple(field for field in together if field != name)
        for together in related._meta.unique_together
        if name in together
    ]
    if not uniques:
        return rows.update(**{name: keep}), 0
    columns = sorted({field for unique in uniques for field in unique})
    held = related._base_manager.filter(**{name: keep}).values_list(*columns)
    taken = {unique: set() for unique in uniques}

    def keys(values):
        row = dict(zip(columns, values, strict=True))
        # NULLs never collide in a unique constraint.
        return {u: key for u in uniques for key in [tuple(row[f] for f in u)] if None not in key}

    for values in held:
        for unique, key in keys(values).items():
            taken[unique].add(key)
    move, drop = [], []
    for pk, *values in rows.order_by("pk").values_list("pk", *columns):
        found = keys(values)
        if any(key in taken[unique] for unique, key in found.items()):
            drop.append(pk)
            continue
        move.append(pk)
        for unique, key in found.items():
            taken[unique].add(key)
    related._base_manager.filter(pk__in=drop).delete()
    return related._base_manager.filter(pk__in=move).update(**{name: keep}), len(drop)


def _move_m2m(through, target, source, keep, other_ids):
    # Where a paper is linked to ``keep`` and to an other, ``keep``'s link (and its source)
    # stays; every other link moves whole, keeping its source (who linked it).
    already = set(through.objects.filter(**{target: keep.pk}).values_list(source, flat=True))
    move, drop = [], []
    links = through.objects.filter(**{f"{target}__in": other_ids}).order_by("pk")
    for pk, other_side in links.values_list("pk", source):
        if other_side in already:
            drop.append(pk)
        else:
            already.add(other_side)
            move.append(pk)
    if drop and any(f.name == "source" for f in through._meta.fields):
        # A curator's link is never lost to a merge: the surviving link becomes theirs.
        curated = through.objects.filter(pk__in=drop, source=LinkSource.CURATOR)
        through.objects.filter(
            **{target: keep.pk, f"{source}__in": curated.values_list(source, flat=True)}
        ).update(source=LinkSource.CURATOR)
    through.objects.filter(pk__in=drop).delete()
    through.objects.filter(pk__in=move).update(**{target: keep.pk})
    return len(move), len(drop)
