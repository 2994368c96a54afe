"""A paper as a citation: BibTeX and RIS exports, and the meta tags reference managers read.

Every function takes a paper loaded with ``Paper.objects.for_page()`` and runs no query:
authors, keywords and the journal come from what that method already fetched.

- ``bibtex(paper)``: one BibTeX entry; the entry type follows the work type, special
  characters are escaped, acronyms in the title are braced so styles keep their case.
- ``ris(paper)``: one RIS record (CRLF line ends, as the format expects).
- ``meta_tags(paper)``: ``(name, content)`` pairs for Highwire-style ``citation_*`` meta
  tags, as read by Google Scholar and Zotero.
- ``citation_key(paper)``: a stable key such as ``xu2021construction``.
"""

import re
import unicodedata

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


def bibtex(paper):
    """The paper as one BibTeX entry (a str ending in a newline)."""
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
    lines = [f"@{entry_type}{{{citation_key(paper)},"]
    for name, value in fields:
        if value:
            lines.append(f"  {name} = {{{value}}},")
    if paper.published_month and 1 <= paper.published_month <= 12:
        # Month macros (unbraced) let styles print the month in the reader's language.
        lines.append(f"  month = {_MONTHS[paper.published_month - 1]},")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- RIS ---


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


def ris(paper):
    """The paper as one RIS record: ``TY`` first, ``ER`` last, CRLF line ends."""
    first, last = page_range(paper)
    tags = [("TY", ris_type(paper))]
    tags += [("AU", _ris_name(author)) for author in _authors(paper)]
    tags += [
        ("TI", paper.title),
        ("T2", _container_title(paper)),
        ("PY", str(paper.published_year or "")),
        ("DA", _ris_date(paper)),
        ("VL", paper.volume),
        ("IS", paper.issue),
        ("SP", first),
        ("EP", last),
        ("PB", paper.publisher),
    ]
    tags += [("SN", number) for number in [*_issns(paper), *paper.isbns]]
    tags += [
        ("DO", paper.doi or ""),
        ("UR", paper.doi_url or paper.url),
        ("LA", paper.language),
        ("AB", paper.abstract),
    ]
    tags += [("KW", keyword.name) for keyword in paper.keywords.all()]
    # A value may not span lines: a newline would start a bogus tag.
    lines = [f"{tag}  - {_plain(value)}" for tag, value in tags if _plain(value)]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


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
