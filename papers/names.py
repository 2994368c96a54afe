"""Names for matching people: ``name_key``, stored on each author (``Author.name_key``) and
computed for each contributor of a record, so that ingest finds an author's namesakes
through an index (``papers.authors``)."""

import functools
import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 18)
def name_key(name):
    """A name for matching: lower case, without accents or punctuation, single spaces.
    Cached: an import meets the same names again and again."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NOT_WORD.sub(" ", text.casefold())
    return _SPACES.sub(" ", text).strip()
