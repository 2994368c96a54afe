from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The portal's user. Custom from the first migration so that profile fields,
    ORCID sign-in and email log-in can be added without a painful swap later."""

    class Meta:
        db_table = "accounts_user"
