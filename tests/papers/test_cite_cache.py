"""The paper page's "Cite" block is formatted once per content of the paper, not at every
rebuild of the page's fragments (papers.citation.references_in_every_style)."""

import pytest
from django.core.cache import cache

from papers import citation
from papers.models import Paper
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def for_export(paper):
    return Paper.objects.for_export().get(pk=paper.pk)


def key_of(paper):
    [item] = citation.csl_items([for_export(paper)])
    return citation.styled_cache_key(item)


def test_the_styles_are_formatted_once_and_again_when_the_paper_changes():
    paper = PaperFactory(title="Tea parties in the garden")
    cache.delete(key_of(paper))

    first = citation.references_in_every_style(for_export(paper))
    assert [ref.style for ref in first] == list(citation.citation_styles.STYLES)
    assert all("tea parties in the garden" in ref.text.lower() for ref in first)
    # Kept under the paper's content: the next rebuild of its page formats nothing.
    assert cache.get(key_of(paper)) == first
    assert citation.references_in_every_style(for_export(paper)) == first

    # Another content is another key: a renamed paper is formatted again.
    Paper.objects.filter(pk=paper.pk).update(title="Tea parties by the river")
    assert cache.get(key_of(paper)) is None
    renamed = citation.references_in_every_style(for_export(paper))
    assert all("tea parties by the river" in ref.text.lower() for ref in renamed)
    assert cache.get(key_of(paper)) == renamed
