"""Shared fixtures: named users, real service processes, and the CI rule on skips.

The people every app's tests share, each with different rights:

- alice: a researcher with no claim;
- bob: another researcher;
- carol: the verified author of ``paper``'s first authorship;
- curator: staff allowed to change claims (not a superuser). tests/reviews/conftest.py
  gives its curator the resource-request permissions instead, and its ``paper`` one author.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.contrib.auth.models import Permission
from django.core.cache import cache
from kombu import Connection

from accounts.models import Claim
from portal.celery import app as celery_app
from tests.factories import AuthorFactory, AuthorshipFactory, PaperFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"

# Playwright's sync API keeps an event loop in the test thread; the ORM calls our tests make
# there are still synchronous, so Django's async-safety guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def skip_or_fail(reason):
    """Outside CI a missing service skips the test; in CI it is a failure."""
    if IN_CI:
        pytest.fail(f"CI requires this service: {reason}")
    pytest.skip(reason)


def pytest_sessionfinish(session, exitstatus):
    # In CI every test must run: one skip fails the run.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; failing the run.", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts without rendered pages kept by an earlier one (papers.page_cache)."""
    from django.core.cache import caches

    # The default cache also holds allauth's rate-limit counters.
    caches["pages"].clear()
    caches["default"].clear()


@pytest.fixture(autouse=True)
def _content_scores_only(settings):
    """Recommendations score by content alone (as without the optional sentence-embedding
    extra), whether or not the extra is installed here: tests/papers/test_embeddings.py
    turns it on where it is tested."""
    settings.RELATED_EMBEDDINGS = "off"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium, quietly: no background calls to outside hosts."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": flags}


@pytest.fixture
def tasks_in_process():
    """Celery tasks sent during the test run at once in this process (what a test that
    runs the on-commit callbacks needs to see a task's effect; the worker wiring is tested
    against real workers in the service tests)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def redis_url():
    """The Redis of the service tests (TEST_REDIS_URL), checked reachable."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as error:
        skip_or_fail(f"Redis at {url} is unreachable ({error})")
    return url


def database_url_of(connection):
    """A DATABASE_URL for another process to reach the test database we are using."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class WorkerProcess:
    """A real `celery worker` subprocess on the test database, on its own queue.

    ``concurrency`` > 1 runs the prefork pool (child processes) instead of one process. The
    worker leads its own process group, so that ``kill()`` takes its children with it.
    """

    def __init__(self, *, broker_url=None, queue=None, env=None, concurrency=None):
        from django.db import connection

        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.queue = queue or f"test-{uuid.uuid4().hex[:8]}"
        # The client the test sends through: our app, or a bare one on the given broker
        # (control commands go through an app's own producer pool, not a passed connection).
        self.client = (
            Celery("test-client", broker=broker_url, set_as_current=False)
            if broker_url
            else celery_app
        )
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of(connection),
            # Tasks that tasks send (a rebuild's chunks, the picks refresh after it) go to
            # the queue the worker reads, as they do in production.
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "RELATED_EMBEDDINGS": "off",  # as in this process (_content_scores_only)
            **(env or {}),
        }
        if broker_url:
            env["REDIS_URL"] = broker_url
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker"]
        command += [f"--concurrency={concurrency}"] if concurrency else ["--pool=solo"]
        command += ["-n", self.name, "-Q", self.queue, "--loglevel=info", "--without-gossip"]
        command += ["--without-mingle"]
        self.log = open(ROOT / "var" / f"{self.name}.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.output()}")
            if self.client.control.ping([self.name], timeout=0.5):
                return
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.output()}")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def send(self, task_name, *args):
        """Enqueue a task by name on this worker's queue, through its broker."""
        self.client.send_task(task_name, args=args, queue=self.queue)

    def kill(self):
        """SIGKILL the worker and its pool children at once: nothing acknowledged, nothing
        given back, as when a machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is not None:
            self.log.close()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def start_worker(transactional_db):
    """Start real worker processes; each is stopped at the end of the test."""
    workers = []
    (ROOT / "var").mkdir(exist_ok=True)

    def start(**kwargs):
        worker = WorkerProcess(**kwargs)
        workers.append(worker)
        worker.wait_until_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(condition, *, timeout=30, interval=0.2):
    """Poll until condition() is truthy; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def replay_server(settings):
    """A local replay server standing in for Crossref, DataCite and OpenAlex."""

    from tests.replay import ReplayServer

    server = ReplayServer().start()
    settings.CROSSREF_API_URL = server.url + "/crossref"
    settings.DATACITE_API_URL = server.url + "/datacite"
    settings.OPENALEX_API_URL = server.url + "/openalex"
    cache.clear()  # rate-limit state of earlier tests
    yield server
    server.stop()
    cache.clear()


# --- the named people ---

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Several users per test: PBKDF2's deliberate slowness would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alice", last_name="Liddell")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bob", last_name="Builder")


@pytest.fixture
def paper(db):
    paper = PaperFactory(title="Tea parties considered harmful")
    for position, (given, family) in enumerate(
        [("Carol", "Carroll"), ("Alice", "Liddell"), ("Bob", "Builder")]
    ):
        AuthorshipFactory(
            paper=paper,
            position=position,
            author=AuthorFactory(given_name=given, family_name=family),
            affiliations=[f"University of {family}"],
        )
    return paper


@pytest.fixture
def carol(paper):
    carol = UserFactory(username="carol", first_name="Carol", last_name="Carroll")
    first = paper.authorships.get(position=0)
    Claim.objects.create(user=carol, authorship=first, paper=paper, status=Claim.Status.VERIFIED)
    return carol


@pytest.fixture
def curator(db):
    curator = UserFactory(username="curator", is_staff=True)
    curator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts",
            codename__in=["view_claim", "change_claim", "view_claimdispute", "change_claimdispute"],
        )
    )
    return curator


def authorship_of(paper, position):
    return paper.authorships.select_related("author").get(position=position)
