"""Related papers: the "Recommended" list of every paper, as ranked RelatedPaper rows.

Content similarity comes from ``papers.similarity``; this module reads the catalogue into
documents, writes the lists of a run, and swaps runs when one is complete.
"""

from django.db.models import Prefetch

from papers.models import Authorship, Paper
from papers.similarity import Document


def load_documents(paper_ids=None, *, with_categories=True, batch_size=2000):
    """The catalogue (or these papers) as similarity Documents, in id order.

    Retracted papers are included: they get no list shown, but leaving them out would
    change every other paper's vectors the day one is retracted. Four queries per batch.
    """
    papers = Paper.objects.order_by("pk").only("pk", "title", "abstract", "journal__title")
    papers = papers.select_related("journal").prefetch_related(
        Prefetch(
            "authorships",
            queryset=Authorship.objects.order_by("position").only(
                "paper_id", "author_id", "position"
            ),
        ),
        "keywords",
    )
    if with_categories:
        papers = papers.prefetch_related("categories")
    if paper_ids is not None:
        papers = papers.filter(pk__in=list(paper_ids))
    documents = []
    last = 0
    while True:
        batch = list(papers.filter(pk__gt=last)[:batch_size])
        if not batch:
            return documents
        for paper in batch:
            documents.append(
                Document(
                    paper_id=paper.pk,
                    title=paper.title,
                    abstract=paper.abstract,
                    keywords=tuple(k.name for k in paper.keywords.all()),
                    categories=(
                        tuple(c.name for c in paper.categories.all()) if with_categories else ()
                    ),
                    journal=paper.journal.title if paper.journal else "",
                    authors=tuple(str(a.author_id) for a in paper.authorships.all()),
                )
            )
        last = batch[-1].pk
