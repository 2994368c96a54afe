"""Emails about reviews to their authors."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def tell_reviewer_hidden(review):
    """Email the reviewer that a curator hid their review, and why (no-op for deleted users)."""
    user = review.user
    if user is None or not user.email:
        return
    context = {"review": review, "paper": review.paper, "site_url": settings.SITE_URL}
    send_mail(
        subject="Your review was hidden by a curator",
        message=render_to_string("reviews/email/review_hidden.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
