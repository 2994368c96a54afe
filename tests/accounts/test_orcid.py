import pytest
from django.core.exceptions import ValidationError

from accounts.orcid import check_digit, normalize_orcid


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0000-0002-1825-0097", "0000-0002-1825-0097"),  # ORCID's own example
        ("0000000218250097", "0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("  orcid.org/0000-0002-1825-0097 ", "0000-0002-1825-0097"),
        ("0000-0002-1694-233x", "0000-0002-1694-233X"),  # check digit X, typed lower case
        ("0000-0001-5109-3700", "0000-0001-5109-3700"),
    ],
)
def test_it_accepts_and_normalises_valid_orcid_ids(typed, stored):
    assert normalize_orcid(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "0000-0002-1825-0098",  # wrong check digit
        "0000-0002-1825-0079",  # two digits swapped
        "0000-0002-1694-2339",  # X expected
    ],
)
def test_it_refuses_a_wrong_checksum_with_a_clear_message(typed):
    with pytest.raises(ValidationError) as error:
        normalize_orcid(typed)
    assert error.value.code == "checksum"
    assert "checksum" in error.value.messages[0]


@pytest.mark.parametrize(
    "typed",
    ["", "0000-0002-1825", "0000-0002-1825-00977", "abcd-0002-1825-0097", "X000-0002-1825-0097"],
)
def test_it_refuses_what_is_not_shaped_like_an_orcid_id(typed):
    with pytest.raises(ValidationError) as error:
        normalize_orcid(typed)
    assert error.value.code == "format"


def test_the_check_digit_follows_iso_7064_mod_11_2():
    assert check_digit("000000021825009") == "7"
    assert check_digit("000000021694233") == "X"
