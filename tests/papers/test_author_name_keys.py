"""``Author.name_key``: the key ingest finds namesakes by (papers.authors) is kept in step
with the name by every write of names, and migration 0033 fills it for stored authors."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from papers.models import Author
from papers.names import name_key
from tests.papers.test_author_identity import PATHS, works

pytestmark = pytest.mark.django_db

ACCENTED = {"given_name": "José", "family_name": "García-López", "name": "José García-López"}


def stored_key(author):
    return Author.objects.values_list("name_key", flat=True).get(pk=author.pk)


def test_save_and_create_key_the_name():
    author = Author.objects.create(**ACCENTED)
    assert stored_key(author) == "jose garcia lopez"

    author.name = "J. A. García"
    author.save(update_fields=["name"])
    assert stored_key(author) == "j a garcia"


def test_bulk_writes_and_update_key_the_name():
    created = Author.objects.bulk_create([Author(**ACCENTED), Author(name="Ada  LOVELACE")])
    assert [stored_key(a) for a in created] == ["jose garcia lopez", "ada lovelace"]

    created[0].name = "Joseph García"
    Author.objects.bulk_update(created[:1], ["name"])
    assert stored_key(created[0]) == "joseph garcia"

    Author.objects.filter(pk=created[1].pk).update(name="Augusta Ada King")
    assert stored_key(created[1]) == "augusta ada king"


@PATHS
def test_ingest_keys_the_authors_it_creates(store):
    """The single path saves; the bulk path writes new authors by COPY on PostgreSQL."""
    store(works("10.1111/2041-210x.13954"))

    stored = list(Author.objects.values_list("name", "name_key"))
    assert stored and all(key == name_key(name) for name, key in stored)


@pytest.mark.django_db(transaction=True)
def test_migration_0033_keys_the_stored_authors(monkeypatch):
    # Steps of three authors, so that eight take three committed steps.
    monkeypatch.setattr(import_module("papers.migrations.0033_author_name_key"), "CHUNK", 3)
    executor = MigrationExecutor(connection)
    executor.migrate([("papers", "0032_paper_id_dates_index")])
    try:
        apps = executor.loader.project_state([("papers", "0032_paper_id_dates_index")]).apps
        OldAuthor = apps.get_model("papers", "Author")
        OldAuthor.objects.bulk_create(
            [OldAuthor(**ACCENTED)] + [OldAuthor(name=f"Ada Lovelace {n}") for n in range(7)]
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert Author.objects.get(name="José García-López").name_key == "jose garcia lopez"
    assert all(
        key == name_key(name) for name, key in Author.objects.values_list("name", "name_key")
    )
    assert Author.objects.filter(name_key="").count() == 0
