"""The Celery app: configured from Django settings (the CELERY_* names).

Tasks live beside the functions they run (``papers.metadata.fetch_metadata``,
``papers.recommend.place_related_paper`` …): ``CELERY_IMPORTS`` in the settings lists the
modules that define them, and a worker imports those at start-up.
"""

import functools
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
        # `finally` anyway, so raising SystemExit is all the handler has to do.
        def stop(signum, frame):
            raise SystemExit()

        platforms.signals.update(SIGTERM=stop, SIGINT=stop)


class PortalTask(DjangoTask):
    """Every task of ours: ``task.delay_on_commit(id)`` is how follow-up work is enqueued."""

    def delay_on_commit(self, *args, **kwargs):
        """Enqueue once the current transaction commits (at once outside one).

        Robust: a broker that is down when the write commits must not turn a request whose
        data landed into an error. Each caller's work is picked up again by a sweep
        (``papers.metadata.refresh_due_metadata``) or the nightly rebuilds, or, for an
        email, stays unsent in its send log.
        """
        transaction.on_commit(functools.partial(self.delay, *args, **kwargs), robust=True)


class PortalCelery(Celery):
    @cached_property
    def Beat(self):  # noqa: N802 (Celery's name)
        return self.subclass_with_self(PortalBeat)


app = PortalCelery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
