"""An email backend for tests that fails like a real server would, for chosen recipients.

It stands in for the SMTP server or provider at the email boundary (Django's backend
interface), not for our own code: everything else is Django's locmem backend.
"""

import smtplib

from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend


class RefusingBackend(EmailBackend):
    """locmem, except that a message to an address in settings.TEST_REFUSED_RECIPIENTS
    raises SMTPRecipientsRefused, as an SMTP server rejecting it would."""

    def send_messages(self, messages):
        refused = set(getattr(settings, "TEST_REFUSED_RECIPIENTS", ()))
        for message in messages:
            bad = refused.intersection(message.recipients())
            if bad:
                raise smtplib.SMTPRecipientsRefused(
                    {addr: (550, b"mailbox unavailable") for addr in bad}
                )
        return super().send_messages(messages)


class QuitFailingBackend(EmailBackend):
    """locmem, except that closing the connection raises, as an SMTP server answering QUIT
    with an error, after it has accepted the message, would."""

    def close(self):
        raise smtplib.SMTPResponseException(421, b"closing the line")


class WorkerDied(BaseException):
    """What a worker killed mid-send leaves behind: nothing of ours runs after it (a
    BaseException, so no ``except Exception`` of ours records anything)."""


class DyingBackend(EmailBackend):
    """locmem that takes the message and then never returns, as when the worker is killed
    (hard time limit, OOM, deploy) while the SMTP server has the message: whether it went
    out is unknown, and the task will be delivered again."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise WorkerDied("killed while sending")
