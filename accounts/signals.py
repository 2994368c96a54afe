"""Receivers: a profile for every new user, and the ORCID iD proven whenever allauth adds,
uses or removes an ORCID sign-in."""

from allauth.account.signals import user_logged_in, user_signed_up
from allauth.socialaccount.signals import social_account_added, social_account_removed
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Profile
from accounts.profiles import sync_proven_orcid


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        Profile.objects.get_or_create(user=instance)


def _is_orcid(sociallogin):
    return sociallogin is not None and sociallogin.account.provider == "orcid"


@receiver(user_signed_up)
@receiver(user_logged_in)
def prove_orcid_on_sign_in(sender, request, user, sociallogin=None, **kwargs):
    if _is_orcid(sociallogin):
        sync_proven_orcid(user)


@receiver(social_account_added)
@receiver(social_account_removed)
def prove_orcid_on_connect(sender, request, sociallogin=None, socialaccount=None, **kwargs):
    account = socialaccount or (sociallogin.account if sociallogin else None)
    if account is not None and account.provider == "orcid":
        sync_proven_orcid(account.user)
