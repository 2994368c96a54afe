"""The portal's settings plus the benchmark's two ceiling views (bench/urls.py).

Everything else, including DEBUG=false and the security settings, comes from the
environment exactly as in production (bench/run.py sets it).
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
