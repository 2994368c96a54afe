"""Private notes on papers (library): the one write path, the paper page's form, the API,
the account export and deletion. Only a note's author ever sees it."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.account_data import delete_account, export_account
from library import notes
from library.models import NOTE_MAX_LENGTH, Note
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- the write path ---


def test_saving_creates_then_replaces_then_a_blank_text_deletes(alice, paper):
    first = notes.save_note(user=alice, paper=paper, text="  Read section 3 again.  ")
    second = notes.save_note(user=alice, paper=paper, text="Section 3 is fine.")

    assert first.pk == second.pk
    assert Note.objects.get().text == "Section 3 is fine."
    assert notes.save_note(user=alice, paper=paper, text="   ") is None
    assert not Note.objects.exists()


def test_a_note_over_the_limit_is_refused_with_the_limit(alice, paper):
    with pytest.raises(notes.ValidationError, match="at most 10,000 characters"):
        notes.save_note(user=alice, paper=paper, text="x" * (NOTE_MAX_LENGTH + 1))

    assert notes.save_note(user=alice, paper=paper, text="x" * NOTE_MAX_LENGTH)


# --- the paper page ---


def test_the_paper_page_shows_the_reader_their_own_note_only(client, alice, bob, paper):
    notes.save_note(user=alice, paper=paper, text="Alice's <secret> thought")

    client.force_login(alice)
    mine = client.get(paper.get_absolute_url()).content.decode()
    client.force_login(bob)
    theirs = client.get(paper.get_absolute_url()).content.decode()
    client.logout()
    anonymous = client.get(paper.get_absolute_url()).content.decode()

    assert "Alice&#x27;s &lt;secret&gt; thought</textarea>" in mine
    assert '<label for="note-text">Your private note</label>' in mine
    for html in (theirs, anonymous):
        assert "secret" not in html
    assert "to keep a private note on this paper" in anonymous


def test_the_form_saves_without_javascript_and_goes_back_to_the_paper(client, alice, paper):
    client.force_login(alice)

    response = client.post(reverse("library:note", args=[paper.pk]), {"text": "Worth citing."})

    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url() + "#note"
    assert Note.objects.get(user=alice, paper=paper).text == "Worth citing."
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "Worth citing.</textarea>" in page
    assert "Note saved." in page


def test_the_form_refuses_a_note_over_the_limit_with_a_clear_400(client, alice, paper):
    client.force_login(alice)

    response = client.post(
        reverse("library:note", args=[paper.pk]), {"text": "x" * (NOTE_MAX_LENGTH + 5)}
    )

    assert response.status_code == 400
    assert "A note is at most 10,000 characters long; this one has 10,005." in (
        response.content.decode()
    )
    assert not Note.objects.exists()


def test_the_form_needs_a_signed_in_reader(client, paper):
    response = client.post(reverse("library:note", args=[paper.pk]), {"text": "Hi"})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Note.objects.exists()


# --- the API ---


def test_the_api_lists_and_creates_only_the_readers_own_notes(alice, bob, paper):
    other_paper = PaperFactory()
    notes.save_note(user=bob, paper=paper, text="Bob's")

    created = api(alice).post("/api/v1/notes/", {"paper": paper.pk, "text": "Mine"}, format="json")
    listed = api(alice).get("/api/v1/notes/")

    assert created.status_code == 201
    assert created.json()["text"] == "Mine"
    assert [note["text"] for note in listed.json()["results"]] == ["Mine"]
    again = api(alice).post("/api/v1/notes/", {"paper": paper.pk, "text": "Two"}, format="json")
    assert again.status_code == 409
    assert again.json()["existing"].endswith(f"/api/v1/notes/{created.json()['id']}/")
    moved = api(alice).patch(
        f"/api/v1/notes/{created.json()['id']}/", {"paper": other_paper.pk}, format="json"
    )
    assert moved.status_code == 400


def test_someone_elses_note_is_404_and_anonymous_is_refused(alice, bob, paper):
    note = notes.save_note(user=bob, paper=paper, text="Bob's")
    url = f"/api/v1/notes/{note.pk}/"

    assert api(alice).get(url).status_code == 404
    assert api(alice).patch(url, {"text": "Mine now"}, format="json").status_code == 404
    assert api(alice).delete(url).status_code == 404
    assert api().get(url).status_code == 403
    assert api().get("/api/v1/notes/").status_code == 403
    assert Note.objects.get().text == "Bob's"


def test_the_api_refuses_a_note_over_the_limit_with_a_400(alice, paper):
    response = api(alice).post(
        "/api/v1/notes/", {"paper": paper.pk, "text": "x" * (NOTE_MAX_LENGTH + 1)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["text"] == ["A note is at most 10,000 characters long."]


def test_listing_notes_costs_two_queries_whatever_their_number(alice, django_assert_num_queries):
    for _ in range(5):
        notes.save_note(user=alice, paper=PaperFactory(), text="Note")
    client = api(alice)

    # count, notes (the user is forced in: no session query)
    with django_assert_num_queries(2):
        response = client.get("/api/v1/notes/")

    assert response.json()["count"] == 5


# --- the account's data ---


def test_notes_are_in_the_account_export_and_go_with_the_account(alice, bob, paper):
    notes.save_note(user=alice, paper=paper, text="Keep this.")
    notes.save_note(user=bob, paper=paper, text="Bob's")

    exported = json.loads(json.dumps(export_account(alice)))

    assert [(n["paper"]["id"], n["text"]) for n in exported["notes"]] == [(paper.pk, "Keep this.")]
    delete_account(alice)
    assert list(Note.objects.values_list("text", flat=True)) == ["Bob's"]
