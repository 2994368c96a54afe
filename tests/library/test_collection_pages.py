"""The library's pages without JavaScript: Save (paper page and cards), the collection
pages and their forms, "My library"; who gets 404 and 403; query counts pinned."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from library import collections, follows, notes
from library.models import READING_LIST_NAME, Collection, Entry, Follow, ImportJob
from tests.factories import AuthorshipFactory, KeywordFactory, PaperFactory

pytestmark = pytest.mark.django_db


def entry_url(collection, entry):
    return reverse("library:entry", args=[collection.pk, entry.pk])


def test_saving_puts_the_paper_in_the_reading_list_and_goes_back(client, alice, paper):
    client.force_login(alice)

    response = client.post(reverse("library:save", args=[paper.pk]), follow=True)

    assert response.redirect_chain[-1][0] == paper.get_absolute_url() + "#save"
    page = response.content.decode()
    assert "Saved in Reading list." in page  # the message
    assert "Saved in Reading list</p>" in page  # the saved state of the Save control
    assert list(collections.reading_list(alice).entries.values_list("paper", flat=True)) == [
        paper.pk
    ]
    again = client.post(reverse("library:save", args=[paper.pk]), follow=True)
    assert "Already in Reading list." in again.content.decode()


def test_saving_into_a_chosen_collection_answers_json_to_the_script(client, alice, paper):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    client.force_login(alice)

    response = client.post(
        reverse("library:save", args=[paper.pk]),
        {"collection": thesis.pk, "next": "/papers/"},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "message": "Saved in Thesis.",
        "added": True,
        "collection": thesis.pk,
    }
    assert thesis.entries.get().paper == paper


def test_saving_goes_back_only_to_our_own_pages(client, alice, paper):
    client.force_login(alice)

    response = client.post(
        reverse("library:save", args=[paper.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == paper.get_absolute_url() + "#save"
    response = client.post(reverse("library:save", args=[paper.pk]), {"next": "/papers/?q=tea"})
    assert response.url == "/papers/?q=tea"


def test_saving_into_someone_elses_collection_is_404_and_nonsense_is_400(client, alice, bob, paper):
    theirs = collections.create_collection(owner=bob, name="Bob's", is_public=True)
    client.force_login(alice)
    url = reverse("library:save", args=[paper.pk])

    assert client.post(url, {"collection": theirs.pk}).status_code == 404
    response = client.post(url, {"collection": "x"})
    assert response.status_code == 400
    assert "Choose one of your collections." in response.content.decode()
    assert client.post(reverse("library:save", args=[999999])).status_code == 404
    assert not Entry.objects.exists()


def test_anonymous_readers_are_asked_to_sign_in_to_save(client, paper):
    page = client.get(paper.get_absolute_url()).content.decode()

    assert "Sign in to save" in page
    response = client.post(reverse("library:save", args=[paper.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_cards_carry_a_save_button_without_a_query_per_card(client, alice):
    PaperFactory.create_batch(3)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as three:
        first = client.get("/papers/").content.decode()
    PaperFactory.create_batch(15)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/papers/").content.decode()

    assert first.count('class="save-form card-save"') == 3
    assert page.count('class="save-form card-save"') == 18
    assert len(many) == len(three)
    client.logout()
    assert "Sign in to save" in client.get("/papers/").content.decode()


def test_the_collection_list_makes_a_collection(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("library:collections"),
        {"name": "Thesis", "description": "Chapter 2", "is_public": "on"},
    )

    thesis = Collection.objects.get(owner=alice, name="Thesis")
    assert response.url == thesis.get_absolute_url()
    assert (thesis.description, thesis.is_public) == ("Chapter 2", True)
    again = client.post(reverse("library:collections"), {"name": "Thesis"})
    assert again.status_code == 400
    assert "already have a collection called “Thesis”" in again.content.decode()
    blank = client.post(reverse("library:collections"), {"name": ""})
    assert blank.status_code == 400


def test_a_private_collection_is_404_to_others_and_a_public_one_is_read_only(
    client, alice, bob, paper
):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.add_papers(collection=thesis, papers=[paper], by=alice)
    entry = thesis.entries.get()

    assert client.get(thesis.get_absolute_url()).status_code == 404
    client.force_login(bob)
    assert client.get(thesis.get_absolute_url()).status_code == 404
    assert client.post(entry_url(thesis, entry), {"action": "read"}).status_code == 404

    collections.set_public(collection=thesis, by=alice, is_public=True)
    page = client.get(thesis.get_absolute_url()).content.decode()
    assert "Tea parties considered harmful" in page and "Mark read" not in page
    assert client.post(entry_url(thesis, entry), {"action": "read"}).status_code == 403
    assert client.post(reverse("library:delete", args=[thesis.pk])).status_code == 403
    client.logout()
    assert client.get(thesis.get_absolute_url()).status_code == 200
    assert Entry.objects.get().state == "to_read"


def test_an_editor_changes_entries_but_not_the_collection(client, alice, bob, paper):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.share(collection=thesis, user=bob, by=alice)
    collections.add_papers(collection=thesis, papers=[paper], by=alice)
    entry = thesis.entries.get()
    client.force_login(bob)

    assert client.post(entry_url(thesis, entry), {"action": "read"}).status_code == 302
    assert Entry.objects.get().state == "read"
    for name in ("describe", "publish", "delete", "share"):
        assert client.post(reverse(f"library:{name}", args=[thesis.pk])).status_code == 403
    bob_list = client.get(reverse("library:library")).content.decode()
    assert "Thesis" in bob_list and "shared by alice" in bob_list


def test_the_owner_works_on_entries_without_javascript(client, alice):
    papers = PaperFactory.create_batch(3)
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.add_papers(collection=thesis, papers=papers, by=alice)
    first, second, third = thesis.entries.all()
    client.force_login(alice)

    response = client.post(entry_url(thesis, third), {"action": "up"})
    assert response.url == thesis.get_absolute_url() + f"#entry-{third.pk}"
    client.post(entry_url(thesis, first), {"action": "read"})
    client.post(entry_url(thesis, first), {"action": "note", "note": "Skim the proofs"})
    client.post(entry_url(thesis, second), {"action": "remove"})

    rows = list(thesis.entries.values_list("paper_id", "state", "note"))
    assert rows == [(papers[0].pk, "read", "Skim the proofs"), (papers[2].pk, "to_read", "")]
    bad = client.post(entry_url(thesis, first), {"action": "shred"})
    assert bad.status_code == 400 and "Unknown action “shred”" in bad.content.decode()
    long = client.post(entry_url(thesis, first), {"action": "note", "note": "x" * 1001})
    assert long.status_code == 400


def test_the_owner_renames_publishes_shares_and_deletes(client, alice, bob):
    thesis = collections.create_collection(owner=alice, name="Thesis")
    client.force_login(alice)

    client.post(
        reverse("library:describe", args=[thesis.pk]), {"name": "Ch. 2", "description": "Tea"}
    )
    client.post(reverse("library:publish", args=[thesis.pk]), {"is_public": "1"})
    client.post(reverse("library:share", args=[thesis.pk]), {"username": "bob"})
    thesis.refresh_from_db()
    assert (thesis.name, thesis.description, thesis.is_public) == ("Ch. 2", "Tea", True)
    assert list(thesis.editors.all()) == [bob]

    unknown = client.post(reverse("library:share", args=[thesis.pk]), {"username": "zed"})
    assert unknown.status_code == 400 and "no user called “zed”" in unknown.content.decode()
    client.post(reverse("library:unshare", args=[thesis.pk, bob.pk]))
    client.post(reverse("library:publish", args=[thesis.pk]), {"is_public": "0"})
    thesis.refresh_from_db()
    assert not thesis.is_public and not thesis.editors.exists()

    response = client.post(reverse("library:delete", args=[thesis.pk]))
    assert response.url == reverse("library:collections")
    assert not Collection.objects.filter(pk=thesis.pk).exists()


def test_the_reading_list_page_refuses_to_delete_it(client, alice):
    reading = collections.reading_list(alice)
    client.force_login(alice)

    response = client.post(reverse("library:delete", args=[reading.pk]))

    assert response.status_code == 400
    assert "cannot be deleted" in response.content.decode()
    assert "Delete this collection" not in client.get(reading.get_absolute_url()).content.decode()


def test_my_library_needs_a_sign_in_and_searches_notes(client, alice, bob, paper):
    other = PaperFactory(title="Croquet with flamingos")
    notes.save_note(user=alice, paper=paper, text="Compare with the Hatter's data")
    notes.save_note(user=alice, paper=other, text="Nice figures")
    notes.save_note(user=bob, paper=other, text="Bob's secret")

    assert client.get(reverse("library:library")).status_code == 302
    client.force_login(alice)
    page = client.get(reverse("library:library")).content.decode()
    assert "Hatter" in page and "Nice figures" in page and "secret" not in page
    assert 'href="/library/"' in page  # the site navigation links it

    by_title = client.get(reverse("library:library"), {"q": "FLAMINGO"}).content.decode()
    assert "Nice figures" in by_title and "Hatter" not in by_title
    by_text = client.get(reverse("library:library"), {"q": "hatter"}).content.decode()
    assert "Hatter" in by_text and "Nice figures" not in by_text


def fill(owner, n):
    thesis = collections.create_collection(owner=owner, name="Thesis")
    papers = PaperFactory.create_batch(n)
    for paper in papers:
        AuthorshipFactory.create_batch(5, paper=paper)
    collections.add_papers(collection=thesis, papers=papers, by=owner)
    for entry in thesis.entries.all():
        collections.set_entry_note(entry=entry, note="Look at the figures", by=owner)
    return thesis, papers


# The session and the user (middleware), the collection with its owner, its editors, the
# entries with their papers, the papers' first authors.
COLLECTION_PAGE_QUERIES = 6


@pytest.mark.parametrize("n", [1, 30])
def test_the_collection_page_runs_a_constant_number_of_queries(
    client, alice, bob, django_assert_num_queries, n
):
    thesis, _ = fill(alice, n)
    thesis.editors.add(bob)
    client.force_login(alice)

    with django_assert_num_queries(COLLECTION_PAGE_QUERIES):
        response = client.get(thesis.get_absolute_url())

    assert response.content.decode().count('class="entry entry-to_read"') == n


# The session and the user (middleware), the collections with their counts and owners,
# the notes with their papers, the imports with their fetches, the follows with their
# targets.
LIBRARY_PAGE_QUERIES = 6


@pytest.mark.parametrize("n", [1, 30])
def test_my_library_runs_a_constant_number_of_queries(
    client, alice, bob, django_assert_num_queries, n
):
    _, papers = fill(alice, n)
    shared = collections.create_collection(owner=bob, name="Group")
    shared.editors.add(alice)
    collections.reading_list(alice)
    for number, paper in enumerate(papers):
        notes.save_note(user=alice, paper=paper, text="Useful")
        follows.follow(user=alice, kind=Follow.Kind.KEYWORD, target=KeywordFactory())
        ImportJob.objects.create(
            owner=alice,
            collection_name="Zotero",
            file_name=f"zotero-{number}.bib",
            format=ImportJob.Format.BIBTEX,
        )
    client.force_login(alice)

    with django_assert_num_queries(LIBRARY_PAGE_QUERIES):
        response = client.get(reverse("library:library"))

    page = response.content.decode()
    assert f"{n} paper" in page and READING_LIST_NAME in page and "shared by bob" in page
    assert page.count("Useful") == n
    assert page.count('class="follow"') == n
    assert page.count("zotero-") == min(n, 10)
