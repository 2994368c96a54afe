"""Author identity: which stored ``Author`` a record's contributor without an ORCID is.

Both ingest paths ask, in this order: the author with the contributor's ORCID (one row per
ORCID); the author with its OpenAlex author id (OpenAlex works; one row per id; an author
picked otherwise is given the id, ``give_openalex_id``); the paper's earlier author of that
name (a re-import: ``bulk.earlier_authors``); then a conservative match (``Matcher``); else
a new author. An OpenAlex enrichment names the stored authors of a paper by their ids
(``link_openalex_authors``).

The conservative match takes an author of the same normalised name (``name_key``: case,
accents, punctuation and spacing ignored; or a name alias a curator's merge left,
``AuthorAlias``) only when it shares evidence with the contributor:

- a co-author: someone of the same normalised name on one of the author's papers and on
  the record;
- an affiliation: one of the author's affiliations and one of the contributor's have nearly
  the same words (``AFFILIATION_OVERLAP`` of their word sets, at least three words).

- a citation: the record cites one of the author's papers, or one of them cites the record.

A candidate already on the record's paper is not one (a person is not their own co-author).
When one candidate shares evidence, it is taken. When several do, the record links them:
each shares as much with the contributor as would have made one person of the two alone,
so they are one person, and they are folded into one (``Matcher.match``; the callers merge
the stored ones with ``merge.merge_author_groups``, which leaves nothing behind). Papers arrive in
any order, and a person's early papers often share nothing with each other: the paper that
links them comes later. Two candidates are never folded when they carry two different
ORCIDs, or when a curator split them (``AuthorSplit``); then the one sharing most is taken,
and a tie, or no evidence at all, gives a new author: keeping two people apart is preferred
to merging two into one (a curator merges in the admin). Names given as initials ("J.
Smith") are never matched, and a name borne by more than ``MAX_CANDIDATES`` authors is not
either: such names are too common to tell people apart by these clues.

A batch's contributors are matched against the catalogue and against each other (two papers
of one new author in one batch get one row). On PostgreSQL, a batch first takes a
transaction-level advisory lock on each of its names, so that two imports running at once
never both create the same person (``lock_names``).
"""

import functools
import itertools
import zlib
from collections import Counter, defaultdict

from django.db import connection
from django.db.models import Q

from papers.models import Author, AuthorAlias, Authorship, AuthorSplit, Reference
from papers.names import name_key
from papers.rows import ColumnIn

# Share of the smaller word set two affiliations must have in common to count as one place.
AFFILIATION_OVERLAP = 0.75
AFFILIATION_MIN_WORDS = 3
# What the match reads of each candidate author (the row ingest links and names).
AUTHOR_COLUMNS = (
    "pk",
    "name",
    "given_name",
    "family_name",
    "orcid",
    "openalex_id",
    "is_organization",
)
# Authors of one name beyond which the name is not matched at all (too common).
MAX_CANDIDATES = 50

# Words of an affiliation that say nothing of the place.
_STOP_WORDS = frozenset({"of", "the", "and", "for", "in", "at", "amp", "dept", "department"})


def is_matchable(contributor):
    """Only people with a full given name (not initials) and a family name are matched."""
    if contributor.is_organization or contributor.orcid:
        return False
    return _person(contributor.given, contributor.family)[1]


def contributor_key(contributor):
    """``name_key`` of the contributor's display name."""
    if contributor.is_organization:
        return name_key(contributor.name or "")
    return _person(contributor.given, contributor.family)[0]


@functools.lru_cache(maxsize=1 << 18)
def _person(given, family):
    """(name key, whether matchable) of a person's names. Cached: a batch asks several times
    for each of its thousands of contributors, and a corpus meets the same names again."""
    display = " ".join(part for part in (given, family) if part)  # Contributor.display_name
    full_given = any(len(part) > 1 for part in name_key(given).split())
    return name_key(display), bool(name_key(family)) and full_given


def affiliation_words(text):
    words = set(name_key(text).split()) - _STOP_WORDS
    return frozenset(words) if len(words) >= AFFILIATION_MIN_WORDS else None


def same_place(one, other):
    return len(one & other) >= AFFILIATION_OVERLAP * min(len(one), len(other))


class _Profile:
    """What the matcher knows of one candidate author: co-author names, affiliations, the
    DOIs of their papers and the DOIs those papers cite."""

    __slots__ = ("_author", "_row", "co_authors", "places", "papers", "cited")

    def __init__(self, author=None, *, row=None):
        """``author``, or the ``row`` (AUTHOR_COLUMNS) of a stored one: its model instance
        is made when asked for (a batch reads thousands of candidates and takes few)."""
        self._author, self._row = author, row
        self.co_authors = set()
        self.places = set()
        self.papers = set()
        self.cited = set()

    @property
    def author(self):
        if self._author is None:
            self._author = Author(**self._row)
        return self._author

    @property
    def pk(self):
        return self._row["pk"] if self._author is None else self._author.pk

    @property
    def orcid(self):
        if self._author is None:
            return self._row["orcid"]
        return getattr(self._author, "orcid", None)  # a _NewAuthor has none

    def absorb(self, other):
        """Take what ``other`` (folded into this author) is known by."""
        self.co_authors |= other.co_authors
        self.places |= other.places
        self.papers |= other.papers
        self.cited |= other.cited

    def learn(self, clues):
        self.co_authors |= clues.co_authors
        self.places |= clues.places
        self.papers.add(clues.doi)
        self.cited |= clues.cited

    def evidence(self, clues):
        """How much this author and the contributor share, 0 for nothing: co-author names;
        places (each of the author's affiliations matching one of the contributor's); and
        citations between the record and the author's papers (either way)."""
        theirs = clues.places
        places = sum(1 for mine in self.places if any(same_place(mine, t) for t in theirs))
        citations = len(clues.cited & self.papers) + (clues.doi in self.cited)
        return len(self.co_authors & clues.co_authors) + places + citations


class _Clues:
    """What a contributor of a record may share with an author: its name key, the names of
    its co-authors, its places, the record's DOI and the DOIs the record cites."""

    __slots__ = ("key", "co_authors", "places", "doi", "cited")

    def __init__(self, key, co_authors, places, doi, cited):
        self.key, self.co_authors, self.places = key, co_authors, places
        self.doi, self.cited = doi, cited


class _WorkNames:
    """A record's authors' name keys (counted) and the DOIs it cites, computed once per
    record: a paper with hundreds of authors asked for each of them would be quadratic."""

    __slots__ = ("work", "keys", "counts", "names", "cited")

    def __init__(self, work):
        self.work = work
        self.keys = {id(c): contributor_key(c) for c in work.authors}
        self.counts = Counter(self.keys.values())
        self.names = frozenset(key for key in self.counts if key)
        self.cited = _cited_dois(work)

    def key(self, contributor):
        found = self.keys.get(id(contributor))
        return contributor_key(contributor) if found is None else found

    def co_authors(self, own):
        """The names of the others on the record: a namesake of ``own`` counts only when
        there are two of that name."""
        return self.names if self.counts[own] > 1 else self.names - {own}


def _places(contributor):
    return {words for words in map(affiliation_words, contributor.affiliations) if words}


def _cited_dois(work):
    return {entry.doi.lower() for entry in work.references or () if entry.doi}


class Matcher:
    """Matches contributors of a batch of records against the catalogue's authors and
    against each other. ``wanted``: (``records.Work``, its contributors to match) pairs.
    Five queries when some contributor can be matched (the name aliases of its names, the
    authors of those names, their authorships, their papers' co-authors of a name on the
    batch's records, the DOIs their papers cite), none otherwise."""

    def __init__(self, wanted):
        matchable = [c for _, contributors in wanted for c in contributors if is_matchable(c)]
        self.profiles = defaultdict(list)  # name key -> [_Profile]
        self.crowded = set()  # name keys borne by too many authors to match
        self._stored = set()  # ids of the stored candidates
        self._splits = None  # pairs of them a curator split (read at the first fold)
        self.folded = {}  # id(author folded) -> (that author, the author it was folded into)
        self._names = {}  # id(work) -> _WorkNames
        keys = {contributor_key(c) for c in matchable}
        if keys:
            # The names on the batch's records: the only co-author names a record's
            # contributors can share with a candidate (_Clues.co_authors).
            named = {key for work, _ in wanted for key in self._work_names(work).counts}
            self._load(keys, named)

    def _load(self, keys, named):
        """The candidates: authors whose name, or a name alias, has one of ``keys``."""
        aliases = defaultdict(set)  # author id -> alias keys
        for author_id, key in AuthorAlias.objects.filter(
            kind=AuthorAlias.Kind.NAME, value__in=sorted(keys)
        ).values_list("author_id", "value"):
            aliases[author_id].add(key)
        candidates = (
            Author.objects.filter(Q(name_key__in=sorted(keys)) | Q(pk__in=list(aliases)))
            .filter(is_organization=False)
            .order_by()
            .values_list(*AUTHOR_COLUMNS, "name_key")
        )
        by_key, rows = defaultdict(set), {}
        for *columns, key in candidates:
            row = dict(zip(AUTHOR_COLUMNS, columns, strict=True))
            rows[row["pk"]] = row
            for borne in {key} | aliases[row["pk"]]:
                if borne in keys:
                    by_key[borne].add(row["pk"])
        profiles = {}
        for key, pks in by_key.items():
            if len(pks) > MAX_CANDIDATES:
                self.crowded.add(key)
                continue
            for pk in sorted(pks):
                profile = profiles.setdefault(pk, _Profile(row=rows[pk]))
                self.profiles[key].append(profile)
        self._stored = set(profiles)
        if profiles:
            self._read_papers(profiles, named)

    def _read_papers(self, profiles, named):
        """Each candidate's places, papers (DOIs), the DOIs they cite, and co-authors: only
        those whose name is in ``named`` (the names on the batch's records), since a
        contributor's clues name only its record's authors: reading every co-author of
        every candidate was most of an arXiv import's time (20 co-authorships a candidate)."""
        # (No order: the models' default orders would join and sort every row.)
        own = Authorship.objects.filter(ColumnIn("author_id", list(profiles))).order_by()
        authors_of = defaultdict(set)
        for paper_id, doi, author_id, affiliations in own.values_list(
            "paper_id", "paper__doi", "author_id", "affiliations"
        ):
            profile = profiles[author_id]
            if affiliations:
                profile.places |= {w for w in map(affiliation_words, affiliations) if w}
            profile.papers.add((doi or "").lower())
            authors_of[paper_id].add(author_id)
        if not authors_of:
            return
        co_authors = (
            Authorship.objects.filter(
                ColumnIn("paper_id", list(authors_of)), author__name_key__in=sorted(named)
            )
            .order_by()
            .values_list("paper_id", "author_id", "author__name_key")
        )
        for paper_id, author_id, key in co_authors:
            for candidate in authors_of[paper_id]:
                if candidate != author_id:
                    profiles[candidate].co_authors.add(key)
        cited = (
            Reference.objects.filter(ColumnIn("citing_id", list(authors_of)))
            .exclude(doi="")
            .order_by()
        )
        for paper_id, doi in cited.values_list("citing_id", "doi"):
            for author_id in authors_of[paper_id]:
                profiles[author_id].cited.add(doi.lower())

    def match(self, contributor, work):
        """The author already known (stored, or created earlier in the batch) that the
        contributor of ``work`` is, or None for a new author (then call ``remember``).

        The candidates of the same name, not on ``work`` already, that share evidence with
        the contributor: one is taken; several are folded into one (``fold``) and that one
        is taken; when they cannot be folded, the one sharing most, and None when two share
        as much (no guess). No query, except one at the batch's first fold of stored
        authors (the curators' splits among all its candidates)."""
        if not is_matchable(contributor):
            return None
        clues = self._clues(contributor, work)
        key = clues.key
        if key in self.crowded:
            return None
        scored = sorted(
            (
                (evidence, n, profile)
                for n, profile in enumerate(self.profiles.get(key, ()))
                if clues.doi not in profile.papers
                for evidence in [profile.evidence(clues)]
                if evidence
            ),
            key=lambda item: (-item[0], item[1]),
        )
        if not scored:
            return None
        best = self._fold(key, [profile for _, _, profile in scored]) if len(scored) > 1 else None
        if best is None:
            if len(scored) > 1 and scored[1][0] == scored[0][0]:
                return None
            best = scored[0][2]
        best.learn(clues)
        return best.author

    def _work_names(self, work):
        names = self._names.get(id(work))
        if names is None or names.work is not work:
            names = self._names[id(work)] = _WorkNames(work)
        return names

    def _clues(self, contributor, work):
        names = self._work_names(work)
        key = names.key(contributor)
        return _Clues(
            key, names.co_authors(key), _places(contributor), work.doi.lower(), names.cited
        )

    def _fold(self, key, profiles):
        """Fold ``profiles`` (one name's candidates that one record links) into one and
        return its profile; None, folding nothing, when two carry different ORCIDs or a
        curator split two of them. The one kept: the author with an ORCID, else the
        earliest stored, else the first the batch created."""
        orcids = {p.orcid for p in profiles if p.orcid}
        stored = sorted(p.pk for p in profiles if p.pk is not None)
        if len(orcids) > 1:
            return None
        if len(stored) > 1 and self._split_among(stored):
            return None
        keep = min(
            profiles,
            key=lambda p: (
                not p.orcid,
                p.pk is None,
                p.pk or 0,
                self.profiles[key].index(p),
            ),
        )
        for profile in profiles:
            if profile is not keep:
                keep.absorb(profile)
                self.profiles[key].remove(profile)
                self.folded[id(profile.author)] = (profile.author, keep.author)
        return keep

    def _split_among(self, pks):
        """True when a curator split two of these stored authors. The splits among all the
        batch's stored candidates are read once, at its first fold (one query a batch, not
        one a fold: an arXiv batch folds hundreds of groups)."""
        if self._splits is None:
            splits = AuthorSplit.objects.filter(ColumnIn("author_id", sorted(self._stored)))
            self._splits = {
                frozenset(pair)
                for pair in splits.order_by().values_list("author_id", "other_id")
                if pair[0] != pair[1] and pair[1] in self._stored
            }
        return any(frozenset((a, b)) in self._splits for a, b in itertools.combinations(pks, 2))

    def resolve(self, author):
        """The author that ``author`` was folded into (itself when it was not)."""
        while id(author) in self.folded:
            author = self.folded[id(author)][1]
        return author

    def stored_folds(self):
        """[(author kept, [stored authors folded into it])] for ``merge.merge_author_groups``:
        authors the batch created and folded are simply not written (``resolve``)."""
        by_keep = {}
        for author, _ in self.folded.values():
            if author.pk is not None:
                keep = self.resolve(author)
                by_keep.setdefault(id(keep), (keep, []))[1].append(author)
        return list(by_keep.values())

    def remember(self, author, contributor, work):
        """A new author the batch creates for ``contributor``: later records may match it."""
        if not is_matchable(contributor):
            return
        profile = _Profile(author)
        clues = self._clues(contributor, work)
        profile.learn(clues)
        self.profiles[clues.key].append(profile)


def give_openalex_id(author, openalex_id):
    """Give ``author`` the OpenAlex author id a record names it by, when it has none and
    no other author has it (one row per id); returns True if given. No query without an id
    to give."""
    if not openalex_id or author.openalex_id:
        return False
    if Author.objects.filter(openalex_id=openalex_id).exists():
        return False
    Author.objects.filter(pk=author.pk, openalex_id__isnull=True).update(openalex_id=openalex_id)
    author.openalex_id = openalex_id
    return True


def link_openalex_authors(paper, contributors):
    """Enrichment: OpenAlex's authors of ``paper`` (``contributors``, with their OpenAlex
    author ids) name the paper's stored authors, place by place where the family names
    agree. An authorship whose id belongs to another stored author moves to that author
    (OpenAlex says they are one person); an author without an id is given it. Returns how
    many authorships moved (two queries, and the writes)."""
    by_position = {c.position: c for c in contributors if c.openalex_id and c.family}
    if not by_position:
        return 0
    authorships = list(paper.authorships.select_related("author").order_by("position"))
    ids = sorted({c.openalex_id for c in by_position.values()})
    known = {a.openalex_id: a for a in Author.objects.filter(openalex_id__in=ids)}
    changed = 0
    for authorship in authorships:
        contributor = by_position.get(authorship.position)
        if contributor is None or authorship.author.is_organization:
            continue
        if name_key(contributor.family) != name_key(authorship.author.family_name):
            continue
        owner = known.get(contributor.openalex_id)
        if owner is not None and owner.pk != authorship.author_id:
            Authorship.objects.filter(pk=authorship.pk).update(author=owner)
            changed += 1
        elif owner is None and give_openalex_id(authorship.author, contributor.openalex_id):
            known[contributor.openalex_id] = authorship.author
    return changed


def add_name_aliases(author, names):
    """Record ``names`` (of authors merged into ``author``) as its name aliases, those it
    does not bear already; returns how many were added (two queries, none without names)."""
    keys = {name_key(name) for name in names} - {name_key(author.name), ""}
    if not keys:
        return 0
    known = set(author.aliases.filter(kind=AuthorAlias.Kind.NAME).values_list("value", flat=True))
    new = sorted(keys - known)
    AuthorAlias.objects.bulk_create(
        [AuthorAlias(author=author, kind=AuthorAlias.Kind.NAME, value=key) for key in new]
    )
    return len(new)


def lock_names(works):
    """On PostgreSQL, take a transaction-level advisory lock on each name of the batch that
    may be matched, in one query, in a fixed order (so two batches never wait on each other
    in a circle). Call it first in the batch's transaction, before any row is locked or
    written: another import of the same names then waits for this one to commit and finds
    its authors. Nothing elsewhere (SQLite has one writer at a time).

    A name locks one of ``NAME_LOCK_BUCKETS`` keys (its CRC's bucket), so that a batch holds
    at most that many locks whatever its size: one lock a name made a batch of 2,000 arXiv
    papers (7,000 names) run out of the server's lock table (``max_locks_per_transaction``
    × connections). Two names of one bucket wait on each other as one name would; two
    batches of thousands of names share common names anyway."""
    if connection.vendor != "postgresql":
        return
    keys = name_lock_keys(works)
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, key) "
                "FROM unnest(%s::integer[]) AS key ORDER BY key",
                [NAME_LOCK_SPACE, keys],
            )


def name_lock_keys(works):
    """The sorted lock keys (buckets) of the names of ``works`` that may be matched."""
    return sorted(
        {
            zlib.crc32(contributor_key(c).encode()) % NAME_LOCK_BUCKETS
            for work in works
            for c in work.authors
            if is_matchable(c)
        }
    )


# The first half of the advisory lock keys: names of authors (the second is a name's bucket).
NAME_LOCK_SPACE = 7301
NAME_LOCK_BUCKETS = 512
