"""Sign-up with email verification, log-in by email or username, password rules, password
reset, and allauth's rate limits (clear message, status 429)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def sign_up(client, *, username="dodo", email="dodo@example.org", password=PASSWORD):
    return client.post(
        reverse("account_signup"),
        {"username": username, "email": email, "password1": password, "password2": password},
    )


def log_in(client, login, password=PASSWORD):
    return client.post(reverse("login"), {"login": login, "password": password})


def confirmation_link(message):
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body).group(1)


def test_sign_up_sends_a_verification_email_and_nobody_logs_in_before_it_is_verified(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dodo@example.org"]
    assert "_auth_user_id" not in client.session
    log_in(client, "dodo")
    assert "_auth_user_id" not in client.session


def test_the_link_in_the_email_verifies_the_address_and_logs_in(client):
    sign_up(client)
    link = confirmation_link(mail.outbox[0])

    page = client.get(link)
    assert page.status_code == 200  # a confirmation form: a link preview confirms nothing
    assert not EmailAddress.objects.get(email="dodo@example.org").verified
    response = client.post(link)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="dodo@example.org").verified
    assert client.session["_auth_user_id"] == str(User.objects.get(username="dodo").pk)


def test_a_new_user_gets_an_empty_profile(client):
    sign_up(client)

    profile = User.objects.get(username="dodo").profile
    assert profile.orcid is None and profile.recommendation_frequency == "weekly"


@pytest.mark.parametrize("login", ["alice", "alice@example.org", "ALICE@example.org"])
def test_a_verified_user_logs_in_by_username_or_email(client, login):
    UserFactory(username="alice")

    response = log_in(client, login)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short"),
        ("password123", "This password is too common"),
        ("58203948571203", "This password is entirely numeric"),
        ("dodo-example", "too similar to the"),
    ],
)
def test_sign_up_applies_djangos_password_validators(client, password, message):
    response = sign_up(client, password=password)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="dodo").exists()


def test_a_username_cannot_be_an_email_address(client):
    response = sign_up(client, username="dodo@example.org")

    assert response.status_code == 200
    assert "cannot be an email address" in response.content.decode()
    assert not User.objects.exists()


def test_the_same_email_cannot_sign_up_twice(client):
    UserFactory(username="alice", email="alice@example.org")

    sign_up(client, username="alice2", email="alice@example.org")

    assert not User.objects.filter(username="alice2").exists()


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    UserFactory(username="alice")

    client.post(reverse("account_reset_password"), {"email": "alice@example.org"})

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    new = "a brand new passphrase"
    client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert User.objects.get(username="alice").check_password(new)


def test_log_out_is_a_post(client):
    user = UserFactory(username="alice")
    client.force_login(user)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# --- rate limits ---


def test_failed_log_ins_are_limited_per_account_with_a_clear_message(client):
    UserFactory(username="alice")
    for _ in range(5):
        response = log_in(client, "alice", "wrong password")
        assert "are not correct" in response.content.decode()

    response = log_in(client, "alice", "wrong password")

    assert "Too many failed login attempts. Try again later." in response.content.decode()
    # Even the right password waits until the window has passed.
    response = log_in(client, "alice")
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_log_in_attempts_are_limited_per_ip_address_with_status_429(client):
    for n in range(30):
        log_in(client, f"nobody{n}", "wrong password")

    response = log_in(client, "nobody-else", "wrong password")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_sign_ups_are_limited_per_ip_address(client):
    for n in range(10):
        sign_up(client, username=f"dodo{n}", email=f"dodo{n}@example.org")

    response = sign_up(client, username="dodo10", email="dodo10@example.org")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not User.objects.filter(username="dodo10").exists()


def test_password_reset_requests_are_limited_per_email_address(client):
    UserFactory(username="alice")
    for _ in range(3):
        client.post(reverse("account_reset_password"), {"email": "alice@example.org"})

    response = client.post(reverse("account_reset_password"), {"email": "alice@example.org"})

    assert response.status_code == 429
    assert len(mail.outbox) == 3


def test_an_unverified_address_cannot_log_in_through_the_browsable_api(client):
    UserFactory(username="alice", verified_email=False)

    page = client.get("/api/v1/auth/login/")
    # Both field names: allauth asks for "login", Django's own log-in view for "username".
    client.post(
        "/api/v1/auth/login/", {"login": "alice", "username": "alice", "password": PASSWORD}
    )

    assert page.status_code == 200
    assert "_auth_user_id" not in client.session
