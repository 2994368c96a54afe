"""Version groups: a preprint, its published version and identical copies as one work.

Records name the other versions of their work by DOI (Crossref ``relation``: is-preprint-of,
has-preprint, is-version-of, has-version, is-identical-to; DataCite ``relatedIdentifiers``
IsVersionOf, HasVersion, IsPreprintOf, ...; an arXiv snapshot's ``doi``, the published
version of the preprint). Both ingest paths store them as ``VersionLink`` rows through
``store_links``, linked to the named paper when the catalogue holds it, and later, when it
arrives (``link_arrivals``). A record only ever adds links: a registry dropping a relation
does not split a group; a curator does (``unlink``), and the row left behind (``removed``)
keeps every later import from linking the two again. A curator may link two papers no
record relates (``link``).

The papers joined by links (either direction, any number of steps) form a group; every
member's ``Paper.version_group`` names the one that stands for the group in lists
(``Paper.objects.one_per_version_group``): a published version before a preprint, then the
newest, then the first stored. ``regroup`` recomputes the groups around some papers after
any change and bumps the pages of every member whose group changed (each page lists the
other versions). Groups are small: a walk over the links costs a query per step.
"""

from collections import namedtuple

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower

from papers.curation import stamp
from papers.models import NEXT_VERSION, LinkSource, Paper, VersionLink

# Work types whose records are preprints: the other versions come first.
PREPRINT_TYPES = frozenset({"posted-content"})

Version = namedtuple("Version", "paper label")


class VersionRefused(ValueError):
    """A curator's link or unlink that cannot be made; the message says why."""


def is_preprint(paper):
    return paper.work_type in PREPRINT_TYPES or paper.work_subtype == "preprint"


# --- what imports do ---


def store_links(pairs, *, source):
    """Store the version relations the records name: ``pairs`` are (saved paper, its
    ``records.Work``). Adds the links not stored yet (never removes one, never brings back
    one a curator removed), linked to the named papers the catalogue holds, and regroups
    the papers linked. No query when no record names a version; three and a regroup when
    some do."""
    giving = [(paper, work) for paper, work in pairs if work.versions]
    if not giving:
        return 0
    stored = set(
        VersionLink.objects.filter(paper_id__in=[paper.pk for paper, _ in giving]).values_list(
            "paper_id", "doi"
        )
    )
    wanted = {
        (paper.pk, version.doi): version.relation
        for paper, work in giving
        for version in work.versions
        if (paper.pk, version.doi) not in stored
    }
    if not wanted:
        return 0
    found = _papers_by_doi({doi for _, doi in wanted})
    VersionLink.objects.bulk_create(
        [
            VersionLink(
                paper_id=paper_id,
                doi=doi,
                relation=relation,
                related_id=found.get(doi),
                source=source,
            )
            for (paper_id, doi), relation in sorted(wanted.items())
        ],
        ignore_conflicts=True,  # a concurrent import of the same record stored it first
    )
    linked = {(paper_id, found[doi]) for paper_id, doi in wanted if doi in found}
    # The papers stating versions, and those they name: both got their versions from it.
    stamped = {paper_id for paper_id, _ in wanted} | {pk for _, pk in linked}
    entry = stamp_versions(stamped, source=source)
    for paper, _ in giving:  # the caller may save the instance's provenance later
        if paper.pk in stamped:
            paper.provenance["versions"] = entry
    regroup({pk for pair in linked for pk in pair})
    return len(wanted)


def add_links(links):
    """Store version links to papers already found (``papers.journal_refs``): ``links`` are
    (paper id, relation, the related Paper, source). A link stored already, or one a
    curator removed, is left as it is. Stamps the provenance of both papers of each link
    added and regroups them. Returns the provenance entry, None when nothing was added."""
    stored = set(
        VersionLink.objects.filter(paper_id__in=[link[0] for link in links]).values_list(
            "paper_id", "doi"
        )
    )
    rows = [
        VersionLink(
            paper_id=paper_id,
            doi=related.doi.lower(),
            relation=relation,
            related=related,
            source=source,
        )
        for paper_id, relation, related, source in links
        if (paper_id, related.doi.lower()) not in stored
    ]
    if not rows:
        return None
    VersionLink.objects.bulk_create(rows, ignore_conflicts=True)
    entry = None
    for source in sorted({row.source for row in rows}):
        papers = {
            pk for row in rows if row.source == source for pk in (row.paper_id, row.related_id)
        }
        entry = stamp_versions(papers, source=source)
    regroup({pk for row in rows for pk in (row.paper_id, row.related_id)})
    return entry


def link_arrivals(papers):
    """Link the stored links waiting for ``papers`` (just created) and regroup; returns how
    many were linked. One query when nothing waits for them (the common case)."""
    dois = sorted({paper.doi.lower() for paper in papers if paper.doi})
    if not dois:
        return 0
    waiting = VersionLink.objects.filter(related__isnull=True, doi__in=dois)
    rows = list(waiting.values_list("pk", "paper_id", "doi", "source"))
    if not rows:
        return 0
    by_doi = Paper.objects.alias(doi_lower=Lower("doi")).filter(doi_lower=OuterRef("doi"))
    VersionLink.objects.filter(pk__in=[pk for pk, *_ in rows]).update(
        related_id=Subquery(by_doi.values("pk")[:1])
    )
    # An arriving paper's versions were stated by the records that named it.
    sources = {doi: source for _, _, doi, source in rows}
    for paper in papers:
        if paper.doi and paper.doi.lower() in sources:
            source = sources[paper.doi.lower()]
            paper.provenance["versions"] = stamp_versions([paper.pk], source=source)
    regroup({paper_id for _, paper_id, *_ in rows} | {paper.pk for paper in papers if paper.doi})
    return len(rows)


# --- what curators do ---


def link(paper, other, *, relation=VersionLink.Relation.IS_VERSION_OF, by=None):
    """A curator (the user ``by``) links ``other`` to ``paper`` as another version of its
    work ("<paper> <relation> <other>"). Any earlier unlink of the two is undone. Returns
    the link."""
    check_pair(paper, other)
    with transaction.atomic():
        VersionLink.objects.filter(paper=other, doi=paper.doi.lower(), removed=True).delete()
        version_link, _ = VersionLink.objects.update_or_create(
            paper=paper,
            doi=other.doi.lower(),
            defaults={
                "relation": relation,
                "related": other,
                "source": LinkSource.CURATOR,
                "removed": False,
            },
        )
        stamp_versions([paper.pk, other.pk], source=LinkSource.CURATOR, by=by)
        regroup([paper.pk, other.pk])
    return version_link


def unlink(paper, other, *, by=None):
    """A curator (the user ``by``) says ``paper`` and ``other`` are not versions of one
    work: every link
    between them, in either direction, is marked removed (and so stays removed whatever is
    imported later), and the group splits if nothing else joins them."""
    check_pair(paper, other)
    with transaction.atomic():
        for one, two in ((paper, other), (other, paper)):
            VersionLink.objects.update_or_create(
                paper=one,
                doi=two.doi.lower(),
                defaults={"related": two, "source": LinkSource.CURATOR, "removed": True},
                create_defaults={
                    "related": two,
                    "source": LinkSource.CURATOR,
                    "removed": True,
                    "relation": VersionLink.Relation.IS_VERSION_OF,
                },
            )
        stamp_versions([paper.pk, other.pk], source=LinkSource.CURATOR, by=by)
        regroup([paper.pk, other.pk])


def remove_link(version_link, *, by=None):
    """A curator's unlink of one stored link (the admin's action): ``unlink`` of its two
    papers, or, while the named paper is not in the catalogue, the link marked removed so
    that it never joins the paper when it arrives."""
    if version_link.related_id is not None:
        unlink(version_link.paper, version_link.related, by=by)
    else:
        with transaction.atomic():
            VersionLink.objects.filter(pk=version_link.pk).update(
                removed=True, source=LinkSource.CURATOR
            )
            stamp_versions([version_link.paper_id], source=LinkSource.CURATOR, by=by)


def forget_links(version_links, *, by=None):
    """Delete links (the admin's delete): the groups they joined are computed again. Unlike
    ``remove_link``, a later import naming the same version links it again."""
    paper_ids = {pk for link in version_links for pk in (link.paper_id, link.related_id)}
    with transaction.atomic():
        VersionLink.objects.filter(pk__in=[link.pk for link in version_links]).delete()
        stamp_versions(paper_ids, source=LinkSource.CURATOR, by=by)
        regroup(paper_ids)


def restore_link(version_link, *, by=None):
    """Undo ``remove_link``: the link counts again (``link`` of its two papers)."""
    if version_link.related_id is not None:
        link(version_link.paper, version_link.related, relation=version_link.relation, by=by)
    else:
        with transaction.atomic():
            VersionLink.objects.filter(pk=version_link.pk).update(
                removed=False, source=LinkSource.CURATOR
            )
            stamp_versions([version_link.paper_id], source=LinkSource.CURATOR, by=by)


def stamp_versions(paper_ids, *, source, by=None):
    """Stamp who last stated or changed these papers' version links, and when, in their
    provenance under "versions" (``curation.stamp``; the links keep their own source). One
    read and one write: only records naming versions, and curators' links, stamp it.
    Returns the entry."""
    entry = stamp(source, by=by)
    papers = list(Paper.objects.filter(pk__in=[pk for pk in paper_ids if pk]).only("provenance"))
    for paper in papers:
        paper.provenance["versions"] = entry
    Paper.objects.bulk_update(papers, ["provenance"])
    return entry


def check_pair(paper, other):
    if paper.pk == other.pk:
        raise VersionRefused("A paper cannot be a version of itself.")
    if not paper.doi or not other.doi:
        raise VersionRefused("Only papers with a DOI can be linked as versions.")


# --- the groups ---


def regroup(paper_ids):
    """Recompute the version groups around ``paper_ids``: their current groups' members and
    every paper the active links reach from them. Members whose group changed get the new
    ``version_group`` and their versions bumped, in one UPDATE per group. Returns how many
    papers changed."""
    ids = {int(pk) for pk in paper_ids if pk is not None}
    if not ids:
        return 0
    current = Paper.objects.filter(pk__in=ids, version_group__isnull=False).values("version_group")
    ids |= set(Paper.objects.filter(version_group__in=current).values_list("pk", flat=True))
    edges = _edges_reaching(ids)
    for a, b in edges:
        ids |= {a, b}
    rows = {
        row.pk: row
        for row in Paper.objects.filter(pk__in=ids).only(
            "pk",
            "version_group",
            "work_type",
            "work_subtype",
            "published_year",
            "published_month",
            "published_day",
        )
    }
    changed = 0
    for members in _components(rows.keys(), edges):
        target = None if len(members) == 1 else min((rows[pk] for pk in members), key=_rank).pk
        if any(rows[pk].version_group_id != target for pk in members):
            changed += Paper.objects.filter(pk__in=members).update(
                version_group_id=target, content_version=NEXT_VERSION
            )
    return changed


def regroup_after_delete(paper_ids):
    """Call before deleting papers: once the transaction commits, regroup the other members
    of their groups (who may now stand alone, or need another paper to stand for them)."""
    groups = Paper.objects.filter(pk__in=paper_ids, version_group__isnull=False)
    members = set(
        Paper.objects.filter(version_group__in=groups.values("version_group"))
        .exclude(pk__in=paper_ids)
        .values_list("pk", flat=True)
    )
    if members:
        transaction.on_commit(lambda: regroup(members), robust=True)
    return len(members)


def _rank(paper):
    """Which member stands for the group: a published version before a preprint, then the
    newest, then the first stored."""
    date = (paper.published_year or 0, paper.published_month or 0, paper.published_day or 0)
    return (is_preprint(paper), tuple(-part for part in date), paper.pk)


def _edges_reaching(ids):
    """The active links (pairs of paper ids) reachable from ``ids``: a query per step."""
    edges, seen, frontier = set(), set(ids), set(ids)
    while frontier:
        rows = VersionLink.objects.filter(
            Q(paper_id__in=frontier) | Q(related_id__in=frontier),
            related__isnull=False,
            removed=False,
        ).values_list("paper_id", "related_id")
        found = {tuple(sorted(row)) for row in rows} - edges
        edges |= found
        frontier = {pk for pair in found for pk in pair} - seen
        seen |= frontier
    return _without_removed(edges)


def _without_removed(edges):
    """Drop pairs a curator unlinked in either direction (one query, none without pairs)."""
    if not edges:
        return edges
    pair_ids = {pk for pair in edges for pk in pair}
    removed = VersionLink.objects.filter(
        paper_id__in=pair_ids, related_id__in=pair_ids, removed=True
    ).values_list("paper_id", "related_id")
    unlinked = {tuple(sorted(row)) for row in removed}
    return edges - unlinked


def _components(ids, edges):
    """The connected components of ``ids`` under ``edges``, as lists of ids."""
    parent = {pk: pk for pk in ids}

    def root(pk):
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for a, b in edges:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    components = {}
    for pk in parent:
        components.setdefault(root(pk), []).append(pk)
    return [sorted(members) for members in components.values()]


def _papers_by_doi(dois):
    rows = Paper.objects.alias(doi_lower=Lower("doi")).filter(doi_lower__in=sorted(dois))
    return {doi.lower(): pk for pk, doi in rows.order_by().values_list("pk", "doi")}


# --- the paper page ---


def versions_of(paper):
    """The other versions of ``paper`` in the catalogue, as ``Version(paper, label)``, the one
    standing for the group first: "Published version", "Preprint" or "Other version". No
    query when the paper is alone; one (with journals) when it is in a group."""
    if paper.version_group_id is None:
        return []
    others = (
        Paper.objects.filter(version_group_id=paper.version_group_id)
        .exclude(pk=paper.pk)
        .select_related("journal")
        .only(
            "pk",
            "doi",
            "title",
            "work_type",
            "work_subtype",
            "published_year",
            "published_month",
            "published_day",
            "rating_count",
            "rating_average",
            "journal__title",
            "version_group",
        )
    )
    versions = [Version(other, _label(other, paper)) for other in others]
    return sorted(versions, key=lambda version: _rank(version.paper))


def _label(other, paper):
    if is_preprint(other) and not is_preprint(paper):
        return "Preprint"
    if is_preprint(paper) and not is_preprint(other):
        return "Published version"
    return "Other version"


def bump_other_versions_on_commit(paper_id):
    """Once the transaction commits, bump the pages of the paper's other versions (they show
    its rating and reviews): one UPDATE, nothing when the paper is alone."""

    def bump():
        group = Paper.objects.filter(pk=paper_id, version_group__isnull=False).values(
            "version_group"
        )
        Paper.objects.filter(version_group__in=group).exclude(pk=paper_id).bump_version()

    transaction.on_commit(bump, robust=True)
