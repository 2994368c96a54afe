"""Health checks for /healthz: is the database, the broker and at least one worker up?

Each check returns a dict with "ok" (bool) and a short "detail" for a person reading it.
"""

from django.db import connection

from portal.celery import app as celery_app


def check_database():
    """One trivial query on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means "down"; the reason is reported
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"}
    return {"ok": True, "detail": connection.vendor}


def check_broker():
    """Open (and close) a connection to the Celery broker."""
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as error:
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"}
    return {"ok": True, "detail": str(transport)}


def check_workers(timeout=1.0):
    """Ping the workers through the broker; up when at least one answers in time."""
    try:
        replies = celery_app.control.ping(timeout=timeout, limit=1)
    except Exception as error:
        return {"ok": False, "detail": f"{type(error).__name__}: {error}"}
    if not replies:
        return {"ok": False, "detail": "no worker answered"}
    return {"ok": True, "detail": ", ".join(name for reply in replies for name in reply)}


def check_all():
    """All checks; the portal is healthy when every one is ok."""
    checks = {"database": check_database(), "broker": check_broker()}
    # Without a broker there is no point waiting for workers to answer through it.
    checks["worker"] = (
        check_workers() if checks["broker"]["ok"] else {"ok": False, "detail": "broker down"}
    )
    return checks
