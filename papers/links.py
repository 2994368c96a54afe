"""Which URLs may become a link on our pages: one decision, used everywhere.

A registry record, a curator or a reader gives us a URL that ends up as ``<a href>``.
Escaping stops it breaking out of the attribute, but not ``javascript:`` or ``data:``
running when clicked. So every parser, form, API field and model field that takes a link
passes it through ``safe_link``; the ``safe_link`` template filter (papers/templatetags/
links.py) checks again at render time, for rows written before the check existed.
"""

import html
import re
import unicodedata
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MAX_LINK_CHARS = 2000
SCHEMES = {"http", "https"}
# A host name (IDN letters included) or an IP address (urlsplit drops IPv6's brackets);
# no "%", "\\" or other characters a browser would read differently.
_HOST = re.compile(r"^(?:[\w-]+(?:\.[\w-]+)*\.?|[0-9a-f:.]+)$", re.IGNORECASE)


def safe_link(value: object) -> str | None:
    """``value`` stripped, if it is a link safe to put in an href; otherwise None.

    Safe: a string of at most MAX_LINK_CHARS with an http or https scheme, a host, no
    credentials (``user:pass@``), and no whitespace, control or invisible characters
    inside it (browsers drop tabs and newlines, so ``java\\tscript:`` is javascript:).
    The scheme is read both from the text and from the text with HTML entities decoded,
    so ``&#106;avascript:`` is refused too. Pure; no queries.
    """
    if not isinstance(value, str):
        return None
    link = value.strip(" \t\n\r\f\v\x00")
    if not link or len(link) > MAX_LINK_CHARS:
        return None
    if any(unicodedata.category(char)[0] in "CZ" for char in link):
        return None
    decoded = html.unescape(link)
    if not (_is_plain_http(link) and _is_plain_http(decoded)):
        return None
    return link


def _is_plain_http(link: str) -> bool:
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme.casefold() in SCHEMES
        # "https:/x" or "https:\\x" are not what they look like; want the two slashes.
        and link[len(parts.scheme) : len(parts.scheme) + 3] == "://"
        and "@" not in parts.netloc
        and bool(parts.hostname)
        and bool(_HOST.match(parts.hostname))
    )


@deconstructible
class LinkValidator:
    """Django validator: refuses a non-blank value that ``safe_link`` refuses."""

    message = "Enter a web address starting with http:// or https://, without a user name."
    code = "unsafe_link"

    def __call__(self, value):
        if value and safe_link(value) is None:
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, LinkValidator)


validate_link = LinkValidator()
