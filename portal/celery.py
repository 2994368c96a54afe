"""The Celery app: configured from Django settings (the CELERY_* names).

Tasks live beside the functions they run (``papers.metadata.fetch_metadata``,
``papers.recommend.place_related_paper`` …): ``CELERY_IMPORTS`` in the settings lists the
modules that define them, and a worker imports those at start-up.
"""

import os

from celery import Celery, platforms
from celery.apps.beat import Beat
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.utils.objects import cached_property

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class PortalBeat(Beat):
    """`celery beat` that stops on the first SIGTERM or SIGINT, whenever it comes."""

    def install_sync_handler(self, service):
        # Celery's handler writes the schedule from inside the signal handler. A signal in
        # beat's first second, while the scheduler is still being built, builds a second
        # one there; on SQLite that fails, django-celery-beat swallows the error with the
        # exit, and beat runs on forever. The service's loop writes the schedule in its
        # `finally` anyway, so stopping the loop is all the handler has to do. While the
        # scheduler is still being built (its first database writes) the handler only sets
        # the loop's stop flag: a SystemExit raised in the middle of a query on PostgreSQL
        # leaves the connection busy, the transaction's commit then raises an ordinary
        # error in its place, django-celery-beat logs and swallows it, and beat ran on.
        # Once built, raising SystemExit also cuts short the sleep between ticks.
        def stop(signum, frame):
            service._is_shutdown.set()
            if "scheduler" in service.__dict__:
                raise SystemExit()

        platforms.signals.update(SIGTERM=stop, SIGINT=stop)


class PortalTask(DjangoTask):
    """Every task of the portal: Celery's Django task, whose ``delay_on_commit()`` enqueues
    once the transaction commits, made robust."""

    def delay_on_commit(self, *args, **kwargs):
        # robust: a broker fault after the commit is logged, and neither fails the request
        # that committed (its rows are saved) nor stops the other on-commit callbacks.
        # A function, not functools.partial as Celery's: Django logs the callback's
        # __qualname__, which a partial lacks (the log call itself would raise).
        def enqueue():
            self.delay(*args, **kwargs)

        transaction.on_commit(enqueue, robust=True)


class PortalCelery(Celery):
    task_cls = "portal.celery:PortalTask"

    @cached_property
    def Beat(self):  # noqa: N802 (Celery's name)
        return self.subclass_with_self(PortalBeat)


app = PortalCelery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each app's tasks.py, where one is left (portal.tasks)
