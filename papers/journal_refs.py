"""A preprint's journal-ref: where it says it was published, without a DOI.

arXiv's metadata snapshot gives a preprint's published version as a DOI (``doi``, linked by
``papers.version_groups``) or only as text (``journal-ref``: "Phys.Rev.D76:013009,2007",
"Nucl. Phys. B467 (1996) 369-384"). The text is read into a volume, a first page (or article
number) and a year (``parse``); a text that does not give all three is not kept.

The preprint's published version is the catalogue paper with that volume, that first page or
article number, that year (or one either side: a journal's print year may follow its online
one), and a title close to the preprint's (``TITLE_SIMILARITY`` of their normalised texts).
The title is required: a volume, a page and a year are shared by papers of many journals,
and journal names are abbreviated in too many ways to compare. Two papers passing is no
match (no guess).

Found, the two are joined by a ``VersionLink`` ("is-preprint-of", with the source of the
preprint's record) as a DOI would have joined them: the page names the published version,
lists show one card, and a curator unlinks it the same way, for good. Not found, the
``JournalRef`` waits: ``link_arrivals`` looks for the preprints waiting for the volumes of the
papers an import writes.
"""

import re
from collections import defaultdict
from difflib import SequenceMatcher

from papers import version_groups
from papers.authors import name_key
from papers.models import JournalRef, Paper, VersionLink

# How close (difflib's ratio of the normalised titles, 0..1) a published title must be to
# the preprint's: titles are often reworded a little on publication, never replaced.
TITLE_SIMILARITY = 0.8
# The years either side of the journal-ref's that a published version may carry.
YEAR_SLACK = 1
# Fields of a stored paper whose change may make it some preprint's published version.
MATCHED_FIELDS = frozenset(
    {"title", "volume", "pages", "article_number", "published", "published_year"}
)

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_PARENTHESES = re.compile(r"\([^)]*\)")
_NUMBER = re.compile(r"\d+")


def parse(text):
    """(volume, first page, year) of a journal-ref, or None when it does not give all three.

    The year is the last four-digit year; what stands in parentheses (an issue, the year) is
    dropped; of the numbers left, the first is the volume and the second the first page or
    article number ("D76:013009" -> 76, 13009; "B467 (1996) 369-384" -> 467, 369)."""
    text = text or ""
    years = list(_YEAR.finditer(text))
    if not years:
        return None
    year = years[-1]
    rest = _PARENTHESES.sub(" ", f"{text[: year.start()]} {text[year.end() :]}")
    numbers = _NUMBER.findall(rest)
    if len(numbers) < 2:
        return None
    volume, page = (number.lstrip("0") for number in numbers[:2])
    if not volume or not page:
        return None
    return volume, page, int(year.group())


def page_keys(paper):
    """The first page and the article number of a stored paper, as ``parse`` writes them."""
    keys = set()
    for text in (paper.pages, paper.article_number):
        number = _NUMBER.search(text or "")
        if number and number.group().lstrip("0"):
            keys.add(number.group().lstrip("0"))
    return keys


def is_published_version(ref, preprint_title, paper):
    """Whether stored ``paper`` is the version ``ref`` (a JournalRef) names."""
    return (
        paper.pk != ref.paper_id
        and bool(paper.doi)
        and (paper.volume or "").lstrip("0") == ref.volume
        and ref.page in page_keys(paper)
        and paper.published_year is not None
        and abs(paper.published_year - ref.year) <= YEAR_SLACK
        and _similar(preprint_title, paper.title)
    )


def _similar(one, other):
    one, other = name_key(one), name_key(other)
    return bool(one and other) and SequenceMatcher(None, one, other).ratio() >= TITLE_SIMILARITY


# --- what imports do ---


def store(pairs, *, source):
    """Keep the journal-refs of ``pairs`` ((saved paper, its ``records.Work``)) and link
    those whose published version the catalogue holds. A journal-ref read again unchanged
    changes nothing; a changed one waits anew. No query when no record gives one (only
    arXiv snapshot records without a DOI do); else a read, the writes, a search and the
    links. Returns how many were linked."""
    parsed = {}
    for paper, work in pairs:
        found = parse(work.journal_ref) if work.journal_ref else None
        if found:
            parsed[paper.pk] = (paper, work.journal_ref[:500], found)
    if not parsed:
        return 0
    stored = {ref.paper_id: ref for ref in JournalRef.objects.filter(paper_id__in=list(parsed))}
    new, changed = [], []
    for paper_id, (paper, text, (volume, page, year)) in parsed.items():
        ref = stored.get(paper_id)
        if ref is None:
            fields = {"text": text, "volume": volume, "page": page, "year": year}
            new.append(JournalRef(paper=paper, source=source, **fields))
        elif ref.text != text:
            ref.text, ref.volume, ref.page, ref.year, ref.linked = text, volume, page, year, None
            changed.append(ref)
    JournalRef.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent import's first
    JournalRef.objects.bulk_update(changed, ["text", "volume", "page", "year", "linked"])
    waiting = [*new, *changed]
    candidates = _papers_of_volumes(waiting)
    found = [
        (ref, match)
        for ref in waiting
        for match in [_only(ref, parsed[ref.paper_id][0].title, candidates[ref.volume])]
        if match is not None
    ]
    return _link(found, [paper for paper, _, _ in parsed.values()])


def link_arrivals(papers):
    """Link the preprints waiting for ``papers`` (written by an import: new, or with a
    changed volume, page, year or title). One query when some of them has a volume (a
    journal article), none otherwise; then the links. Returns how many were linked."""
    by_volume = defaultdict(list)
    for paper in papers:
        if paper.doi and (paper.volume or "").lstrip("0"):
            by_volume[paper.volume.lstrip("0")].append(paper)
    if not by_volume:
        return 0
    waiting = (
        JournalRef.objects.filter(linked__isnull=True, volume__in=sorted(by_volume))
        .select_related("paper")
        .only("paper__title", *(f.name for f in JournalRef._meta.concrete_fields))
    )
    found = [
        (ref, match)
        for ref in waiting
        for match in [_only(ref, ref.paper.title, by_volume[ref.volume])]
        if match is not None
    ]
    return _link(found, papers)


def _papers_of_volumes(refs):
    """{volume: [stored papers of that volume within the refs' years]} (one query)."""
    if not refs:
        return defaultdict(list)
    years = {year for ref in refs for year in range(ref.year - YEAR_SLACK, ref.year + 2)}
    papers = Paper.objects.filter(
        volume__in=sorted({ref.volume for ref in refs}), published_year__in=sorted(years)
    ).only("doi", "title", "volume", "pages", "article_number", "published_year")
    by_volume = defaultdict(list)
    for paper in papers:
        by_volume[paper.volume.lstrip("0")].append(paper)
    return by_volume


def _only(ref, preprint_title, papers):
    """The one paper of ``papers`` that ``ref`` names; None for none, or for two."""
    found = [paper for paper in papers if is_published_version(ref, preprint_title, paper)]
    return found[0] if len(found) == 1 else None


def _link(found, instances):
    """Join each (JournalRef, published paper) of ``found`` with a version link, and mark
    the JournalRef linked; ``instances``: the caller's papers, whose provenance in memory
    gets the stamp the links wrote (the caller may save them later). Returns how many."""
    if not found:
        return 0
    entry = version_groups.add_links(
        [
            (ref.paper_id, VersionLink.Relation.IS_PREPRINT_OF, paper, ref.source)
            for ref, paper in found
        ]
    )
    stamped = {pk for ref, paper in found for pk in (ref.paper_id, paper.pk)}
    for paper in instances:
        if paper.pk in stamped and entry is not None:
            paper.provenance["versions"] = entry
    for ref, paper in found:
        JournalRef.objects.filter(paper_id=ref.paper_id).update(linked=paper)
    return len(found)
