"""accounts.emails.send_once: every email but the digest goes out at most once, from a
send-log row written before it is sent."""

import threading

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection

from accounts.emails import send_once
from accounts.models import SentEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = SentEmail.Kind.REQUEST_STATUS


def hello(user, subject="Hello"):
    return EmailMessage(subject, "Body.", to=[user.email])


def test_the_same_email_to_the_same_user_goes_out_once(alice):
    assert send_once(kind=KIND, key="7:acknowledged", to=alice, message=hello(alice)) is True
    assert send_once(kind=KIND, key="7:acknowledged", to=alice, message=hello(alice)) is False

    assert len(mail.outbox) == 1
    logged = SentEmail.objects.get()
    assert (logged.kind, logged.key, logged.recipient, logged.status) == (
        KIND,
        "7:acknowledged",
        alice,
        "sent",
    )
    assert logged.sent_at is not None and logged.attempts == 1


def test_another_key_kind_or_recipient_is_another_email(alice, bob):
    send_once(kind=KIND, key="7:acknowledged", to=alice, message=hello(alice))
    send_once(kind=KIND, key="7:fulfilled", to=alice, message=hello(alice))
    send_once(kind=SentEmail.Kind.REQUEST_ANSWERED, key="7", to=alice, message=hello(alice))
    send_once(kind=KIND, key="7:acknowledged", to=bob, message=hello(bob))

    assert [m.to for m in mail.outbox] == [[alice.email]] * 3 + [[bob.email]]
    assert SentEmail.objects.filter(status="sent").count() == 4


def test_a_refused_send_is_logged_as_failed_and_the_next_try_sends_it(alice, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"
    settings.TEST_REFUSED_RECIPIENTS = [alice.email]

    with pytest.raises(OSError):  # SMTPRecipientsRefused, which the tasks retry
        send_once(kind=KIND, key="7:declined", to=alice, message=hello(alice))

    logged = SentEmail.objects.get()
    assert logged.status == "failed" and logged.sent_at is None
    assert "SMTPRecipientsRefused" in logged.error and logged.attempts == 1
    assert mail.outbox == []

    settings.TEST_REFUSED_RECIPIENTS = []
    assert send_once(kind=KIND, key="7:declined", to=alice, message=hello(alice)) is True
    assert send_once(kind=KIND, key="7:declined", to=alice, message=hello(alice)) is False
    assert len(mail.outbox) == 1
    logged.refresh_from_db()
    assert (logged.status, logged.attempts, logged.error) == ("sent", 2, "")


def test_an_email_left_sending_by_a_dead_worker_is_not_sent_again(alice):
    # Its message may have gone out before the worker died: at most once.
    SentEmail.objects.create(kind=KIND, key="7:fulfilled", recipient=alice, status="sending")

    assert send_once(kind=KIND, key="7:fulfilled", to=alice, message=hello(alice)) is False
    assert mail.outbox == []


def test_a_fault_after_the_server_accepted_the_message_does_not_make_it_failed(alice, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.QuitFailingBackend"

    assert send_once(kind=KIND, key="7:fulfilled", to=alice, message=hello(alice)) is True

    assert len(mail.outbox) == 1
    assert SentEmail.objects.get().status == "sent"


THREADS = 8


def at_the_same_moment(send):
    """Run send() in THREADS threads, each on its own database connection, released
    together; returns what each returned."""
    start = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(send())
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(repr(error))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sends_of_one_email_send_it_once():
    reader = UserFactory(username="reader")

    results = at_the_same_moment(
        lambda: send_once(kind=KIND, key="9:acknowledged", to=reader, message=hello(reader))
    )

    assert sorted(results) == [False] * (THREADS - 1) + [True]
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_of_a_failed_email_send_it_once():
    reader = UserFactory(username="reader")
    SentEmail.objects.create(kind=KIND, key="9:declined", recipient=reader, status="failed")

    results = at_the_same_moment(
        lambda: send_once(kind=KIND, key="9:declined", to=reader, message=hello(reader))
    )

    assert sorted(results) == [False] * (THREADS - 1) + [True]
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get().attempts == 2
