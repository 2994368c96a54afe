"""ORCID sign-in: the button shows only when configured, and an ORCID iD counts as proven
only when it comes from an ORCID sign-in (the social account's uid)."""

import pytest
from allauth.account.signals import user_logged_in
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.signals import social_account_removed
from django.urls import reverse

from accounts.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORCID_APP = {"client_id": "APP-TESTCLIENT", "secret": "test-secret", "key": ""}


@pytest.fixture
def orcid_configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"orcid": {"MEMBER_API": False, "APPS": [ORCID_APP]}}


def test_without_client_id_and_secret_there_is_no_orcid_button(client):
    html = client.get(reverse("login")).content.decode()

    assert "Sign in with ORCID" not in html
    assert "Log in" in html


def test_with_client_id_and_secret_the_login_page_offers_orcid(client, orcid_configured):
    html = client.get(reverse("login")).content.decode()

    assert "Sign in with ORCID" in html
    assert 'action="/accounts/orcid/login/?process=login"' in html


def test_the_orcid_button_posts_to_orcid_with_the_client_id(client, orcid_configured):
    client.get(reverse("login"))
    response = client.post("/accounts/orcid/login/?process=login")

    assert response.status_code == 302
    assert response.url.startswith("https://orcid.org/oauth/authorize?")
    assert "client_id=APP-TESTCLIENT" in response.url


def orcid_login(user, uid):
    account = SocialAccount.objects.create(user=user, provider="orcid", uid=uid)
    return SocialLogin(user=user, account=account)


def test_an_orcid_sign_in_proves_the_orcid_id(rf):
    user = UserFactory(username="alice")
    sociallogin = orcid_login(user, "0000-0002-1825-0097")

    user_logged_in.send(
        sender=user.__class__, request=rf.get("/"), user=user, sociallogin=sociallogin
    )

    profile = Profile.objects.get(user=user)
    assert profile.orcid == "0000-0002-1825-0097" and profile.orcid_proven


def test_a_proven_orcid_id_wins_over_the_same_id_typed_by_someone_else(rf):
    squatter = UserFactory(username="bob")
    Profile.objects.filter(user=squatter).update(orcid="0000-0002-1825-0097")
    user = UserFactory(username="alice")

    user_logged_in.send(
        sender=user.__class__,
        request=rf.get("/"),
        user=user,
        sociallogin=orcid_login(user, "0000-0002-1825-0097"),
    )

    assert Profile.objects.get(user=user).orcid_proven
    assert Profile.objects.get(user=squatter).orcid is None


def test_a_typed_orcid_id_is_not_proven(client):
    user = UserFactory(username="alice")
    client.force_login(user)

    client.post(
        reverse("accounts:profile-edit"),
        {"orcid": "0000-0002-1825-0097", "recommendation_frequency": "weekly"},
    )

    profile = Profile.objects.get(user=user)
    assert profile.orcid == "0000-0002-1825-0097" and not profile.orcid_proven


def test_removing_the_orcid_sign_in_unproves_the_id(rf):
    user = UserFactory(username="alice")
    sociallogin = orcid_login(user, "0000-0002-1825-0097")
    user_logged_in.send(
        sender=user.__class__, request=rf.get("/"), user=user, sociallogin=sociallogin
    )
    account = sociallogin.account
    account.delete()

    social_account_removed.send(sender=SocialAccount, request=rf.get("/"), socialaccount=account)

    profile = Profile.objects.get(user=user)
    assert profile.orcid == "0000-0002-1825-0097" and not profile.orcid_proven


def test_orcid_settings_come_from_the_environment(tmp_path):
    from tests.portal.test_settings import manage

    code = (
        "from allauth.socialaccount.providers.orcid.views import OrcidOAuth2Adapter as A; "
        "from django.conf import settings as s; "
        "print(A.authorize_url, s.SOCIALACCOUNT_PROVIDERS['orcid']['APPS'][0]['client_id'])"
    )
    env = {
        "ORCID_CLIENT_ID": "APP-FROMENV",
        "ORCID_SECRET": "s3cret",
        "ORCID_BASE_DOMAIN": "sandbox.orcid.org",
    }

    result = manage("shell", "-c", code, env=env, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "https://sandbox.orcid.org/oauth/authorize",
        "APP-FROMENV",
    ]
