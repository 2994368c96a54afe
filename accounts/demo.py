"""The demo admin account that the README's run command creates and prints."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "portal-demo-admin"


def ensure_demo_admin():
    """Create the demo superuser, or reset its password if it exists. Returns (user, created)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME,
        defaults={"email": "admin@example.org", "is_staff": True, "is_superuser": True},
    )
    user.is_staff = user.is_superuser = True
    user.set_password(DEMO_ADMIN_PASSWORD)
    user.save()
    # A verified address, so that the admin can also log in on the site (allauth).
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user, created
