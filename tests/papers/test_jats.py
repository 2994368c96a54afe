"""papers.jats on small strings shaped like what registries send.

The same converter on whole recorded records: the JATS tests in test_crossref.py and the
abstract tests in test_datacite.py.
"""

import pytest

from papers.jats import clean_abstract, clean_text


def test_clean_text_drops_namespaced_tags_and_decodes_entities():
    assert clean_text("<jats:italic>Drosophila</jats:italic> &amp; mice") == "Drosophila & mice"


def test_clean_text_keeps_comparison_signs_that_are_not_a_tag():
    assert clean_text("a<b and c>d") == "a<b and c>d"


def test_clean_text_removes_markup_the_publisher_escaped_twice():
    assert clean_text("&lt;scp&gt;DNA&lt;/scp&gt; repair") == "DNA repair"


def test_clean_abstract_drops_the_heading_and_keeps_sections_as_paragraphs():
    value = (
        "<jats:title>Abstract</jats:title><jats:sec><jats:title>Background</jats:title>"
        "<jats:p>One.</jats:p></jats:sec><jats:p>Two &amp;lt; three</jats:p>"
    )

    assert clean_abstract(value) == "Background\n\nOne.\n\nTwo < three"


def test_clean_abstract_skips_the_tex_copy_of_a_formula():
    value = '<mml:math><mml:mi>x</mml:mi><mml:annotation encoding="TeX">x^2</mml:annotation>'
    assert clean_abstract(value + "</mml:math> grows") == "x grows"


def test_clean_abstract_separates_sentences_run_together_by_an_inline_tag():
    assert clean_abstract("results.<italic>Methods</italic> follow") == "results. Methods follow"


def test_clean_abstract_splits_plain_text_at_blank_lines_only():
    assert clean_abstract("First paragraph\nwrapped.\n\nSecond.") == (
        "First paragraph wrapped.\n\nSecond."
    )


@pytest.mark.parametrize("value", [None, 42, ["<p>x</p>"]])
def test_what_is_not_a_string_gives_empty_text(value):
    assert clean_text(value) == ""
    assert clean_abstract(value) == ""
