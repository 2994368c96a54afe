"""No tasks are defined here: they sit beside the functions they run (pretix style), in
``picks`` (refresh_user_picks, rebuild_recommendations) and ``digests`` (send_digests,
send_digest). Celery's autodiscovery (portal/celery.py) imports each app's ``tasks``
module, so importing those modules here is what registers their tasks with the worker."""

from recommendations import digests, picks  # noqa: F401
