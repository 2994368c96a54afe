"""Migrations papers 0009 and reviews 0004: unsafe links stored earlier are removed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from papers.models import Paper
from reviews.models import ResourceAnswer, ResourceRequest

BEFORE = [
    ("papers", "0010_metadata_leases"),
    ("reviews", "0004_one_active_request_per_reader_and_kind"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_unsafe_links_already_stored_are_cleared_and_safe_ones_kept():
    apps = migrate(BEFORE)
    try:
        OldPaper = apps.get_model("papers", "Paper")
        OldRequest = apps.get_model("reviews", "ResourceRequest")
        OldAnswer = apps.get_model("reviews", "ResourceAnswer")
        bad = OldPaper.objects.create(
            doi="10.1234/bad",
            title="Bad",
            provenance={},
            url="javascript:alert(14)//https://x",
            license_url="JaVaScRiPt:alert(15)",
            open_access_url=" https://oa.example/bad ",
        )
        good = OldPaper.objects.create(
            doi="10.1234/good",
            title="Good",
            provenance={},
            url="https://publisher.example/good",
            license_url="https://creativecommons.org/licenses/by/4.0",
        )
        fulfilled = OldRequest.objects.create(
            paper=bad,
            kind="data",
            message="Data please",
            status="fulfilled",
            fulfilled_url="data:text/html,<script>alert(1)</script>",
        )
        kept = OldRequest.objects.create(
            paper=good,
            kind="data",
            message="Data please",
            status="fulfilled",
            fulfilled_url="https://zenodo.example/1",
        )
        only_link = OldAnswer.objects.create(request=fulfilled, link="java\tscript:alert(1)")
        with_text = OldAnswer.objects.create(
            request=fulfilled, text="See the supplement", link="https://u:p@evil.example/"
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    bad, good = Paper.objects.get(pk=bad.pk), Paper.objects.get(pk=good.pk)
    assert (bad.url, bad.license_url, bad.open_access_url) == ("", "", "https://oa.example/bad")
    assert (good.url, good.license_url) == (
        "https://publisher.example/good",
        "https://creativecommons.org/licenses/by/4.0",
    )
    # A fulfilled request must say where: without its link it is only acknowledged again.
    fulfilled = ResourceRequest.objects.get(pk=fulfilled.pk)
    assert (fulfilled.status, fulfilled.fulfilled_url) == ("acknowledged", "")
    assert ResourceRequest.objects.get(pk=kept.pk).fulfilled_url == "https://zenodo.example/1"
    # An answer that was only a link is hidden, with a note saying why.
    only_link = ResourceAnswer.objects.get(pk=only_link.pk)
    assert only_link.link == "" and only_link.is_hidden
    assert "removed" in only_link.text and only_link.hidden_reason
    with_text = ResourceAnswer.objects.get(pk=with_text.pk)
    assert (with_text.link, with_text.is_hidden) == ("", False)
    assert with_text.text == "See the supplement"
