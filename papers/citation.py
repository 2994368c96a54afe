"""A paper as a citation: BibTeX, RIS and CSL-JSON exports, formatted references in the
common citation styles, and the meta tags reference managers read.

Every function takes papers loaded with ``Paper.objects.for_export()`` (or ``for_page()``)
and runs no query: authors, keywords and the journal come from what those methods already
fetched. The list functions take any number of papers (one paper's "Cite" block, a
collection, a whole library) and give each a citation key unique within the list.

- ``export_papers(papers, fmt, *, style=..., name=...)``: the file a reader downloads, as
  ``Export(content, content_type, filename)``; ``fmt`` is one of ``EXPORT_FORMATS``.
- ``bibtex(paper)`` / ``bibtex_library(papers)``: BibTeX (written by ``bibtexparser``);
  the entry type follows the work type, LaTeX specials are escaped, acronyms in the title
  are braced so styles keep their case, non-ASCII stays UTF-8 (biber and modern BibTeX
  read it).
- ``ris(paper)`` / ``ris_records(papers)``: RIS (written by ``rispy``), CRLF line ends.
- ``csl_item(paper)`` / ``csl_items(papers)``: CSL-JSON, the citation style language's
  data format (Zotero, Mendeley, pandoc, citeproc), Crossref work types mapped as
  Crossref's own CSL output maps them.
- The file writers (``bibtex_library``, ``ris_records``, ``csl_json``, ``export_papers``)
  take ``notes``, {paper id: [text, ...]}, written where reference managers keep a
  reader's notes: BibTeX ``annote``, RIS ``N1`` (one each), CSL-JSON ``note``.
- ``formatted_references(papers, style)``: each paper as a reference in a style of
  ``papers.citation_styles.STYLES`` (APA, Chicago, Vancouver, ...), as text and as HTML.
- ``meta_tags(paper)``: ``(name, content)`` pairs for Highwire-style ``citation_*`` meta
  tags, as read by Google Scholar and Zotero.
- ``citation_key(paper)``: a stable key such as ``xu2021construction``.
"""

import hashlib
import json
import re
import string
import unicodedata
from dataclasses import dataclass

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.middlewares import default_unparse_stack
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat

from papers import citation_styles, page_cache

# Crossref work type -> BibTeX entry type; anything else is @misc.
BIBTEX_TYPES = {
    "journal-article": "article",
    "proceedings-article": "inproceedings",
    "book-chapter": "incollection",
    "book-section": "incollection",
    "book-part": "incollection",
    "reference-entry": "incollection",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "proceedings": "proceedings",
    "dissertation": "phdthesis",
    "report": "techreport",
}

# Crossref work type -> RIS TY; anything else is GEN (generic).
RIS_TYPES = {
    "journal-article": "JOUR",
    "proceedings-article": "CONF",
    "book-chapter": "CHAP",
    "book-section": "CHAP",
    "book-part": "CHAP",
    "reference-entry": "CHAP",
    "book": "BOOK",
    "monograph": "BOOK",
    "edited-book": "BOOK",
    "reference-book": "BOOK",
    "dataset": "DATA",
    "database": "DATA",
    "dissertation": "THES",
    "report": "RPRT",
}
# posted-content is narrowed by its subtype.
RIS_SUBTYPES = {"preprint": "UNPB", "working-paper": "UNPB", "blog": "BLOG"}

# What the container (paper.journal) is called, per field of each format.
_BOOK_TYPES = {"book-chapter", "book-section", "book-part", "reference-entry"}
_PROCEEDINGS_TYPES = {"proceedings-article"}

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# Words skipped when the citation key takes the title's first word.
_KEY_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "from", "at"}


# --- shared pieces ---


def page_range(paper):
    """(first, last) page; an article number stands in as the first page, like publishers do.

    "519-527" -> ("519", "527"), "e30" -> ("e30", ""), no pages -> ("", "").
    """
    if not paper.pages:
        return (paper.article_number or "", "")
    # Hyphen, or any Unicode dash (en dash "1\u201313" is common in Crossref records).
    parts = re.split(r"\s*[-\u2010-\u2015]+\s*", paper.pages.strip(), maxsplit=1)
    first, last = (parts + [""])[:2]
    return first, last if last != first else ""


def _authors(paper):
    """The Author rows in position order, from the prefetched authorships."""
    return [authorship.author for authorship in paper.authorships.all()]


def _container_title(paper):
    return paper.journal.title if paper.journal else ""


def _issns(paper):
    return paper.journal.issns if paper.journal else []


def _plain(text):
    """One line: exports and meta tags have no use for the abstract's paragraph breaks."""
    return " ".join((text or "").split())


def _ascii_word(text):
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def citation_key(paper):
    """First author's family name + year + first significant title word, e.g. xu2021construction.

    Stable as long as those three do not change; ASCII letters and digits only.
    """
    authors = _authors(paper)
    name = ""
    if authors:
        first = authors[0]
        name = first.family_name or (first.name.split() or [""])[0]
    words = [_ascii_word(word) for word in (paper.title or "").split()]
    words = [word for word in words if word]
    title_word = next((word for word in words if word not in _KEY_STOPWORDS), "")
    year = str(paper.published_year or "")
    key = _ascii_word(name) + year + title_word
    return key or f"paper{paper.pk}"


def citation_keys(papers):
    """``citation_key`` of each paper, made unique within the list: a repeated key gets a
    letter, as reference managers do (``xu2021construction``, ``xu2021constructiona``)."""
    keys = []
    taken = set()
    for paper in papers:
        base = key = citation_key(paper)
        repeat = 0
        while key in taken:
            key = base + (string.ascii_lowercase[repeat] if repeat < 26 else str(repeat + 1))
            repeat += 1
        taken.add(key)
        keys.append(key)
    return keys


# --- BibTeX ---

_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(char) for char in _BIBTEX_SPECIALS))


def bibtex_escape(text):
    """Text safe inside a braced BibTeX field: LaTeX specials escaped, braces balanced."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_SPECIALS[m.group()], _plain(text))


def _bibtex_title(text):
    """Escape, and brace words with capitals after their first letter (DNA, KRAS/NRAS, eLife)
    so that bibliography styles that lower-case titles keep them."""
    words = []
    for word in _plain(text).split(" "):
        escaped = bibtex_escape(word)
        words.append(f"{{{escaped}}}" if re.search(r"\w[A-Z]", word) else escaped)
    return " ".join(words)


def _bibtex_verbatim(text):
    # doi and url are verbatim fields: no LaTeX escapes, but braces would break the entry.
    return text.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _bibtex_name(author):
    if author.is_organization or not author.family_name:
        # Braced whole, so " and " or a comma in an organisation's name is not parsed.
        return "{" + bibtex_escape(author.name) + "}"
    family = bibtex_escape(author.family_name)
    given = bibtex_escape(author.given_name)
    return f"{family}, {given}" if given else family


def bibtex_entry(paper, key=None, notes=()):
    """The paper as a ``bibtexparser`` Entry under ``key`` (default ``citation_key``), with
    ``notes`` (texts) in ``annote``, the field reference managers keep a reader's notes in
    and bibliography styles do not print.

    Values are given unenclosed, escaped for a braced field (the writer braces them); the
    month is a macro, written bare so that styles print it in the reader's language.
    """
    entry_type = BIBTEX_TYPES.get(paper.work_type, "misc")
    container = _container_title(paper)
    first, last = page_range(paper)
    fields = [
        ("author", " and ".join(_bibtex_name(a) for a in _authors(paper))),
        ("title", _bibtex_title(paper.title)),
    ]
    if entry_type == "article":
        fields.append(("journal", bibtex_escape(container)))
    elif entry_type in {"inproceedings", "incollection"}:
        fields.append(("booktitle", bibtex_escape(container)))
    elif container:
        fields.append(("series", bibtex_escape(container)))
    fields += [
        ("year", str(paper.published_year or "")),
        ("volume", bibtex_escape(paper.volume)),
        ("number", bibtex_escape(paper.issue)),
        # Escaped whole too: an unescaped "}" in a page would end the field and start others.
        (
            "pages",
            f"{bibtex_escape(first)}--{bibtex_escape(last)}" if last else bibtex_escape(first),
        ),
    ]
    publisher_field = {"techreport": "institution", "phdthesis": "school"}.get(
        entry_type, "publisher"
    )
    fields += [
        (publisher_field, bibtex_escape(paper.publisher)),
        ("doi", _bibtex_verbatim(paper.doi or "")),
        ("url", _bibtex_verbatim(paper.doi_url or paper.url)),
        ("issn", ", ".join(map(bibtex_escape, _issns(paper)))),
        ("isbn", ", ".join(map(bibtex_escape, paper.isbns))),
        ("keywords", ", ".join(bibtex_escape(k.name) for k in paper.keywords.all())),
        ("language", bibtex_escape(paper.language)),
        ("abstract", bibtex_escape(paper.abstract)),
    ]
    if entry_type == "misc" and paper.work_type == "posted-content":
        fields.append(("howpublished", paper.work_type_label))
    # One note a paragraph (each on one line, escaped like every other value).
    fields.append(("annote", "\n\n".join(bibtex_escape(note) for note in notes if note)))
    fields = [Field(name, value) for name, value in fields if value]
    if paper.published_month and 1 <= paper.published_month <= 12:
        fields.append(Field("month", _MONTHS[paper.published_month - 1], enclosing="no-enclosing"))
    return Entry(entry_type, key or citation_key(paper), fields)


def _bibtex_format():
    bibtex_format = BibtexFormat()
    bibtex_format.indent = "  "
    bibtex_format.trailing_comma = True
    bibtex_format.block_separator = "\n"
    return bibtex_format


def bibtex_library(papers, notes=None):
    """The papers as one BibTeX file (a str): one entry each, keys unique in the file.
    ``notes``: {paper id: [text, ...]} put in each paper's ``annote``."""
    papers = list(papers)
    keys = citation_keys(papers)
    notes = notes or {}
    library = Library(
        [
            bibtex_entry(paper, key, notes.get(paper.pk, ()))
            for paper, key in zip(papers, keys, strict=True)
        ]
    )
    # The library is ours alone: the writer may brace its values in place, without the copy
    # it otherwise makes of every entry first.
    return bibtexparser.write_string(
        library,
        unparse_stack=default_unparse_stack(allow_inplace_modification=True),
        bibtex_format=_bibtex_format(),
    )


def bibtex(paper):
    """The paper as one BibTeX entry (a str ending in a newline)."""
    return bibtex_library([paper])


# --- RIS ---

# SN (ISSN or ISBN) repeats, one number a line, like AU and KW.
RIS_LIST_TAGS = [*rispy.LIST_TYPE_TAGS, "SN"]


class _RisWriter(rispy.RisWriter):
    """rispy's writer with CRLF line ends, as the format asks, and no "1." line before each
    record (rispy's default header, which other readers take for a stray line)."""

    NEWLINE = "\r\n"

    def set_header(self, count):
        return ""


def ris_type(paper):
    if paper.work_type == "posted-content":
        return RIS_SUBTYPES.get(paper.work_subtype, "GEN")
    return RIS_TYPES.get(paper.work_type, "GEN")


def _ris_name(author):
    if author.is_organization or not author.family_name:
        return author.name
    return f"{author.family_name}, {author.given_name}" if author.given_name else author.family_name


def _ris_date(paper):
    """RIS dates are YYYY/MM/DD/other, with empty parts for what is not known."""
    if not paper.published_year or not paper.published_month:
        return ""
    day = f"{paper.published_day:02d}" if paper.published_day else ""
    return f"{paper.published_year:04d}/{paper.published_month:02d}/{day}/"


def ris_record(paper, notes=()):
    """The paper as a ``rispy`` record: a dict in tag order, empty values left out, every
    value on one line (a newline would start a bogus tag). ``notes`` (texts): one ``N1``
    each, as reference managers write a reader's notes."""
    first, last = page_range(paper)
    fields = {
        "type_of_reference": ris_type(paper),
        "authors": [_plain(_ris_name(author)) for author in _authors(paper)],
        "title": paper.title,
        "secondary_title": _container_title(paper),
        "year": str(paper.published_year or ""),
        "date": _ris_date(paper),
        "volume": paper.volume,
        "number": paper.issue,
        "start_page": first,
        "end_page": last,
        "publisher": paper.publisher,
        "issn": [_plain(number) for number in [*_issns(paper), *paper.isbns]],
        "doi": paper.doi or "",
        "urls": [paper.doi_url or paper.url] if (paper.doi_url or paper.url) else [],
        "language": paper.language,
        "abstract": paper.abstract,
        "keywords": [_plain(keyword.name) for keyword in paper.keywords.all()],
        "notes": [_plain(note) for note in notes],
    }
    record = {}
    for name, value in fields.items():
        value = [item for item in value if item] if isinstance(value, list) else _plain(value)
        if value:
            record[name] = value
    return record


def ris_records(papers, notes=None):
    """The papers as one RIS file (a str): ``TY`` first and ``ER`` last in each record.
    ``notes``: {paper id: [text, ...]}, one ``N1`` line each."""
    notes = notes or {}
    records = [ris_record(paper, notes.get(paper.pk, ())) for paper in papers]
    return _RisWriter(list_tags=RIS_LIST_TAGS).formats(records)


def ris(paper):
    """The paper as one RIS record: ``TY`` first, ``ER`` last, CRLF line ends."""
    return ris_records([paper])


# --- CSL-JSON ---

# Crossref work type -> CSL item type, as Crossref's own CSL-JSON maps them; anything else
# is "document" (CSL 1.0.2's generic type).
CSL_TYPES = {
    "journal-article": "article-journal",
    "proceedings-article": "paper-conference",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "book-part": "chapter",
    "book-track": "chapter",
    "reference-entry": "entry",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "book-set": "book",
    "book-series": "book",
    "proceedings": "book",
    "dataset": "dataset",
    "database": "dataset",
    "dissertation": "thesis",
    "report": "report",
    "report-series": "report",
    "standard": "standard",
    "peer-review": "review",
    "journal": "periodical",
    "journal-issue": "periodical",
    "journal-volume": "periodical",
    # Preprints, working papers: CSL's "article" (an unpublished or preprint article).
    "posted-content": "article",
    "component": "article",
}
CSL_SUBTYPES = {"blog": "post-weblog"}


def _csl_name(author):
    if author.is_organization or not author.family_name:
        return {"literal": author.name}
    name = {"family": author.family_name}
    if author.given_name:
        name["given"] = author.given_name
    return name


def csl_item(paper, key=None, notes=()):
    """The paper as one CSL-JSON item (a dict) with id ``key`` (default ``citation_key``);
    ``notes`` (texts) go in ``note``, one a paragraph, as Zotero exports them.

    Empty values are left out; a paper without a date has no ``issued``, without authors no
    ``author``: every style handles both ("n.d.", the title in the author's place).
    """
    csl_type = CSL_TYPES.get(paper.work_type, "document")
    if paper.work_type == "posted-content":
        csl_type = CSL_SUBTYPES.get(paper.work_subtype, csl_type)
    first, last = page_range(paper)
    date_parts = [paper.published_year, paper.published_month, paper.published_day]
    if None in date_parts:
        date_parts = date_parts[: date_parts.index(None)]
    item = {
        "id": key or citation_key(paper),
        "type": csl_type,
        "title": _plain(paper.title),
        "author": [_csl_name(author) for author in _authors(paper)],
        "container-title": _plain(_container_title(paper)),
        "issued": {"date-parts": [date_parts]} if date_parts else None,
        "volume": _plain(paper.volume),
        "issue": _plain(paper.issue),
        "page": f"{first}-{last}" if last else first,
        "publisher": _plain(paper.publisher),
        "DOI": paper.doi or "",
        "URL": paper.doi_url or paper.url,
        "ISSN": ", ".join(_issns(paper)),
        "ISBN": ", ".join(paper.isbns),
        "language": paper.language,
        "keyword": ", ".join(keyword.name for keyword in paper.keywords.all()),
        "abstract": _plain(paper.abstract),
        "genre": paper.work_type_label if paper.work_type == "posted-content" else "",
        "note": "\n\n".join(note.strip() for note in notes if note.strip()),
    }
    return {name: value for name, value in item.items() if value}


def csl_items(papers, notes=None):
    """The papers as a CSL-JSON list, ids unique in the list (``citation_keys``);
    ``notes``: {paper id: [text, ...]} in each item's ``note``."""
    papers = list(papers)
    keys = citation_keys(papers)
    notes = notes or {}
    return [
        csl_item(paper, key, notes.get(paper.pk, ()))
        for paper, key in zip(papers, keys, strict=True)
    ]


def csl_json(papers, notes=None):
    """The papers as a CSL-JSON file (a str): a JSON array of items."""
    return json.dumps(csl_items(papers, notes), ensure_ascii=False, indent=2) + "\n"


# --- formatted references and exports ---


def formatted_references(papers, style, *, numbered=True):
    """Each paper as a reference in ``style`` (a key of ``citation_styles.STYLES``): a list
    of ``citation_styles.Reference`` (``key``, ``text``, ``html``) in the style's order."""
    return citation_styles.format_references(csl_items(papers), style, numbered=numbered)


@dataclass(frozen=True)
class StyledReference:
    style: str
    label: str
    text: str
    html: str


# Part of the cache key of ``references_in_every_style``: raise it when the formatting
# changes (citation_styles, a new style), so that no process serves the old text.
STYLED_FORMAT = 1
STYLED_SECONDS = 7 * 24 * 3600


def references_in_every_style(paper):
    """The paper as a reference in each style of ``citation_styles.STYLES``, unnumbered (to
    paste into one's own list): what the paper page's "Cite" block shows.

    Formatting all the styles takes a tenth of a second or more, and the page's fragments
    are rebuilt at each rating or review: the result is cached under a hash of the paper's
    CSL-JSON item, so that it is formatted again only when what it cites changes.
    """
    [item] = csl_items([paper])
    key = styled_cache_key(item)
    # In the shared cache when it is there; formatted anyway when it is away.
    found = page_cache.shared(lambda cache: cache.get(key))
    if found is None:
        found = []
        for style, label in citation_styles.STYLES.items():
            [reference] = citation_styles.format_references([item], style, numbered=False)
            found.append(StyledReference(style, label, reference.text, reference.html))
        page_cache.shared(lambda cache: cache.set(key, found, STYLED_SECONDS))
    return found


def styled_cache_key(item):
    """The cache key of a CSL-JSON item's references in every style: its content's hash."""
    digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
    return f"cite:{STYLED_FORMAT}:{digest}"


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    filename: str


# format -> (writer, content type, file extension)
EXPORT_FORMATS = {
    "bibtex": (bibtex_library, "text/x-bibtex", "bib"),
    "ris": (ris_records, "application/x-research-info-systems", "ris"),
    "csl-json": (csl_json, "application/vnd.citationstyles.csl+json", "json"),
    "text": (None, "text/plain", "txt"),
}


def export_papers(papers, fmt, *, style=citation_styles.DEFAULT_STYLE, name=None, notes=None):
    """The papers as a file in ``fmt`` (a key of ``EXPORT_FORMATS``; ``text`` is the
    formatted references in ``style``, one a paragraph, numbered in numbered styles when
    there are several). Runs no query, whatever the number of papers.

    ``notes`` ({paper id: [text, ...]}) go with each paper in the formats that carry a
    reader's notes (BibTeX ``annote``, RIS ``N1``, CSL-JSON ``note``); formatted
    references never print them.

    The file is named ``name`` or, for a single paper, its citation key, else
    "references", with the format's extension. Raises KeyError for an unknown format or
    style: callers check them against ``EXPORT_FORMATS`` and ``citation_styles.STYLES``.
    """
    papers = list(papers)
    write, content_type, extension = EXPORT_FORMATS[fmt]
    if fmt == "text":
        # One reference alone is not numbered: it goes into a list of the reader's own.
        references = formatted_references(papers, style, numbered=len(papers) > 1)
        text = "".join(f"{reference.text}\n\n" for reference in references)
    else:
        text = write(papers, notes)
    if name is None:
        name = citation_key(papers[0]) if len(papers) == 1 else "references"
    return Export(
        content=text.encode("utf-8"),
        content_type=f"{content_type}; charset=utf-8",
        filename=f"{name}.{extension}",
    )


# --- meta tags ---


def _meta_date(paper):
    # Google Scholar wants "2021/05/14", "2021/05" or "2021".
    parts = [paper.published_year, paper.published_month, paper.published_day]
    if parts[0] is None:
        return ""
    shown = [f"{parts[0]:04d}"]
    for part in parts[1:]:
        if part is None:
            break
        shown.append(f"{part:02d}")
    return "/".join(shown)


def meta_tags(paper, *, page_url=""):
    """Highwire ``citation_*`` meta tags as (name, content) pairs, empty values left out.

    One ``citation_author`` per author in order, each followed by its institutions
    (``citation_author_institution``) and ORCID, which is how Google Scholar and Zotero
    pair them.
    """
    container = _container_title(paper)
    container_tag = "citation_journal_title"
    if paper.work_type in _BOOK_TYPES:
        container_tag = "citation_inbook_title"
    elif paper.work_type in _PROCEEDINGS_TYPES:
        container_tag = "citation_conference_title"
    first, last = page_range(paper)
    tags = [("citation_title", paper.title)]
    for authorship in paper.authorships.all():
        tags.append(("citation_author", authorship.author.name))
        tags += [("citation_author_institution", a) for a in authorship.affiliations]
        tags.append(("citation_author_orcid", authorship.author.orcid_url))
    tags += [
        ("citation_publication_date", _meta_date(paper)),
        (container_tag, container),
        ("citation_volume", paper.volume),
        ("citation_issue", paper.issue),
        ("citation_firstpage", first),
        ("citation_lastpage", last),
    ]
    tags += [("citation_issn", issn) for issn in _issns(paper)]
    tags += [("citation_isbn", isbn) for isbn in paper.isbns]
    if paper.work_type == "dissertation":
        tags.append(("citation_dissertation_institution", paper.publisher))
    elif paper.work_type == "report":
        tags.append(("citation_technical_report_institution", paper.publisher))
    tags += [
        ("citation_publisher", paper.publisher),
        ("citation_doi", paper.doi or ""),
        ("citation_language", paper.language),
        ("citation_abstract", _plain(paper.abstract)),
        ("citation_keywords", "; ".join(k.name for k in paper.keywords.all())),
        ("citation_abstract_html_url", page_url),
    ]
    return [(name, _plain(content)) for name, content in tags if _plain(content)]
