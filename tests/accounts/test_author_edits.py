"""A verified author edits the summary and adds keywords of their own paper."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import authoring, claims
from accounts.models import Claim
from papers.models import Paper
from tests.conftest import authorship_of
from tests.factories import KeywordFactory

pytestmark = pytest.mark.django_db


def test_a_verified_author_edits_the_summary_recorded_as_theirs(client, carol, paper):
    client.force_login(carol)

    response = client.post(
        reverse("accounts:paper-summary", args=[paper.pk]), {"summary": "  Tea is risky.  "}
    )

    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.summary == "Tea is risky."
    assert paper.provenance["summary"]["source"] == "author carol"
    assert "Tea is risky." in client.get(paper.get_absolute_url()).content.decode()


def test_a_verified_author_adds_keywords_matching_existing_ones(client, carol, paper):
    existing = KeywordFactory(name="Tea")
    client.force_login(carol)

    client.post(
        reverse("accounts:paper-keywords", args=[paper.pk]),
        {"keywords": "tea, Mad hatters ,  , mad Hatters"},
    )

    paper.refresh_from_db()
    assert sorted(k.name for k in paper.keywords.all()) == ["Mad hatters", "Tea"]
    assert existing in paper.keywords.all()
    assert paper.provenance["keywords"]["source"] == "author carol"
    assert "mad hatters" in paper.search_document.lower()


def test_an_empty_keyword_list_is_refused(client, carol, paper):
    client.force_login(carol)

    response = client.post(reverse("accounts:paper-keywords", args=[paper.pk]), {"keywords": " , "})

    assert "Enter at least one keyword." in response.content.decode()


def test_a_curators_lock_is_honoured(client, carol, paper):
    Paper.objects.filter(pk=paper.pk).update(locked_fields=["summary"])
    client.force_login(carol)

    response = client.post(
        reverse("accounts:paper-summary", args=[paper.pk]), {"summary": "Mine."}, follow=True
    )

    assert "locked the summary" in response.content.decode()
    paper.refresh_from_db()
    assert paper.summary == ""


def test_the_functions_refuse_anyone_but_a_verified_author(alice, curator, paper):
    pending = claims.claim_authorship(user=alice, authorship=authorship_of(paper, 1))
    assert pending.status == Claim.Status.PENDING

    for user in (alice, curator):
        with pytest.raises(PermissionDenied):
            authoring.edit_summary(paper, by=user, summary="x")
        with pytest.raises(PermissionDenied):
            authoring.add_keywords(paper, by=user, names=["x"])
    paper.refresh_from_db()
    assert paper.summary == "" and not paper.keywords.exists()
