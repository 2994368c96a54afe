"""Settings come from the environment; each case runs manage.py in a fresh process."""

import os
import subprocess
import sys

from tests.conftest import ROOT

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3v!q9-long-random-production-secret-0c2f7e1a9b8d4c6e5f3a2b1c0d9e8f7a",
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://portal@db.example.org:5432/portal",
    "REDIS_URL": "redis://cache.example.org:6379/0",
}


def manage(*args, env=None, tmp_path):
    """Run manage.py with only the given variables (plus a private VAR_DIR)."""
    base = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_warnings_with_production_variables(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    result = manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_embedded_default_is_sqlite_in_wal_mode_under_var(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(connection.settings_dict['NAME'], c.fetchone()[0])"
    )

    result = manage("shell", "--no-imports", "-c", code, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "portal.sqlite3"), "wal"]


def test_the_embedded_default_broker_keeps_messages_on_local_disk(tmp_path):
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"

    result = manage("shell", "--no-imports", "-c", code, tmp_path=tmp_path)

    assert result.stdout.strip() == "filesystem://"
    assert (tmp_path / "broker" / "queue").is_dir()


def test_redis_url_makes_redis_the_broker_and_the_cache(tmp_path):
    code = (
        "from django.conf import settings; "
        "print(settings.CELERY_BROKER_URL, settings.CACHES['default']['BACKEND'])"
    )

    result = manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"REDIS_URL": "redis://r.example:6379/2"},
        tmp_path=tmp_path,
    )

    assert result.stdout.split() == [
        "redis://r.example:6379/2",
        "django.core.cache.backends.redis.RedisCache",
    ]
