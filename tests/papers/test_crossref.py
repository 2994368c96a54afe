"""papers.crossref against real recorded Crossref responses (tests/fixtures/crossref*/).

No database and no network: every record is a verbatim Crossref response body. Bad inputs are
real records with one field removed or changed, or obvious garbage.
"""

import copy
import dataclasses
import datetime
import json
from pathlib import Path

import pytest

from papers.crossref import CrossrefError, iter_works, parse_work
from papers.records import Contributor, FunderAward, PartialDate, UpdateNotice, normalize_doi

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CROSSREF = FIXTURES / "crossref"
LISTS = FIXTURES / "crossref-lists"

# The one recorded work Crossref sent with "title": [] (a journal-issue record).
UNTITLED = "10.6002_ect.2015.0371.json"
RECORDS = sorted(p.name for p in CROSSREF.glob("*.json") if p.name not in {"_404_not_found.json"})


def load(name: str) -> dict:
    return json.loads((CROSSREF / name).read_text(encoding="utf-8"))


def work(name: str):
    return parse_work(load(name))


def selected_list_item(doi: str) -> dict:
    """One item of work_list_items_selected.jsonl: lines copied verbatim from the data
    folder's crossref_work_list_items.jsonl.gz (real items of Crossref work-list responses)."""
    for line in (LISTS / "work_list_items_selected.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["item"]["DOI"] == doi:
            return record["item"]
    raise LookupError(doi)


# --- a full journal article --------------------------------------------------------------


def test_it_parses_a_journal_article_with_authors_funding_and_a_sectioned_abstract():
    result = work("10.1136_jclinpath-2020-206745.json")

    assert result.doi == "10.1136/jclinpath-2020-206745"
    assert result.title == (
        "Construction of a reference material panel for detecting "
        "KRAS/NRAS/EGFR/BRAF/MET mutations in plasma ctDNA"
    )
    assert result.work_type == "journal-article"
    assert (result.volume, result.issue, result.pages) == ("74", "5", "314-320")
    assert result.article_number is None
    assert result.publisher == "BMJ"
    assert result.journal.title == "Journal of Clinical Pathology"
    assert result.journal.issns == (("print", "0021-9746"), ("electronic", "1472-4146"))
    assert result.published == PartialDate(2021, 5)
    assert result.license_url == "http://creativecommons.org/licenses/by-nc/4.0/"
    assert result.url == "https://jcp.bmj.com/lookup/doi/10.1136/jclinpath-2020-206745"
    assert (result.reference_count, result.citation_count) == (36, 10)
    assert result.language == "en"


def test_it_keeps_the_authors_in_order_with_orcid_and_affiliation():
    authors = work("10.1136_jclinpath-2020-206745.json").authors

    assert len(authors) == 15
    assert [a.position for a in authors] == list(range(15))
    assert authors[0].display_name == "Jun Xu"
    assert authors[0].sequence == "first"
    assert authors[0].affiliations == (
        "Department of Neurosurgery, China-Japan Friendship Hospital, Beijing, China",
    )
    assert authors[-1].display_name == "Jie Huang"
    yang = authors[13]
    assert (yang.given, yang.family, yang.sequence) == ("Xuexi", "Yang", "additional")
    assert yang.orcid == "0000-0002-3513-6501"  # given as https://orcid.org/...
    assert yang.orcid_authenticated is False
    assert [a.orcid for a in authors].count(None) == 14


def test_it_keeps_an_award_string_as_the_publisher_wrote_it():
    funders = work("10.1136_jclinpath-2020-206745.json").funders

    assert funders == (
        FunderAward(
            name="National Key Research and Development Program",
            funder_doi="10.13039/501100012166",
            awards=("2017YFC0906500 and 2016YFC1000301",),
        ),
    )


def test_it_turns_a_jats_abstract_with_sections_into_paragraphs():
    abstract = work("10.1136_jclinpath-2020-206745.json").abstract
    paragraphs = abstract.split("\n\n")

    assert paragraphs[0] == "Background"
    assert paragraphs[1].startswith("The absence of high-quality next-generation sequencing")
    assert [p for p in paragraphs if len(p) < 20] == [
        "Background",
        "Objective",
        "Methods",
        "Results",
        "Conclusion",
    ]
    # Pretty-printed <jats:italic> inside brackets does not leave "( KRAS )" behind.
    assert "viral oncogene (KRAS)/neuroblastoma ras oncogene (NRAS)/" in abstract
    assert "six mutations in KRAS, two mutations in NRAS, three in BRAF," in abstract
    assert "<" not in abstract and "  " not in abstract


def test_the_parsed_work_is_frozen_and_hashable():
    result = work("10.1136_jclinpath-2020-206745.json")

    assert hash(result) == hash(work("10.1136_jclinpath-2020-206745.json"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.title = "changed"


# --- funders ------------------------------------------------------------------------------


def test_it_merges_duplicate_funders_with_the_same_funder_doi():
    # Listed twice, as "National Natural Science Foundation of China" and as "NSFC".
    funders = work("10.1016_j.ffa.2015.10.008.json").funders

    assert funders == (
        FunderAward(
            name="National Natural Science Foundation of China",
            funder_doi="10.13039/501100001809",
            awards=("61502048", "61370194", "61411146001"),
        ),
    )


def test_it_merges_duplicate_funders_without_a_doi_by_name():
    funders = work("10.1515_crelle-2013-0024.json").funders

    assert funders == (
        FunderAward(
            name="NSF",
            funder_doi=None,
            awards=("DMS-0800084", "DMS-1206661", "DMS-0804042", "DMS-1105187"),
        ),
    )


def test_it_merges_repeated_funders_and_keeps_the_first_seen_order():
    funders = work("10.7554_elife.01567.json").funders  # 8 entries, SystemsX and Lausanne twice

    assert [(f.name, f.funder_doi) for f in funders] == [
        ("SystemsX", None),
        ("EMBO longterm post-doctoral fellowships", None),
        ("Marie Heim-Voegtlin", None),
        ("University of Lausanne", "10.13039/501100006390"),
        ("EMBO", "10.13039/501100003043"),
        ("Swiss National Science Foundation", "10.13039/501100001711"),
    ]


def test_it_drops_funder_entries_without_name_or_doi_and_keeps_cost_with_its_award():
    # The record's funder list is [{"award": ["UID/MULTI/04046/2019"]}, {}, {COST ...}].
    funders = work("10.3389_fpls.2019.00816.json").funders

    assert funders == (
        FunderAward(
            name="COST (European Cooperation in Science and Technology)",
            funder_doi="10.13039/501100000921",
            awards=("CA17111",),
        ),
    )


def test_it_keeps_a_named_funder_with_non_ascii_name_and_drops_the_unnamed_award():
    funders = work("10.3389_fgene.2017.00147.json").funders

    assert funders == (
        FunderAward(
            name="Grantová Agentura České Republiky",
            funder_doi="10.13039/501100001824",
            awards=("GA15-00885S",),
        ),
    )


def test_it_keeps_a_funder_with_neither_doi_nor_awards():
    funders = work("10.1371_journal.pone.0214986.json").funders

    assert funders == (FunderAward("Unites States Environmental Protection Agency", None, ()),)


# --- missing fields and other work types ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "10.1007_10452.1573-5125.json",
        "10.1017_9781108348843.json",
        "10.1101_097196.json",
        "10.1145_2831244.2831252.json",
        "10.1186_isrctn11093872.json",
        "10.2172_972169.json",
        "10.2210_pdb4hhb_pdb.json",
        "10.7287_peerj.3819v0.1_reviews_2.json",
    ],
)
def test_it_leaves_volume_issue_and_pages_empty_when_the_record_has_none(name):
    result = work(name)

    assert (result.volume, result.issue, result.pages) == (None, None, None)


def test_it_has_no_journal_when_there_is_no_container_title():
    result = work("10.2172_972169.json")

    assert result.work_type == "report"
    assert result.journal is None
    assert result.license_url is None


def test_it_parses_a_book_chapter_with_isbns_and_no_volume():
    result = work("10.1007_978-3-662-46370-3_13.json")

    assert result.title == "Clinical Symptoms and Physical Examinations"
    assert result.work_type == "book-chapter"
    assert result.isbns == ("9783662463697", "9783662463703")
    assert result.journal.title == "Shoulder Stiffness"  # the book, as its container
    assert result.journal.issns == ()
    assert (result.volume, result.issue, result.pages) == (None, None, "155-158")
    assert [a.display_name for a in result.authors] == [
        "Ronald L. Diercks",
        "Tom Clement Ludvigsen",
    ]


def test_it_parses_a_biorxiv_preprint_as_posted_content():
    result = work("10.1101_097196.json")

    assert result.doi == "10.1101/097196"
    assert result.title == "A Data Citation Roadmap for Scholarly Data Repositories"
    assert (result.work_type, result.work_subtype) == ("posted-content", "preprint")
    assert result.journal is None
    assert result.published == PartialDate(2016, 12, 28)
    assert len(result.authors) == 11
    assert result.authors[0].display_name == "Martin Fenner"
    assert result.authors[0].orcid == "0000-0003-1419-2405"  # given as http://orcid.org/...
    assert result.abstract.startswith("This article presents a practical roadmap")
    assert "the NIH BioCADDIE (https://biocaddie.org) program." in result.abstract


def test_it_reads_an_article_number_instead_of_pages():
    result = work("10.1186_s13742-015-0103-4.json")

    assert (result.volume, result.issue, result.pages, result.article_number) == (
        "4",
        "1",
        None,
        "64",
    )


def test_it_recognises_an_organisation_author():
    authors = work("10.1186_s13742-015-0103-4.json").authors

    assert len(authors) == 7
    consortium = authors[1]
    assert consortium == Contributor(
        given=None,
        family=None,
        name="The Genome Denmark Consortium",
        is_organization=True,
        orcid=None,
        orcid_authenticated=False,
        affiliations=(),
        sequence="first",  # Crossref has two "first" authors in this record
        position=1,
    )
    assert consortium.display_name == "The Genome Denmark Consortium"
    assert authors[0].is_organization is False
    assert authors[0].name is None


def test_it_treats_an_author_with_only_a_family_name_as_a_person():
    author = work("10.1111_j.1865-1682.2010.01171.x.json").authors[3]

    assert (author.given, author.family, author.is_organization) == (None, "Ehtisham-ul-Haq", False)
    assert author.display_name == "Ehtisham-ul-Haq"


@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("10.1038_nnano.2014.279.json", ["Timo Kuschel", "Günter Reiss"]),
        ("10.3389_fgene.2017.00147.json", ["Josef Pánek", "Martin Modrák", "Marek Schwarz"]),
    ],
)
def test_it_keeps_non_ascii_author_names(name, names):
    assert [a.display_name for a in work(name).authors] == names


def test_it_drops_an_orcid_whose_check_digit_is_wrong():
    envelope = load("10.1136_jclinpath-2020-206745.json")
    envelope["message"]["author"][13]["ORCID"] = "https://orcid.org/0000-0002-3513-6502"

    assert parse_work(envelope).authors[13].orcid is None


def test_it_reads_an_authenticated_orcid():
    author = work("10.1371_journal.pone.0214986.json").authors[0]

    assert (author.display_name, author.orcid) == ("Matthew A. Weber", "0000-0002-1856-0546")
    assert author.orcid_authenticated is True


def test_it_decodes_entities_in_affiliations_and_container_titles():
    pandey = work("10.1145_3448016.3452841.json").authors[0]
    chapter = parse_work(
        json.loads((LISTS / "works_sample_3.json").read_text())["message"]["items"][1]
    )

    assert pandey.affiliations == (
        "Lawrence Berkeley National Lab & University of California, Berkeley, Berkeley, CA, USA",
    )
    assert chapter.journal.title == "Progress in Colloid & Polymer Science"


def test_it_takes_the_first_title_and_subtitle_of_a_bilingual_record():
    result = work("10.1007_s00120-007-1345-2.json")

    assert result.title == "Penisverletzung durch eine Moulinette"
    assert result.subtitle == "Folge einer autoerotischen Selbstverstümmelung"
    assert result.language == "de"


def test_it_prefers_the_version_of_record_licence_over_earlier_ones():
    assert work("10.1016_j.ffa.2015.10.008.json").license_url == (
        "http://www.elsevier.com/open-access/userlicense/1.0/"
    )
    # No "vor" licence: the first one is used.
    assert work("10.1016_j.neurobiolaging.2010.03.024.json").license_url == (
        "https://www.elsevier.com/tdm/userlicense/1.0/"
    )


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "precision", "iso"),
    [
        # published-print [[2015]] only
        ("10.1007_978-3-662-46370-3_13.json", PartialDate(2015), "year", "2015"),
        # published-print [[1997, 7]] wins over published-online [[2005, 2, 18]]
        ("10.1002_jor.1100150407.json", PartialDate(1997, 7), "month", "1997-07"),
        # no print date: published-online [[2019, 7, 2]]
        ("10.3389_fpls.2019.00816.json", PartialDate(2019, 7, 2), "day", "2019-07-02"),
        # issued is [[null]] and nothing else is published: created [[2004, 6, 22]]
        ("10.1109_icdcsw.2003.1203662.json", PartialDate(2004, 6, 22), "day", "2004-06-22"),
    ],
)
def test_it_picks_the_best_publication_date_with_its_precision(name, expected, precision, iso):
    published = work(name).published

    assert published == expected
    assert published.precision == precision
    assert published.isoformat() == iso


# --- updates (Crossmark) --------------------------------------------------------------------


def test_it_reads_a_correction_notice_on_the_corrected_work():
    result = parse_work(selected_list_item("10.1371/journal.pbio.0050002"))

    assert result.updates == (
        UpdateNotice(
            kind="correction",
            doi="10.1371/journal.pbio.0060304",
            date=datetime.date(2008, 11, 25),
            direction="updated-by",
            label="Correction",
        ),
    )
    assert result.is_retracted is False


def test_it_reads_the_work_a_correction_notice_updates():
    result = parse_work(
        selected_list_item("10.1371/annotation/53374aad-bc04-4c64-b313-8ff9b881d0da")
    )

    assert result.title.startswith("Correction: Magnetic Resonance Imaging")
    assert result.updates == (
        UpdateNotice(
            kind="correction",
            doi="10.1371/journal.pone.0052774",
            date=datetime.date(2013, 9, 20),
            direction="update-to",
            label="Correction",
        ),
    )


def test_it_reads_a_new_version_link_in_both_directions():
    result = parse_work(selected_list_item("10.1371/journal.pgen.1011490"))

    assert [(u.direction, u.kind, u.doi) for u in result.updates] == [
        ("updated-by", "new_version", "10.1371/journal.pgen.1011490"),
        ("update-to", "new_version", "10.1371/journal.pgen.1011490"),
    ]
    assert result.is_retracted is False


def test_a_work_updated_by_a_retraction_is_retracted():
    # No recorded response carries a retraction (see the data README). Crossref's retraction
    # links have the same shape as its correction links, so the real correction is relabelled.
    record = copy.deepcopy(selected_list_item("10.1371/journal.pbio.0050002"))
    record["updated-by"][0].update(type="retraction", label="Retraction")

    result = parse_work(record)

    assert result.updates[0].kind == "retraction"
    assert result.is_retracted is True


# --- JATS and escaped markup ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("10.1038_srep16696.json", "Oligomers of alpha-synuclein are toxic to cells"),
        ("10.1515_crelle-2013-0024.json", "We investigate rigidity and stability properties"),
    ],
)
def test_it_drops_the_leading_abstract_heading(name, start):
    assert work(name).abstract.startswith(start)


def test_it_decodes_escaped_comparison_signs_in_an_abstract_once():
    abstract = work("10.1002_jor.1100150407.json").abstract

    assert "declined by about 60% (p < 0.001) in both groups" in abstract
    assert "&lt;" not in abstract and "&gt;" not in abstract
    assert "\n" not in abstract  # one paragraph


def test_it_keeps_mathml_text_and_separates_sentences_run_together_by_italics():
    abstract = work("10.1155_2012_291294.json").abstract

    assert abstract.startswith("Objective. To find a statistically significant separation point")
    assert "an additional sample. Results. In 575 initially positive" in abstract
    assert "chi-square = 131.0,P<0.001)" in abstract


def test_it_reads_abstracts_with_other_namespace_prefixes_or_none():
    blog = work("10.53731_rceh7pn-tzg61kj-7zv63.json")  # <ns4:p>
    entry = parse_work(
        json.loads((LISTS / "works_query_ecology_rows_2.json").read_text())["message"]["items"][0]
    )  # <p>

    assert blog.abstract.startswith("In October Jen Gibson started as the new Executive Director")
    assert blog.abstract.endswith("from 2013 to 2016.")
    assert entry.abstract.startswith("Communication is perhaps the most important")
    assert "<" not in entry.abstract


def test_it_decodes_an_abstract_the_publisher_escaped_twice():
    # The record has "(&amp;lt;1\u00a0M⊙)" and starts with <jats:title>ABSTRACT</jats:title>.
    abstract = parse_work(selected_list_item("10.1093/mnras/stad1891")).abstract

    assert abstract.startswith("Using the Las Cumbres Observatory Global Telescope Network")
    assert "mostly low-mass pre-main sequence stars (<1 M⊙) in the cluster" in abstract


@pytest.mark.parametrize(
    ("doi", "title"),
    [
        ("10.1001/jama.2014.11667", "Abstraction: Windows"),
        (
            "10.1002/2050-7038.12442/v2/review2",
            'Review for "Hybrid risk‐averse energy management optimizer for large‐scale '
            'industrial building microgrids"',
        ),
        (
            "10.1001/archpedi.1951.02040040742008",
            "IDIOPATHIC ACQUIRED HEMOLYTIC ANEMIA IN AN INFANT "
            "Successful Treatment with Corticotropin (ACTH)",
        ),
    ],
)
def test_it_strips_html_and_escaped_markup_from_titles(doi, title):
    assert parse_work(selected_list_item(doi)).title == title


# --- rejecting unusable records ---------------------------------------------------------------


@pytest.mark.parametrize("value", [[], "x", None, 42])
def test_parse_work_rejects_garbage(value):
    with pytest.raises(CrossrefError, match="expected a JSON object"):
        parse_work(value)


def test_parse_work_rejects_a_work_list_envelope():
    envelope = json.loads((LISTS / "works_sample_3.json").read_text())

    with pytest.raises(CrossrefError, match="work-list"):
        parse_work(envelope)


def test_parse_work_rejects_a_failed_response():
    envelope = load("10.7554_elife.01567.json")
    envelope["status"] = "failed"

    with pytest.raises(CrossrefError, match="status"):
        parse_work(envelope)


def test_parse_work_rejects_a_record_without_doi():
    envelope = load("10.7554_elife.01567.json")
    del envelope["message"]["DOI"]

    with pytest.raises(CrossrefError, match="no DOI"):
        parse_work(envelope)


def test_parse_work_rejects_a_record_with_a_malformed_doi():
    envelope = load("10.7554_elife.01567.json")
    envelope["message"]["DOI"] = "elife.01567"

    with pytest.raises(CrossrefError, match="a DOI looks like"):
        parse_work(envelope)


def test_the_real_record_that_has_no_title_is_named_by_its_type_and_journal():
    # Refused before issue 15: a researcher who adds the DOI expects a page
    # (tests/papers/test_untitled_records.py has the other kinds).
    assert work(UNTITLED).title == (
        "Untitled journal issue in Experimental and Clinical Transplantation"
    )


def test_a_title_that_is_only_whitespace_counts_as_none():
    envelope = load("10.7554_elife.01567.json")
    envelope["message"]["title"] = ["  \n "]

    assert parse_work(envelope).title == "Untitled journal article in eLife"


def test_parse_work_rejects_the_recorded_404_body():
    with pytest.raises(CrossrefError, match="no DOI"):
        parse_work(load("_404_not_found.json"))


# --- iter_works ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dois"),
    [
        (
            "works_sample_3.json",
            ["10.1117/12.2214605", "10.1007/bfb0110966", "10.1007/s00142-022-00530-w"],
        ),
        (
            "works_query_ecology_rows_2.json",
            ["10.1093/obo/9780199830060-0238", "10.1093/obo/9780199830060-0023"],
        ),
        (
            "works_query_ecology_rows_3_select.json",
            [
                "10.1093/obo/9780199830060-0238",
                "10.1093/obo/9780199830060-0026",
                "10.1093/obo/9780199830060-0202",
            ],
        ),
    ],
)
def test_iter_works_yields_each_item_of_a_work_list(name, dois):
    envelope = json.loads((LISTS / name).read_text(encoding="utf-8"))

    works = [parse_work(item) for item in iter_works(envelope)]

    assert [w.doi for w in works] == dois
    assert all(w.title for w in works)


def test_iter_works_accepts_items_trimmed_by_select():
    envelope = json.loads((LISTS / "works_query_ecology_rows_3_select.json").read_text())

    fire = parse_work(list(iter_works(envelope))[1])

    assert (fire.title, fire.work_type, fire.journal) == ("Fire Ecology", "", None)
    assert fire.published == PartialDate(2012, 5, 23)
    assert [a.display_name for a in fire.authors] == ["John Parminter"]


def test_iter_works_yields_the_message_of_a_single_work_envelope_or_a_bare_message():
    envelope = load("10.7554_elife.01567.json")

    assert list(iter_works(envelope)) == [envelope["message"]]
    assert list(iter_works(envelope["message"])) == [envelope["message"]]


def test_iter_works_yields_bad_items_of_a_bare_list_for_the_caller_to_reject():
    items = json.loads((LISTS / "works_sample_3.json").read_text())["message"]["items"]

    yielded = list(iter_works([*items, "x"]))

    assert yielded[:3] == items
    assert [parse_work(item).doi for item in yielded[:3]][0] == "10.1117/12.2214605"
    with pytest.raises(CrossrefError):
        parse_work(yielded[3])


@pytest.mark.parametrize("value", ["x", 42, None])
def test_iter_works_rejects_what_is_not_a_response(value):
    with pytest.raises(CrossrefError):
        list(iter_works(value))


def test_iter_works_rejects_an_envelope_of_another_message_type():
    envelope = json.loads((LISTS / "works_sample_3.json").read_text())
    envelope["message-type"] = "funder-list"

    with pytest.raises(CrossrefError, match="funder-list"):
        list(iter_works(envelope))


# --- every recorded response ----------------------------------------------------------------


def test_the_fixture_folder_holds_every_recorded_response():
    assert len(RECORDS) == 57


@pytest.mark.parametrize("name", [n for n in RECORDS if n != UNTITLED])
def test_every_recorded_work_parses_with_a_title_and_its_normalised_doi(name):
    envelope = load(name)

    result = parse_work(envelope)

    assert result.title
    assert result.doi == normalize_doi(envelope["message"]["DOI"])
    assert result.published is not None
    assert all(a.display_name for a in result.authors)
