"""The curators' admin (papers/admin.py): lists, search, filters, the paper form, merges.

Requests go through the real admin with a logged-in superuser (pytest-django's
``admin_client``); papers are real recorded Crossref records imported through ingest, and
factories where only numbers matter.
"""

import json
import re
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from papers.crossref import parse_work
from papers.ingest import apply_keywords, upsert_work
from papers.models import Author, Authorship, Category, Journal, Keyword, Paper
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    CategoryFactory,
    FunderFactory,
    FundingFactory,
    JournalFactory,
    KeywordFactory,
    PaperFactory,
)
from tests.records import import_record

CROSSREF = Path(__file__).resolve().parent.parent / "fixtures" / "crossref"
JCLINPATH = "10.1136_jclinpath-2020-206745.json"

pytestmark = pytest.mark.django_db

PAPERS = reverse("admin:papers_paper_changelist")


@pytest.fixture
def admin_client(client, django_user_model):
    """A logged-in superuser, made without a password: hashing one is slow and not tested."""
    user = django_user_model.objects.create(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def record(name):
    return parse_work(json.loads((CROSSREF / name).read_text("utf-8")))


def change_url(paper):
    return reverse("admin:papers_paper_change", args=[paper.pk])


def titles_listed(response):
    return [paper.title for paper in response.context["cl"].result_list]


def form_data(response):
    """The POST data the change form would send as rendered (initial values, inlines).

    As a browser does, it includes the hidden initial value that Django renders beside a
    field with a callable default (a JSON list): without it, the field counts as changed.
    """
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = value  # a JSON field's value is already its text, "[]"
    _add_hidden_initials(form, data)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[inline_form.add_prefix(name)] = (
                        json.dumps(value) if isinstance(value, list) else value
                    )
            _add_hidden_initials(inline_form, data)
    # Booleans left out mean False, as a browser sends them.
    return {k: v for k, v in data.items() if v is not False}


def _add_hidden_initials(form, data):
    for name, field in form.fields.items():
        if field.show_hidden_initial:
            bound = form[name]
            data[bound.html_initial_name] = field.prepare_value(bound.initial)


# --- who gets in ---


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="reader"))

    response = client.get(PAPERS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- the paper list ---


def test_the_paper_list_takes_the_same_number_of_queries_for_1_and_30_papers(
    admin_client, django_assert_num_queries
):
    PaperFactory()
    # session, user, the 15 busiest journals (journal filter), count of papers (paginator),
    # the same for "x of y", one page of papers with their journals, distinct work types
    # and distinct years (filters)
    with django_assert_num_queries(8):
        response = admin_client.get(PAPERS)
    assert len(response.context["cl"].result_list) == 1

    PaperFactory.create_batch(29)
    with django_assert_num_queries(8):
        response = admin_client.get(PAPERS)
    assert len(response.context["cl"].result_list) == 30


def test_searching_an_author_name_finds_the_paper_once(admin_client):
    paper = import_record(JCLINPATH)
    PaperFactory(title="An unrelated study")

    # Two authors of this paper are called Xu: the paper is listed once.
    response = admin_client.get(PAPERS, {"q": "Xu"})

    assert titles_listed(response) == [paper.title]


def test_searching_a_doi_link_finds_the_paper(admin_client):
    paper = import_record(JCLINPATH)
    PaperFactory()

    response = admin_client.get(PAPERS, {"q": "https://doi.org/10.1136/JCLINPATH-2020-206745"})

    assert titles_listed(response) == [paper.title]


@pytest.mark.parametrize(
    "query",
    [
        {"work_type__exact": "book-chapter"},
        {"published_year__exact": "2015"},
        {"is_retracted__exact": "1"},
        {"metadata_status__exact": "failed"},
        {"journal__id__exact": "JOURNAL"},
    ],
)
def test_each_list_filter_narrows_the_papers(admin_client, query):
    match = PaperFactory(
        title="The one to find",
        work_type="book-chapter",
        published_year=2015,
        is_retracted=True,
        metadata_status=Paper.MetadataStatus.FAILED,
    )
    PaperFactory.create_batch(3)
    query = {k: str(match.journal_id) if v == "JOURNAL" else v for k, v in query.items()}

    response = admin_client.get(PAPERS, query)

    assert titles_listed(response) == ["The one to find"]


def journal_choices(response):
    (spec,) = [f for f in response.context["cl"].filter_specs if f.title.startswith("journal")]
    return [label for _, label in spec.lookup_choices]


def test_the_journal_filter_offers_the_busiest_journals_and_the_chosen_one(admin_client):
    busy = JournalFactory(title="Busy Journal")
    PaperFactory.create_batch(3, journal=busy)
    quiet = JournalFactory(title="Quiet Journal")
    PaperFactory(journal=quiet)
    PaperFactory.create_batch(15)  # 15 more journals of one paper each

    offered = journal_choices(admin_client.get(PAPERS))
    assert offered[0] == "Busy Journal (3)"
    assert len(offered) == 15
    assert "Quiet Journal (1)" not in offered  # 16 journals of one paper: one is left out

    offered = journal_choices(admin_client.get(PAPERS, {"journal__id__exact": quiet.pk}))
    assert offered[0] == "Quiet Journal"


def test_a_bad_filter_value_is_not_a_server_error(admin_client):
    response = admin_client.get(PAPERS, {"journal__id__exact": "not-a-number"})

    assert response.status_code in {200, 302}


# --- the paper form ---


def test_the_change_form_shows_provenance_as_a_read_only_table(admin_client):
    paper = import_record(JCLINPATH)

    response = admin_client.get(change_url(paper))

    html = response.content.decode()
    assert '<table class="provenance">' in html
    stamp = paper.provenance["title"]["at"]
    assert f"<tr><td>title</td><td>crossref</td><td>{stamp}</td></tr>" in html
    assert 'name="provenance"' not in html  # shown, not editable
    assert "provenance" not in response.context["adminform"].form.fields


def test_the_form_lists_the_authorships_in_order_and_the_funding(admin_client):
    paper = import_record(JCLINPATH)

    response = admin_client.get(change_url(paper))

    inlines = response.context["inline_admin_formsets"]
    authorships, keywords, categories, fundings, notices, references = inlines
    assert [f.instance.position for f in authorships.formset.forms] == list(range(15))
    assert keywords.formset.forms == categories.formset.forms == []  # the record has none
    assert str(fundings.formset.forms[0].instance.funder).startswith("National Key Research")
    assert notices.formset.forms == []
    # The reference list as the record gives it, read-only.
    assert [f.instance.position for f in references.formset.forms] == list(range(1, 37))


def test_a_field_locked_in_the_form_survives_a_reimport(admin_client):
    paper = import_record(JCLINPATH)
    data = form_data(admin_client.get(change_url(paper)))
    data.update(title="A curated title", locked_fields=["title", "authors"])

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    paper.refresh_from_db()
    assert paper.locked_fields == ["title", "authors"]
    assert paper.provenance["title"]["source"] == "curator admin"
    work = record(JCLINPATH)
    upsert_work(work)
    paper.refresh_from_db()
    assert paper.title == "A curated title"
    assert paper.authorships.count() == 15


def test_keywords_and_categories_are_edited_as_links_with_their_source(admin_client):
    paper = import_record("10.3389_fpls.2019.00816.json")  # Crossref: "Plant Science"
    response = admin_client.get(change_url(paper))
    categories = response.context["inline_admin_formsets"][2]
    assert [str(f.instance) for f in categories.formset.forms] == ["Plant Science (Crossref)"]
    assert "Crossref" in response.content.decode()  # the source, shown read-only
    curated = CategoryFactory(name="Stomatal development")
    data = form_data(response)
    data.update({"category_links-TOTAL_FORMS": "2", "category_links-1-category": curated.pk})

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    links = set(paper.category_links.values_list("category__name", "source"))
    assert links == {("Plant Science", "crossref"), ("Stomatal development", "curator")}
    paper.refresh_from_db()
    assert paper.provenance["categories"]["source"] == "curator admin"
    assert "Stomatal development" in paper.search_document
    # A Crossref re-import replaces Crossref's links only.
    upsert_work(record("10.3389_fpls.2019.00816.json"))
    assert set(paper.category_links.values_list("category__name", "source")) == links


def test_a_link_re_pointed_becomes_the_curators_and_a_deleted_one_goes(admin_client):
    paper = import_record("10.3389_fpls.2019.00816.json")  # Crossref: "Plant Science"
    apply_keywords(paper.doi, ["stomata", "guard cells"], source="openalex")
    response = admin_client.get(change_url(paper))
    keywords = response.context["inline_admin_formsets"][1].formset.forms
    stomata = next(i for i, f in enumerate(keywords) if f.instance.keyword.name == "stomata")
    curated = KeywordFactory(name="Stomatal development")
    data = form_data(response)
    data[f"keyword_links-{stomata}-keyword"] = str(curated.pk)  # re-pointed
    data["category_links-0-DELETE"] = "on"  # Plant Science

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(paper.keyword_links.values_list("keyword__name", "source")) == {
        ("guard cells", "openalex"),
        ("Stomatal development", "curator"),
    }
    assert not paper.category_links.exists()
    paper.refresh_from_db()
    assert paper.provenance["keywords"]["source"] == "curator admin"
    assert paper.provenance["categories"]["source"] == "curator admin"
    assert "Plant Science" not in paper.search_document.splitlines()  # the journal has it too
    assert "Stomatal development" in paper.search_document
    # The history says what changed, as for any inline.
    history = LogEntry.objects.get(object_id=str(paper.pk)).get_change_message()
    assert "Changed Keyword for paper keyword “Stomatal development" in history
    assert "Deleted paper category" in history


def test_the_lock_checkboxes_show_what_is_locked(admin_client):
    paper = import_record(JCLINPATH)
    Paper.objects.filter(pk=paper.pk).update(locked_fields=["abstract"])

    html = admin_client.get(change_url(paper)).content.decode()

    checked = re.findall(r'<input type="checkbox" name="locked_fields" value="(\w+)"[^>]*>', html)
    assert "abstract" in checked
    assert re.search(r'value="abstract"[^>]*checked', html)
    assert not re.search(r'value="title"[^>]*checked', html)


def test_a_bad_doi_is_a_form_error(admin_client):
    paper = import_record(JCLINPATH)
    data = form_data(admin_client.get(change_url(paper)))
    data["doi"] = "not a doi"

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 200
    assert "is not a DOI" in str(response.context["adminform"].form.errors["doi"])
    assert Paper.objects.get(pk=paper.pk).doi == "10.1136/jclinpath-2020-206745"


def test_a_doi_link_is_stored_as_the_bare_lower_case_doi(admin_client):
    paper = PaperFactory(doi=None)
    data = form_data(admin_client.get(change_url(paper)))
    data["doi"] = "https://doi.org/10.5555/ABC.Def"

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 302
    assert Paper.objects.get(pk=paper.pk).doi == "10.5555/abc.def"


def test_a_doi_another_paper_has_in_another_case_is_a_form_error(admin_client):
    import_record(JCLINPATH)
    paper = PaperFactory()
    data = form_data(admin_client.get(change_url(paper)))
    data["doi"] = "10.1136/JCLINPATH-2020-206745"

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 200
    assert "Another paper already has this DOI" in str(
        response.context["adminform"].form.errors["doi"]
    )


def test_a_paper_added_without_a_doi_is_stored_with_none(admin_client):
    add_url = reverse("admin:papers_paper_add")
    data = form_data(admin_client.get(add_url))
    data.update(title="A working paper", work_type="report", doi="   ")

    first = admin_client.post(add_url, data)
    second = admin_client.post(add_url, {**data, "title": "Another working paper"})

    assert (first.status_code, second.status_code) == (302, 302)
    assert list(Paper.objects.order_by("title").values_list("title", "doi")) == [
        ("A working paper", None),
        ("Another working paper", None),
    ]
    assert Paper.objects.get(title="A working paper").provenance["title"]["source"] == (
        "curator admin"
    )


def test_adding_an_author_in_the_form_refreshes_the_search_text(admin_client):
    paper = import_record(JCLINPATH)
    newcomer = AuthorFactory(name="Grace Hopper")
    data = form_data(admin_client.get(change_url(paper)))
    data.update(
        {
            "authorships-TOTAL_FORMS": "16",
            "authorships-15-position": "15",
            "authorships-15-author": str(newcomer.pk),
            "authorships-15-affiliations": "[]",
        }
    )

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 302
    paper.refresh_from_db()
    assert "Grace Hopper" in paper.search_document
    assert paper.provenance["authors"]["source"] == "curator admin"


def test_two_authors_can_swap_places(admin_client):
    paper = import_record(JCLINPATH)
    first, second = paper.authorships.order_by("position")[:2]
    data = form_data(admin_client.get(change_url(paper)))
    data.update({"authorships-0-position": "1", "authorships-1-position": "0"})

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 302
    assert Authorship.objects.get(pk=first.pk).position == 1
    assert Authorship.objects.get(pk=second.pk).position == 0
    assert sorted(paper.authorships.values_list("position", flat=True)) == list(range(15))


def test_two_authors_in_one_position_is_a_form_error(admin_client):
    paper = import_record(JCLINPATH)
    data = form_data(admin_client.get(change_url(paper)))
    data["authorships-1-position"] = "0"

    response = admin_client.post(change_url(paper), data)

    assert response.status_code == 200
    assert "Two authorships have position 0." in response.content.decode()
    assert sorted(paper.authorships.values_list("position", flat=True)) == list(range(15))


def test_the_author_box_finds_authors_by_name(admin_client):
    import_record(JCLINPATH)

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Xuexi",
            "app_label": "papers",
            "model_name": "authorship",
            "field_name": "author",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == ["Xuexi Yang"]


# --- the other lists ---


@pytest.mark.parametrize("model_name", ["journal", "author", "keyword", "category", "funder"])
def test_each_catalogue_list_counts_papers_in_constant_queries(
    admin_client, django_assert_num_queries, model_name
):
    # Three rows of each list, on 1, 2 and 3 papers: per-row queries would show as more.
    for papers in (1, 2, 3):
        journal, author, keyword, category, funder = (
            JournalFactory(),
            AuthorFactory(),
            KeywordFactory(),
            CategoryFactory(),
            FunderFactory(),
        )
        for _ in range(papers):
            paper = PaperFactory(journal=journal)
            AuthorshipFactory(paper=paper, author=author, position=0)
            paper.keywords.add(keyword)
            paper.categories.add(category)
            FundingFactory(paper=paper, funder=funder)
    url = reverse(f"admin:papers_{model_name}_changelist")

    # session, user, count of rows (paginator), the same for "x of y", one page of rows
    # each annotated with its paper count
    with django_assert_num_queries(5):
        response = admin_client.get(url)

    rows = list(response.context["cl"].result_list)
    assert sorted(row.paper_count for row in rows) == [1, 2, 3]


# --- merging ---


def test_merging_authors_asks_which_to_keep_then_merges(admin_client):
    import_record("10.1045_january2017-burton.json")
    import_record("10.1101_097196.json")
    import_record("10.53731_ybhah-9jy85.json")
    without_orcid = Author.objects.get(name="Martin Fenner", orcid=None)
    with_orcid = Author.objects.get(orcid="0000-0003-1419-2405")
    url = reverse("admin:papers_author_changelist")
    selected = {"action": "merge_authors", "_selected_action": [without_orcid.pk, with_orcid.pk]}

    page = admin_client.post(url, selected)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Which author to keep" in html
    # The author on two papers is chosen by default.
    assert re.search(rf'value="{with_orcid.pk}" id="keep-{with_orcid.pk}" checked', html)
    assert "ORCID 0000-0003-1419-2405" in html and "no ORCID" in html

    response = admin_client.post(url, {**selected, "keep": with_orcid.pk, "apply": "yes"})

    assert response.status_code == 302
    assert list(Author.objects.filter(name="Martin Fenner")) == [with_orcid]
    assert with_orcid.authorships.count() == 3
    message = [str(m) for m in admin_client.get(url).context["messages"]]
    assert message == ["Merged 2 authors into “Martin Fenner”: 1 authorship moved."]


def test_a_refused_merge_shows_why_and_changes_nothing(admin_client):
    import_record(JCLINPATH)
    import_record("10.1101_097196.json")
    yang = Author.objects.get(orcid="0000-0002-3513-6501")
    fenner = Author.objects.get(orcid="0000-0003-1419-2405")
    url = reverse("admin:papers_author_changelist")
    data = {
        "action": "merge_authors",
        "_selected_action": [yang.pk, fenner.pk],
        "keep": yang.pk,
        "apply": "yes",
    }

    response = admin_client.post(url, data, follow=True)

    html = response.content.decode()
    assert "Not merged: These authors have different ORCIDs" in html
    assert Author.objects.filter(pk__in=[yang.pk, fenner.pk]).count() == 2


def test_merging_journals_through_the_admin(admin_client):
    plos = import_record("10.1371_journal.pone.0000030.json")
    typed_in = Journal.objects.create(title="PLOS ONE")
    PaperFactory.create_batch(2, journal=typed_in)
    url = reverse("admin:papers_journal_changelist")
    selected = {"action": "merge_journals", "_selected_action": [plos.journal_id, typed_in.pk]}

    page = admin_client.post(url, selected)
    assert re.search(
        rf'value="{typed_in.pk}" id="keep-{typed_in.pk}" checked', page.content.decode()
    )
    response = admin_client.post(
        url, {**selected, "keep": typed_in.pk, "apply": "yes"}, follow=True
    )

    assert "Merged 2 journals into “PLOS ONE”: 1 paper moved." in response.content.decode()
    assert list(Journal.objects.all()) == [typed_in]
    assert Journal.objects.get().issn_electronic == "1932-6203"


def test_merging_keywords_and_categories_through_the_admin(admin_client):
    paper = import_record("10.1016_j.pediatrneurol.2015.06.002.json")
    neurology = Category.objects.get(name="Neurology")
    clinical = Category.objects.get(name="Neurology (clinical)")
    first, second = KeywordFactory(name="epilepsy"), KeywordFactory(name="epilepsies")
    paper.keywords.add(first, second)

    admin_client.post(
        reverse("admin:papers_category_changelist"),
        {
            "action": "merge_categories",
            "_selected_action": [neurology.pk, clinical.pk],
            "keep": neurology.pk,
            "apply": "yes",
        },
    )
    admin_client.post(
        reverse("admin:papers_keyword_changelist"),
        {
            "action": "merge_keywords",
            "_selected_action": [first.pk, second.pk],
            "keep": first.pk,
            "apply": "yes",
        },
    )

    assert not Category.objects.filter(pk=clinical.pk).exists()
    assert list(paper.keywords.all()) == [first]
    assert list(Keyword.objects.all()) == [first]
    assert neurology in paper.categories.all()


def test_a_kept_row_outside_the_selection_merges_nothing(admin_client):
    one, two, stranger = KeywordFactory(), KeywordFactory(), KeywordFactory()
    url = reverse("admin:papers_keyword_changelist")
    data = {
        "action": "merge_keywords",
        "_selected_action": [one.pk, two.pk],
        "keep": stranger.pk,
        "apply": "yes",
    }

    response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert "Choose the keyword to keep." in response.content.decode()
    assert Keyword.objects.count() == 3


def test_merging_one_row_only_asks_for_another(admin_client):
    keyword = KeywordFactory()
    url = reverse("admin:papers_keyword_changelist")

    response = admin_client.post(
        url, {"action": "merge_keywords", "_selected_action": [keyword.pk]}, follow=True
    )

    assert "Select at least two keywords to merge." in response.content.decode()
    assert Keyword.objects.filter(pk=keyword.pk).exists()


def test_a_curator_who_may_not_delete_authors_has_no_merge_action(django_user_model):
    curator = django_user_model.objects.create(username="curator", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_author", "change_author"])
    )
    client = Client()
    client.force_login(curator)
    one, two = AuthorFactory(), AuthorFactory()

    response = client.get(reverse("admin:papers_author_changelist"))
    assert "merge_authors" not in response.content.decode()
    client.post(
        reverse("admin:papers_author_changelist"),
        {
            "action": "merge_authors",
            "_selected_action": [one.pk, two.pk],
            "keep": one.pk,
            "apply": "yes",
        },
    )
    assert Author.objects.filter(pk__in=[one.pk, two.pk]).count() == 2
