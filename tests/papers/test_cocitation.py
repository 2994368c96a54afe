"""Citation neighbours (papers.cocitation) and their place in related lists: papers that
cite the same papers, and papers cited together, are listed with the reason."""

import pytest

from papers import cocitation
from papers.models import Paper, Reference, RelatedPaper
from papers.recommend import FILL_REASONS, place_paper, rebuild_related, related_papers
from tests.factories import PaperFactory

# A and B cite X, Y and Z; C cites X; D cites A and B (so A and B are also cited together).
GRAPH = [("a", "x"), ("a", "y"), ("a", "z"), ("b", "x"), ("b", "y"), ("b", "z"), ("c", "x")]
GRAPH += [("d", "a"), ("d", "b")]


def test_shared_references_and_co_citations_are_counted_and_normalised():
    links = cocitation.neighbours_from_links(GRAPH + [("a", "x"), ("a", "a")])

    a_b = links["a"]["b"]
    assert (a_b.shared_references, a_b.cited_together) == (3, 1)
    # 3 / sqrt(3 × 3) for the references, 1 / sqrt(1 × 1) for the one paper citing both.
    assert a_b.score == pytest.approx(2.0)
    assert links["a"]["c"].score == pytest.approx(1 / 3**0.5, abs=1e-6)
    assert links["x"]["y"].cited_together == 2
    assert "a" not in links["a"]
    assert list(links["a"]) == ["b", "c"]  # best first
    assert a_b.detail == "both cite 3 papers; cited together by 1 paper"


def cite(citing, *cited):
    for position, paper in enumerate(cited):
        Reference.objects.create(citing=citing, position=position, cited=paper, doi=paper.doi)


def build(names):
    papers = {
        name: PaperFactory(title=f"Paper {name} on topic {i * 7919}")
        for i, name in enumerate(names)
    }
    by_citing = {}
    for citing, cited in GRAPH:
        by_citing.setdefault(citing, []).append(papers[cited])
    for citing, cited in by_citing.items():
        cite(papers[citing], *cited)
    return papers


@pytest.mark.django_db
def test_one_papers_neighbours_read_from_the_database_are_the_matrixs():
    papers = build("abcdxyz")
    # An unresolved reference (not in the catalogue) links nothing.
    Reference.objects.create(citing=papers["a"], position=9, doi="10.9999/elsewhere")
    by_name = {paper.pk: name for name, paper in papers.items()}
    matrix = cocitation.neighbours_from_links(GRAPH)

    for name, paper in papers.items():
        read = {by_name[o]: link for o, link in cocitation.neighbours_of(paper.pk).items()}
        assert read == matrix.get(name, {}), name


@pytest.mark.django_db
def test_a_paper_citing_the_same_papers_is_listed_with_the_reason():
    papers = build("abcdxyz")
    rebuild_related()

    rows = {row.related_id: row for row in related_papers(papers["a"].pk)}
    row = rows[papers["b"].pk]
    assert row.reason == RelatedPaper.Reason.CITATIONS
    assert row.reason_display == "Citation links: both cite 3 papers; cited together by 1 paper"
    assert list(rows)[0] == papers["b"].pk


@pytest.mark.django_db
def test_a_placed_paper_gets_its_citation_neighbours():
    papers = build("abcdxyz")
    rebuild_related()
    new = PaperFactory(title="Something else entirely")
    cite(new, papers["x"], papers["y"], papers["z"])

    place_paper(new.pk)

    rows = related_papers(new.pk)
    cited_alike = {r.related_id for r in rows if r.reason == RelatedPaper.Reason.CITATIONS}
    assert {papers["a"].pk, papers["b"].pk} <= cited_alike


@pytest.mark.django_db
def test_a_placed_paper_enters_its_citation_neighbours_lists_with_the_reason():
    papers = build("abcdxyz")
    rebuild_related()
    new = PaperFactory(title="Something else entirely")
    cite(new, papers["x"], papers["y"], papers["z"])

    place_paper(new.pk)

    for name in "ab":
        rows = {row.related_id: row for row in related_papers(papers[name].pk)}
        assert new.pk in rows, name
        assert rows[new.pk].reason == RelatedPaper.Reason.CITATIONS
        assert rows[new.pk].detail == "both cite 3 papers"
        assert [row.rank for row in rows.values()] == list(range(1, len(rows) + 1))
    # Y is cited by the new paper, which makes it no citation neighbour (nothing else cites
    # both): if Y's list shows the new paper, it is for their words.
    reasons = {row.reason for row in related_papers(papers["y"].pk) if row.related_id == new.pk}
    assert RelatedPaper.Reason.CITATIONS not in reasons


@pytest.mark.django_db
def test_a_paper_whose_citation_links_are_gone_leaves_the_lists_showing_it_for_them():
    papers = build("abcdxyz")
    for name, title in zip("abcdxyz", UNRELATED, strict=True):  # no shared word
        Paper.objects.filter(pk=papers[name].pk).update(title=title)
    rebuild_related()
    shown = {row.related_id: row for row in related_papers(papers["a"].pk)}
    assert shown[papers["b"].pk].reason == RelatedPaper.Reason.CITATIONS
    # B's references go, and so does the one paper citing A and B together: no link is left.
    Reference.objects.filter(citing=papers["b"]).delete()
    Reference.objects.filter(citing=papers["d"], cited=papers["b"]).delete()

    place_paper(papers["b"].pk)

    rows = related_papers(papers["a"].pk)
    assert papers["b"].pk not in {r.related_id for r in rows if r.reason not in FILL_REASONS}
    assert [row.rank for row in rows] == list(range(1, len(rows) + 1))


UNRELATED = [
    "Volcanic ash dispersion",
    "Medieval manuscript bindings",
    "Sourdough fermentation kinetics",
    "Glacier calving fronts",
    "Bee colony foraging",
    "Tidal turbine wakes",
    "Opera libretto translation",
]


@pytest.mark.django_db
def test_a_paper_keeps_its_place_while_any_citation_link_is_left():
    papers = build("abcdxyz")
    rebuild_related()
    # B no longer cites X, Y and Z, but D still cites A and B together.
    Reference.objects.filter(citing=papers["b"]).delete()

    place_paper(papers["b"].pk)

    row = next(row for row in related_papers(papers["a"].pk) if row.related_id == papers["b"].pk)
    assert row.reason == RelatedPaper.Reason.CITATIONS
    assert row.detail == "cited together by 1 paper"
