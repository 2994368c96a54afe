import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal.demo import DEMO_ADMIN_PASSWORD


@pytest.mark.django_db
def test_it_creates_a_superuser_and_prints_the_credentials(settings, capsys):
    settings.DEBUG = True

    call_command("ensure_demo_admin")

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(DEMO_ADMIN_PASSWORD)
    out = capsys.readouterr().out
    assert "Created demo admin" in out and DEMO_ADMIN_PASSWORD in out


@pytest.mark.django_db
def test_running_it_again_resets_the_password_without_a_second_user(settings):
    settings.DEBUG = True
    call_command("ensure_demo_admin")
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("changed-by-someone")
    admin.save()

    call_command("ensure_demo_admin")

    assert get_user_model().objects.filter(username="admin").count() == 1
    assert get_user_model().objects.get(username="admin").check_password(DEMO_ADMIN_PASSWORD)


@pytest.mark.django_db
def test_it_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("ensure_demo_admin")

    assert not get_user_model().objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_the_demo_admin_can_log_in_on_the_site_and_is_a_curator(settings, client):
    from accounts.claims import is_curator

    settings.DEBUG = True
    call_command("ensure_demo_admin")

    response = client.post("/accounts/login/", {"login": "admin", "password": DEMO_ADMIN_PASSWORD})

    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert is_curator(get_user_model().objects.get(username="admin"))
