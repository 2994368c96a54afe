"""The collections API (/api/v1/collections/ and their entries): who sees and changes what,
the 400s for bad input, adding as an idempotent write, and constant query counts."""

import pytest
from rest_framework.test import APIClient

from library import collections
from library.models import ENTRY_NOTE_MAX_LENGTH, Collection, Entry
from tests.factories import PaperFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def thesis(alice, bob):
    """alice's private collection, shared with bob for editing, holding two papers."""
    thesis = collections.create_collection(owner=alice, name="Thesis")
    collections.share(collection=thesis, user=bob, by=alice)
    collections.add_papers(collection=thesis, papers=PaperFactory.create_batch(2), by=alice)
    return thesis


@pytest.fixture
def dora(db):
    return UserFactory(username="dora")


# --- collections ---


def test_the_list_has_my_collections_and_those_shared_with_me(alice, bob, dora, thesis):
    collections.reading_list(alice)
    collections.create_collection(owner=dora, name="Dora's", is_public=True)

    mine = api(alice).get("/api/v1/collections/").json()
    shared = api(bob).get("/api/v1/collections/").json()

    assert [(c["name"], c["entry_count"]) for c in mine["results"]] == [
        ("Reading list", 0),
        ("Thesis", 2),
    ]
    assert mine["results"][1]["editors"] == ["bob"]
    assert [(c["name"], c["owner"]) for c in shared["results"]] == [("Thesis", "alice")]
    assert api().get("/api/v1/collections/").status_code == 403


def test_listing_collections_costs_three_queries_whatever_their_number(
    alice, bob, django_assert_num_queries
):
    for number in range(4):
        collection = collections.create_collection(owner=alice, name=f"List {number}")
        collections.share(collection=collection, user=bob, by=alice)
        collections.add_papers(collection=collection, papers=PaperFactory.create_batch(2), by=alice)
    client = api(alice)

    # count, collections (owner joined, entries counted), editors
    with django_assert_num_queries(3):
        response = client.get("/api/v1/collections/")

    assert response.json()["count"] == 4
    assert {c["entry_count"] for c in response.json()["results"]} == {2}


def test_a_private_collection_is_404_to_others_and_a_public_one_readable_by_all(
    alice, bob, dora, thesis
):
    url = f"/api/v1/collections/{thesis.pk}/"

    assert api(alice).get(url).status_code == 200
    assert api(bob).get(url).status_code == 200
    assert api(dora).get(url).status_code == 404
    assert api().get(url).status_code == 404
    assert api(dora).get(url + "entries/").status_code == 404

    collections.set_public(collection=thesis, is_public=True, by=alice)

    seen = api().get(url)
    assert seen.status_code == 200
    assert seen.json()["editors"] == []  # who edits it is for its owner and editors
    assert len(api(dora).get(url + "entries/").json()["results"]) == 2
    # Reading is not changing: a public collection's readers are refused writes.
    assert api(dora).patch(url, {"name": "Mine"}, format="json").status_code == 403
    assert api().patch(url, {"name": "Mine"}, format="json").status_code == 403
    assert api(dora).delete(url).status_code == 403
    paper = PaperFactory()
    added = api(dora).post(url + "entries/", {"paper": paper.pk}, format="json")
    assert added.status_code == 403
    assert api().post(url + "entries/", {"paper": paper.pk}, format="json").status_code == 403


def test_a_collection_is_made_renamed_published_and_deleted_by_its_owner(alice, bob):
    created = api(alice).post(
        "/api/v1/collections/", {"name": "  Graphs  ", "description": "GNNs"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["is_public"], body["owner"], body["entry_count"]) == (
        "Graphs",
        False,
        "alice",
        0,
    )
    url = f"/api/v1/collections/{body['id']}/"

    changed = api(alice).patch(url, {"name": "Graph learning", "is_public": True}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["is_public"]) == ("Graph learning", True)
    assert api(bob).get(url).status_code == 200
    assert api(bob).delete(url).status_code == 403

    assert api(alice).delete(url).status_code == 204
    assert not Collection.objects.filter(pk=body["id"]).exists()


def test_an_editor_changes_entries_but_not_the_collection(alice, bob, thesis):
    url = f"/api/v1/collections/{thesis.pk}/"

    assert api(bob).patch(url, {"name": "Bob's now"}, format="json").status_code == 403
    assert api(bob).delete(url).status_code == 403
    assert api(bob).post(url + "share/", {"username": "bob"}, format="json").status_code == 403
    added = api(bob).post(url + "entries/", {"paper": PaperFactory().pk}, format="json")
    assert added.status_code == 201
    assert added.json()["added_by"] == "bob"
    thesis.refresh_from_db()
    assert thesis.name == "Thesis"


def test_bad_input_gets_a_400_with_the_reason(alice, thesis):
    collections.reading_list(alice)
    client = api(alice)
    url = f"/api/v1/collections/{thesis.pk}/"

    duplicate = client.post("/api/v1/collections/", {"name": " Thesis "}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json() == {"name": ["You already have a collection called “Thesis”."]}
    blank = client.post("/api/v1/collections/", {"name": "   "}, format="json")
    assert blank.status_code == 400
    too_long = client.post("/api/v1/collections/", {"name": "x" * 201}, format="json")
    assert too_long.json() == {"name": ["A collection's name is at most 200 characters long."]}
    unknown_paper = client.post(url + "entries/", {"paper": 987654}, format="json")
    assert unknown_paper.status_code == 400
    assert unknown_paper.json() == {"paper": ["No paper has the id 987654."]}
    paper_id = thesis.entries.first().paper_id
    long_note = client.patch(
        f"{url}entries/{paper_id}/", {"note": "x" * (ENTRY_NOTE_MAX_LENGTH + 1)}, format="json"
    )
    assert long_note.status_code == 400
    assert long_note.json() == {"note": ["An entry's note is at most 1,000 characters long."]}
    bad_state = client.patch(f"{url}entries/{paper_id}/", {"state": "skimmed"}, format="json")
    assert bad_state.status_code == 400
    bad_position = client.patch(f"{url}entries/{paper_id}/", {"position": -1}, format="json")
    assert bad_position.status_code == 400
    unknown_user = client.post(url + "share/", {"username": "nobody"}, format="json")
    assert unknown_user.json() == {"username": ["No researcher is called “nobody”."]}
    own = client.post(url + "share/", {"username": "alice"}, format="json")
    assert own.json() == {"username": ["You own this collection already."]}

    reading = Collection.objects.get(owner=alice, is_default=True)
    reading_url = f"/api/v1/collections/{reading.pk}/"
    renamed = client.patch(reading_url, {"name": "To read"}, format="json")
    assert renamed.status_code == 400
    assert renamed.json() == {"name": ["Your reading list is always called “Reading list”."]}
    deleted = client.delete(reading_url)
    assert deleted.status_code == 400
    assert "cannot be deleted" in deleted.json()["detail"]
    assert client.get(url + "entries/987654/").status_code == 404


def test_adding_a_paper_twice_is_201_then_200_with_one_entry(alice, thesis):
    paper = PaperFactory()
    url = f"/api/v1/collections/{thesis.pk}/entries/"

    first = api(alice).post(url, {"paper": paper.pk}, format="json")
    second = api(alice).post(url, {"paper": paper.pk, "note": "Key result."}, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["position"] == 2
    assert second.json()["note"] == "Key result."
    assert thesis.entries.filter(paper=paper).count() == 1


def test_an_entry_is_annotated_marked_moved_and_removed(alice, thesis):
    third = PaperFactory()
    collections.add_papers(collection=thesis, papers=[third], by=alice)
    url = f"/api/v1/collections/{thesis.pk}/entries/"
    before = [e["paper"]["id"] for e in api(alice).get(url).json()["results"]]

    changed = api(alice).patch(
        f"{url}{third.pk}/", {"note": "Read first", "state": "read", "position": 0}, format="json"
    )

    assert changed.status_code == 200
    body = changed.json()
    assert (body["note"], body["state"], body["position"]) == ("Read first", "read", 0)
    assert body["read_at"] is not None
    after = [e["paper"]["id"] for e in api(alice).get(url).json()["results"]]
    assert after == [third.pk, *before[:2]]
    assert list(thesis.entries.order_by("position").values_list("position", flat=True)) == [0, 1, 2]
    moved_last = api(alice).patch(f"{url}{third.pk}/", {"position": 99}, format="json")
    assert moved_last.json()["position"] == 2

    assert api(alice).delete(f"{url}{third.pk}/").status_code == 204
    assert api(alice).delete(f"{url}{third.pk}/").status_code == 404
    assert not thesis.entries.filter(paper=third).exists()


def test_listing_entries_costs_the_same_whatever_their_number(
    alice, bob, thesis, django_assert_num_queries
):
    collections.add_papers(collection=thesis, papers=PaperFactory.create_batch(5), by=bob)
    url = f"/api/v1/collections/{thesis.pk}/entries/"
    owner, editor = api(alice), api(bob)

    # collection, count, entries with their papers and who added them
    with django_assert_num_queries(3):
        response = owner.get(url)
    assert response.json()["count"] == 7
    # the same for an editor: reading asks nothing of who edits it
    with django_assert_num_queries(3):
        assert editor.get(url).json()["count"] == 7


def test_sharing_and_unsharing_by_username(alice, bob, dora, thesis):
    url = f"/api/v1/collections/{thesis.pk}/"

    shared = api(alice).post(url + "share/", {"username": "dora"}, format="json")
    again = api(alice).post(url + "share/", {"username": "dora"}, format="json")

    assert shared.status_code == again.status_code == 200
    assert again.json()["editors"] == ["bob", "dora"]
    assert api(dora).get(url).status_code == 200
    unshared = api(alice).post(url + "unshare/", {"username": "dora"}, format="json")
    assert unshared.json()["editors"] == ["bob"]
    assert api(dora).get(url).status_code == 404
    assert api(dora).post(url + "share/", {"username": "dora"}, format="json").status_code == 404


def test_deleting_a_collection_takes_its_entries(alice, thesis):
    api(alice).delete(f"/api/v1/collections/{thesis.pk}/")

    assert not Entry.objects.exists()
