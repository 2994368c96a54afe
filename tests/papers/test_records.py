"""papers.records: DOI normalisation, the ORCID check digit, and the Work record's values.

The parsers that fill these values are tested on real recorded responses in test_crossref.py,
test_datacite.py, test_arxiv.py and test_openalex.py.
"""

import datetime

import pytest

from papers.records import (
    PartialDate,
    RecordError,
    normalize_doi,
    normalize_orcid,
    orcid_check_digit,
)

# --- normalize_doi ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "10.1234/abc",
        "10.1234/ABC",
        "  10.1234/abc\n",
        "doi:10.1234/abc",
        "DOI: 10.1234/abc",
        "https://doi.org/10.1234/abc",
        "http://doi.org/10.1234/ABC",
        "http://dx.doi.org/10.1234/abc",
        "HTTPS://DX.DOI.ORG/10.1234/abc",
    ],
)
def test_normalize_doi_accepts_the_usual_written_forms(value):
    assert normalize_doi(value) == "10.1234/abc"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.1000.10/x", "10.1000.10/x"),
        ("10.123456789/x", "10.123456789/x"),
        (
            "https://doi.org/10.1890/0012-9658(2006)87[2832:TIOPMA]2.0.CO;2",
            "10.1890/0012-9658(2006)87[2832:tiopma]2.0.co;2",
        ),
        ("10.1111/(ISSN)1442-9993", "10.1111/(issn)1442-9993"),
    ],
)
def test_normalize_doi_keeps_unusual_but_valid_dois(value, expected):
    assert normalize_doi(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "abc",
        "10.123/abc",  # registrant code too short
        "10.1234567890/abc",  # and too long
        "11.1234/abc",
        "10.1234",
        "10.1234/",
        "10.1234/ab c",
        "https://example.org/10.1234/abc",
        "doi:",
    ],
)
def test_normalize_doi_rejects_what_is_not_a_doi(value):
    with pytest.raises(RecordError, match="a DOI looks like 10.1234/abc"):
        normalize_doi(value)


@pytest.mark.parametrize("value", ["10.1234/x\ud800", "10.1234/\udfff"])
def test_normalize_doi_rejects_a_lone_surrogate_that_no_url_or_database_can_encode(value):
    with pytest.raises(RecordError, match="a DOI looks like 10.1234/abc"):
        normalize_doi(value)


@pytest.mark.parametrize("value", [None, 101234, ["10.1234/abc"]])
def test_normalize_doi_rejects_non_strings(value):
    with pytest.raises(RecordError):
        normalize_doi(value)


# --- ORCID iDs ------------------------------------------------------------------------------


def test_the_orcid_check_digit_follows_iso_7064_mod_11_2():
    assert orcid_check_digit("000000021825009") == "7"
    assert orcid_check_digit("000000021694233") == "X"


@pytest.mark.parametrize(
    "value",
    [
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "http://orcid.org/0000-0002-1825-0097 ",
        "https://sandbox.orcid.org/0000-0002-1825-0097",
    ],
)
def test_normalize_orcid_reads_the_id_at_the_end_of_a_registry_value(value):
    assert normalize_orcid(value) == "0000-0002-1825-0097"


def test_normalize_orcid_reads_a_lower_case_check_character_x():
    assert normalize_orcid("0000-0002-1694-233x") == "0000-0002-1694-233X"


@pytest.mark.parametrize(
    "value",
    [
        "0000-0002-1825-0098",  # wrong check digit
        "0000-0002-1694-2339",  # X expected
        "0000000218250097",  # registries write the hyphens
        "0000-0002-1825-0097/",
        "",
        None,
        97,
    ],
)
def test_normalize_orcid_gives_none_for_what_is_not_a_valid_id(value):
    assert normalize_orcid(value) is None


# --- PartialDate ------------------------------------------------------------------------------


def test_a_partial_date_sorts_as_the_first_day_it_could_mean():
    assert PartialDate(1997, 7).as_date() == datetime.date(1997, 7, 1)
    assert PartialDate(2015).as_date() == datetime.date(2015, 1, 1)
