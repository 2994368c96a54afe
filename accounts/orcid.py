"""ORCID iDs: parse any usual spelling, check the ISO 7064 mod 11-2 check digit, normalise.

https://support.orcid.org/hc/en-us/articles/360006897674 describes the checksum.
"""

import re

from django.core.exceptions import ValidationError

_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])")
_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/", "orcid:")


def check_digit(base_digits):
    """The ISO 7064 mod 11-2 check character of the first 15 digits: "0"-"9" or "X"."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


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
    if check_digit(digits[:15]) != digits[15]:
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
