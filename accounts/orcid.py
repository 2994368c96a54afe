"""ORCID iDs as people type them: parse any usual spelling, check the check digit, normalise.

The checksum is ``papers.records.orcid_check_digit``, the one registry records are checked
with; here a wrong iD is a ValidationError that says what to fix.
"""

import re

from django.core.exceptions import ValidationError

from papers.records import orcid_check_digit

_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])")
_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/", "orcid:")


def normalize_orcid(value):
    """``value`` as 0000-0000-0000-000X; ValidationError when it is not a valid ORCID iD.

    Takes the bare iD with or without hyphens, a lower-case x, and the orcid.org URL.
    """
    text = (value or "").strip()
    for prefix in _PREFIXES:
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    match = _ORCID.fullmatch(text.upper())
    if not match:
        raise ValidationError(
            "Enter an ORCID iD as 16 characters, e.g. 0000-0002-1825-0097.", code="format"
        )
    digits = "".join(match.groups())
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValidationError(
            "This is not a valid ORCID iD: its last character (the checksum) does not match. "
            "Please check it for a typing mistake.",
            code="checksum",
        )
    return "-".join(match.groups())


def validate_orcid(value):
    """A model-field validator: the stored value must already be normalised."""
    if normalize_orcid(value) != value:
        raise ValidationError("Store ORCID iDs as 0000-0000-0000-000X.", code="normalised")
