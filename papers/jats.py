"""JATS and HTML markup to plain text: the titles and abstracts registries deliver.

Crossref and DataCite give titles and abstracts as JATS XML or HTML fragments, sometimes
with the markup escaped twice; arXiv and OpenAlex give plain text that may still carry an
entity. ``clean_text`` makes a one-line title, ``clean_abstract`` paragraphs separated by a
blank line. Pure functions of a string: nothing else of ours is imported.
"""

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({"p", "title", "sec", "list", "list-item", "disp-quote", "abstract"})
_SKIPPED_TAGS = frozenset({"annotation", "annotation-xml"})  # TeX copies of MathML formulas
# A tag: a name, then only name="value" attributes, so that "a<b and c>d" is not one.
_TAG = r"</?{name}(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>"
_MARKUP = re.compile(_TAG.format(name=r"[A-Za-z][\w.:-]*"))
# Markup that survived one round of decoding because the publisher escaped it twice
# ("&lt;scp&gt;" in titles, "&amp;lt;" in abstracts). Only these known names are removed.
_ESCAPED_TAG = re.compile(
    _TAG.format(name=r"(?:[a-z]+:)?(scp|sc|i|b|em|strong|italic|bold|sub|sup|u|subtitle|p|br)"),
    re.IGNORECASE,
)
_ESCAPED_BLOCKS = frozenset({"p", "subtitle", "br"})  # become a space, not glue two words
_ESCAPED_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);", re.IGNORECASE)


class _JatsText(HTMLParser):
    """Collects the text of JATS/HTML markup as a list of paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._buffer: list[str] = []
        self._skipping = 0
        self._after_inline_tag = False

    def handle_starttag(self, tag: str, attrs) -> None:
        self._on_tag(tag, opening=True)

    def handle_endtag(self, tag: str) -> None:
        self._on_tag(tag, opening=False)

    def _on_tag(self, tag: str, *, opening: bool) -> None:
        local = tag.rsplit(":", 1)[-1]
        if local in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping + (1 if opening else -1))
        elif local in _BLOCK_TAGS:
            self.flush()
        else:
            self._after_inline_tag = True

    def handle_data(self, data: str) -> None:
        if self._skipping > 0:
            return
        last = self._buffer[-1][-1:] if self._buffer else ""
        # "results.<italic>Method</italic>" is two sentences run together by the markup.
        if self._after_inline_tag and last in ".!?" and data[:1].isupper():
            self._buffer.append(" ")
        self._after_inline_tag = False
        self._buffer.append(data)

    def flush(self) -> None:
        text = "".join(self._buffer)
        self._buffer = []
        # Line breaks beside punctuation are pretty-printing of inline tags: "(\n  <italic>".
        text = re.sub(r"([(\[/])\s*\n\s*", r"\1", text)
        text = re.sub(r"\s*\n\s*([)\],;:./])", r"\1", text)
        text = " ".join(_decode_leftovers(text).split())
        if text:
            self.paragraphs.append(text)


def _decode_leftovers(text: str) -> str:
    text = _ESCAPED_TAG.sub(lambda m: " " if m.group(1).lower() in _ESCAPED_BLOCKS else "", text)
    return _ESCAPED_ENTITY.sub(lambda m: html.unescape(m.group()), text)


def _paragraphs(value: str) -> list[str]:
    if not _MARKUP.search(value):
        # Plain text (maybe with a bare "x<y" a parser would swallow): blank lines split it.
        chunks = re.split(r"\n\s*\n", html.unescape(value))
        return [p for p in (" ".join(_decode_leftovers(c).split()) for c in chunks) if p]
    parser = _JatsText()
    parser.feed(value)
    parser.close()
    parser.flush()
    return parser.paragraphs


def clean_text(value: object) -> str:
    """Return a one-line plain-text version of a registry string: tags dropped, entities
    decoded, whitespace collapsed. Non-strings give ""."""
    return " ".join(_paragraphs(value)) if isinstance(value, str) else ""


def clean_abstract(value: object) -> str:
    """Return a JATS/HTML abstract as plain text, paragraphs separated by a blank line.

    Entities are decoded once, plus a second time only for markup the publisher escaped twice.
    A leading "Abstract" heading is dropped; section headings stay as their own paragraphs.
    """
    paragraphs = _paragraphs(value) if isinstance(value, str) else []
    if paragraphs and paragraphs[0].rstrip(".:").casefold() == "abstract":
        paragraphs = paragraphs[1:]
    return "\n\n".join(paragraphs)
