"""Exports of a collection and of a whole library (library.exports): the files parse back
with bibtexparser, rispy and json, carry the right notes to the right reader, download with
a file name, and cost the same number of queries whatever the number of papers."""

import json

import bibtexparser
import pytest
import rispy
from rest_framework.test import APIClient

from accounts.account_data import delete_account, export_account
from library import collections, exports, notes
from library.models import Collection, Entry
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def paper_by(given, family, title, **fields):
    paper = PaperFactory(title=title, **fields)
    AuthorshipFactory(
        paper=paper, position=0, author=AuthorFactory(given_name=given, family_name=family)
    )
    return paper


@pytest.fixture
def papers(db):
    return [
        paper_by(
            "José", "Müller", "DNA repair in Escherichia coli: 50% & more", published_year=2020
        ),
        paper_by("Zoë", "Ångström", "Graph neural networks for {braces}", published_year=2021),
    ]


@pytest.fixture
def thesis(alice, bob, papers):
    """alice's private collection, shared with bob, with a note on the first entry and
    alice's private note on the second paper."""
    thesis = collections.create_collection(owner=alice, name="Thèse: chapter 2")
    collections.share(collection=thesis, user=bob, by=alice)
    collections.add_papers(collection=thesis, papers=papers, by=alice)
    collections.set_entry_note(entry=thesis.entries.get(paper=papers[0]), note="Core", by=alice)
    notes.save_note(user=alice, paper=papers[1], text="Alice's private thought")
    notes.save_note(user=bob, paper=papers[1], text="Bob's private thought")
    return thesis


def test_bibtex_parses_back_with_names_notes_and_braced_acronyms(alice, thesis, papers):
    export = exports.export_collection(thesis, "bibtex", user=alice)

    library = bibtexparser.parse_string(export.content.decode())
    first, second = library.entries

    assert export.filename == "these-chapter-2.bib"
    assert export.content_type == "text/x-bibtex; charset=utf-8"
    assert not library.failed_blocks
    assert first["author"] == "Müller, José"
    assert first["title"] == r"{DNA} repair in Escherichia coli: 50\% \& more"
    assert first["annote"] == "Core"
    assert second["author"] == "Ångström, Zoë"
    assert second["title"] == r"Graph neural networks for \{braces\}"
    assert second["annote"] == "Alice's private thought"
    assert "Bob" not in export.content.decode()


def test_ris_parses_back_with_crlf_and_one_n1_per_note(alice, thesis, papers):
    collections.set_entry_note(entry=thesis.entries.get(paper=papers[1]), note="Also", by=alice)

    export = exports.export_collection(thesis, "ris", user=alice)

    text = export.content.decode()
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    first, second = rispy.loads(text)
    assert first["authors"] == ["Müller, José"]
    assert first["notes"] == ["Core"]
    assert second["authors"] == ["Ångström, Zoë"]
    assert second["notes"] == ["Also", "Alice's private thought"]


def test_csl_json_parses_back_and_formatted_references_come_in_every_style(alice, thesis, papers):
    items = json.loads(exports.export_collection(thesis, "csl-json", user=alice).content)

    assert [item["author"] for item in items] == [
        [{"family": "Müller", "given": "José"}],
        [{"family": "Ångström", "given": "Zoë"}],
    ]
    assert [item.get("note") for item in items] == ["Core", "Alice's private thought"]
    for style in exports.STYLES:
        export = exports.export_collection(thesis, "text", user=alice, style=style)
        text = export.content.decode()
        assert export.filename == f"these-chapter-2-{style}.txt"
        assert "Müller" in text and "Ångström" in text
        assert "private thought" not in text  # references never print notes
    with pytest.raises(exports.UnknownFormat, match="Unknown style “nope”; one of: apa"):
        exports.export_collection(thesis, "text", user=alice, style="nope")


def test_each_reader_gets_their_own_private_notes_only(alice, bob, thesis, papers):
    collections.set_public(collection=thesis, is_public=True, by=alice)
    stranger = UserFactory(username="dora")

    by_bob = json.loads(exports.export_collection(thesis, "csl-json", user=bob).content)
    by_dora = json.loads(exports.export_collection(thesis, "csl-json", user=stranger).content)

    assert by_bob[1]["note"] == "Bob's private thought"
    # The entry's note is the collection's own; nobody's private note reaches a stranger.
    assert [item.get("note") for item in by_dora] == ["Core", None]


def test_the_library_export_has_each_paper_once_with_all_its_notes(alice, bob, thesis, papers):
    reading = collections.reading_list(alice)
    extra = PaperFactory(title="Only in the reading list")
    collections.add_papers(collection=reading, papers=[extra, papers[0]], by=alice)
    collections.set_entry_note(entry=reading.entries.get(paper=papers[0]), note="Now", by=alice)
    bobs = collections.create_collection(owner=bob, name="Bob's own")
    collections.add_papers(collection=bobs, papers=[PaperFactory()], by=bob)

    export = exports.export_library(alice, "csl-json")

    items = json.loads(export.content)
    assert export.filename == "library.json"
    assert [item["title"] for item in items] == [
        "Only in the reading list",
        papers[0].title,
        papers[1].title,
    ]
    assert items[1]["note"] == "Now\n\nCore"
    # bob's library: his own collection and the one alice shares with him
    assert len(json.loads(exports.export_library(bob, "csl-json").content)) == 3


def test_an_export_costs_five_queries_whatever_the_number_of_papers(
    alice, thesis, django_assert_num_queries
):
    # entries, papers+journals, authorships+authors, keywords, the reader's notes
    with django_assert_num_queries(5):
        exports.export_collection(thesis, "bibtex", user=alice)
    collections.add_papers(collection=thesis, papers=PaperFactory.create_batch(6), by=alice)
    with django_assert_num_queries(5):
        exports.export_collection(thesis, "bibtex", user=alice)
    with django_assert_num_queries(5):
        exports.export_library(alice, "ris")


# --- the downloads and the API ---


def test_the_download_is_for_owner_and_editors_of_a_private_collection(client, alice, bob, thesis):
    url = f"/library/collections/{thesis.pk}/export.bib"
    stranger = UserFactory(username="dora")

    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="these-chapter-2.bib"'
    assert "Alice's private thought" in response.content.decode()
    client.force_login(bob)
    assert client.get(url).status_code == 200
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404

    collections.set_public(collection=thesis, is_public=True, by=alice)
    public = client.get(url)
    assert public.status_code == 200
    assert "private thought" not in public.content.decode()


def test_the_downloads_of_every_format_and_a_bad_style(client, alice, thesis):
    client.force_login(alice)
    base = f"/library/collections/{thesis.pk}/export"

    assert client.get(base + ".ris")["Content-Type"].startswith(
        "application/x-research-info-systems"
    )
    assert client.get(base + ".json")["Content-Disposition"].endswith('chapter-2.json"')
    ieee = client.get(base + ".txt?style=ieee")
    assert ieee["Content-Disposition"].endswith('these-chapter-2-ieee.txt"')
    assert ieee.content.decode().startswith("[1] ")
    bad = client.get(base + ".txt?style=nope")
    assert bad.status_code == 400
    assert "Unknown style “nope”" in bad.content.decode()
    assert client.get(base + ".pdf").status_code == 404
    assert client.post(base + ".bib").status_code == 405


def test_the_whole_library_downloads_for_a_signed_in_reader(client, alice, thesis):
    assert client.get("/library/export.bib").status_code == 302  # to the log-in page

    client.force_login(alice)
    response = client.get("/library/export.bib")

    assert response["Content-Disposition"] == 'attachment; filename="library.bib"'
    assert len(bibtexparser.parse_string(response.content.decode()).entries) == 2


def test_the_api_export_takes_format_and_style_and_says_what_it_refuses(alice, bob, thesis):
    url = f"/api/v1/collections/{thesis.pk}/export/"
    stranger = UserFactory(username="dora")

    bibtex = api(alice).get(url, {"format": "bibtex"})
    assert bibtex.status_code == 200
    assert bibtex["Content-Type"] == "text/x-bibtex; charset=utf-8"
    assert len(bibtexparser.parse_string(bibtex.content.decode()).entries) == 2
    default = api(bob).get(url)
    assert json.loads(default.content)[1]["note"] == "Bob's private thought"
    harvard = api(alice).get(url, {"format": "text", "style": "harvard-cite-them-right"})
    assert "Müller, J." in harvard.content.decode()
    bad = api(alice).get(url, {"format": "pdf"})
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/json"
    assert "Unknown format" in bad.json()["format"][0]
    assert api(stranger).get(url).status_code == 404
    assert api().get(url).status_code == 404

    library = api(alice).get("/api/v1/collections/export/", {"format": "ris"})
    assert library["Content-Disposition"] == 'attachment; filename="library.ris"'
    assert api().get("/api/v1/collections/export/").status_code == 403


# --- the account's data ---


def test_collections_are_in_the_account_export_and_go_with_the_account(alice, bob, thesis, papers):
    collections.mark(entry=thesis.entries.get(paper=papers[1]), state="read", by=alice)
    bobs = collections.reading_list(bob)
    collections.add_papers(collection=bobs, papers=[papers[0]], by=bob)
    collections.share(collection=bobs, user=alice, by=bob)
    collections.add_papers(collection=bobs, papers=[papers[1]], by=alice)
    collections.add_papers(collection=thesis, papers=[PaperFactory()], by=bob)

    exported = json.loads(json.dumps(export_account(alice)))["collections"]

    assert [c["name"] for c in exported] == ["Thèse: chapter 2"]
    [thesis_data] = exported
    assert thesis_data["editors"] == ["bob"]
    assert [
        (e["paper"]["id"], e["paper"]["doi"], e["note"], e["state"], e["position"])
        for e in thesis_data["entries"][:2]
    ] == [
        (papers[0].pk, papers[0].doi, "Core", "to_read", 0),
        (papers[1].pk, papers[1].doi, "", "read", 1),
    ]
    delete_account(alice)
    assert list(Collection.objects.values_list("name", flat=True)) == ["Reading list"]
    # bob's list keeps the paper alice added to it, without her name.
    assert list(Entry.objects.order_by("position").values_list("paper_id", "added_by")) == [
        (papers[0].pk, bob.pk),
        (papers[1].pk, None),
    ]
    delete_account(bob)
    assert not Collection.objects.exists() and not Entry.objects.exists()
