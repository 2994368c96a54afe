import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.orcid import normalize_orcid
from papers import records


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


@given(base=st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_a_typed_id_and_a_registry_id_pass_the_same_checksum(base):
    """One checksum: of the eleven possible last characters, the one a person may type is
    the one registry records are read with (papers.records)."""
    orcid = "-".join((base[0:4], base[4:8], base[8:12], base[12:15]))
    typed, registered = set(), set()
    for last in "0123456789X":
        if records.normalize_orcid(orcid + last):
            registered.add(last)
        try:
            normalize_orcid(orcid + last)
        except ValidationError as error:
            assert error.code == "checksum"
        else:
            typed.add(last)

    assert len(typed) == 1
    assert typed == registered
