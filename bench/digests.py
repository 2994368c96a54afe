"""How long the weekly email digests of N users take to queue and to render, next to
rendering the same template N times with no database work (the ceiling).

    .venv/bin/python bench/digests.py --users 10000

Runs with production settings (DEBUG off: templates compiled once). Creates a throwaway
PostgreSQL database (``portal_bench_digests`` on the test server;
dropped at the end unless ``--keep``), migrates it, and fills it with N users (default
weekly digest), 2,000 papers with a journal and three authors each, and five personal
picks (Recommendation rows) per user. Then it times:

- queue: the beat task ``recommendations.digests.send_digests("weekly")`` run in-process with a
  batch as large as N: it selects the users due and enqueues one ``send_digest`` task per
  user on Redis (a queue of its own, emptied afterwards);
- render only: ``recommendations.digests.preview`` per user — collect the user's picks and
  activity (4 queries) and render both parts, writing nothing;
- send: ``recommendations.digests.send`` per user, as a worker runs it — collect, insert the
  send-log row and its EmailedPaper rows in one transaction, render, hand the message to
  Django's in-memory email backend (no SMTP), mark it sent;
- ceiling: ``render_to_string`` of the digest's .txt and .html templates N times with one
  prepared context of plain values (five picks), no database.

Prints figures and asserts nothing (the check is that every user got one digest).
"""

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_digests"
QUEUE = "bench-digests"
PAPERS = 2000
PICKS = 5


def admin_url(database_url):
    return database_url.rstrip("/").rsplit("/", 1)[0] + "/postgres"


def database_name(database_url):
    return database_url.rstrip("/").rsplit("/", 1)[1].split("?")[0]


def drop_database(database_url, *, create=False):
    import psycopg
    from psycopg import sql

    name = sql.Identifier(database_name(database_url))
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def setup_django(database_url, redis_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    # Production settings: DEBUG off, so templates are compiled once and kept (cached loader).
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fill(users):
    """N users with profiles, PAPERS papers with journal and authors, PICKS picks each."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from accounts.models import Profile
    from papers.models import Author, Authorship, Journal, Paper
    from recommendations.models import Recommendation

    User = get_user_model()
    with transaction.atomic():
        journals = Journal.objects.bulk_create(
            Journal(title=f"Journal of Benchmarks {n}") for n in range(50)
        )
        papers = Paper.objects.bulk_create(
            Paper(
                doi=f"10.5555/bench.{n}",
                title=f"A benchmark paper on topic {n} with a title of ordinary length",
                journal=journals[n % len(journals)],
                published_year=2000 + n % 25,
            )
            for n in range(PAPERS)
        )
        authors = Author.objects.bulk_create(
            Author(given_name="Ada", family_name=f"Bench{n}", name=f"Ada Bench{n}")
            for n in range(PAPERS)
        )
        Authorship.objects.bulk_create(
            Authorship(paper=paper, author=authors[(i + k) % len(authors)], position=k)
            for i, paper in enumerate(papers)
            for k in range(3)
        )
        # bulk_create skips post_save, so profiles are made here (defaults: weekly).
        people = User.objects.bulk_create(
            User(username=f"bench{n}", email=f"bench{n}@example.org") for n in range(users)
        )
        Profile.objects.bulk_create(Profile(user=person) for person in people)
        Recommendation.objects.bulk_create(
            Recommendation(
                user=person,
                paper=papers[(n * 7 + k) % len(papers)],
                rank=k + 1,
                score=1.0 / (k + 1),
                reason="interest",
                detail="Benchmarking",
            )
            for n, person in enumerate(people)
            for k in range(PICKS)
        )
    return [person.pk for person in people]


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def purge_queue():
    from portal.celery import app

    with app.connection_for_write() as connection:
        return connection.default_channel.queue_purge(QUEUE) or 0


def ceiling_context():
    """One digest's context as plain values, made once (signing included), outside the
    timing."""
    from django.conf import settings

    from accounts import unsubscribe
    from accounts.models import EmailKind
    from recommendations import digests

    picks = [
        digests.Pick(
            paper_id=n,
            title=f"A benchmark paper on topic {n} with a title of ordinary length",
            authors="Ada Bench1, Ada Bench2, Ada Bench3",
            journal="Journal of Benchmarks 1",
            year=2020,
            rating="Not enough ratings",
            reason="In your interest “Benchmarking”",
            url=f"{settings.SITE_URL}/papers/{n}/",
            not_relevant_url=digests.not_relevant_url(1, n),
        )
        for n in range(PICKS)
    ]
    return {
        "name": "bench0",
        "period": "weekly",
        "picks": picks,
        "site_url": settings.SITE_URL,
        **unsubscribe.footer_context(
            unsubscribe.unsubscribe_url(1, [EmailKind.RECOMMENDATIONS]),
            [EmailKind.RECOMMENDATIONS],
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    drop_database(args.database_url, create=True)
    setup_django(args.database_url, args.redis_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.core.management import call_command
    from django.template.loader import render_to_string

    from recommendations import digests
    from recommendations.models import Digest

    try:
        call_command("migrate", verbosity=0, interactive=False)
        seconds, user_ids = timed(lambda: fill(args.users))
        print(f"filled: {args.users} users, {PAPERS} papers, {PICKS} picks each ({seconds:.1f} s)")
        n = len(user_ids)
        key = digests.period_key("weekly")
        rows = []

        purge_queue()
        # One run enqueues every user (in production each run takes DIGEST_BATCH_SIZE and
        # enqueues the next run; the per-user cost is the same). The purge also drops the
        # empty follow-up run.
        settings.DIGEST_BATCH_SIZE = n
        seconds, enqueued = timed(lambda: digests.send_digests.run("weekly"))
        purged = purge_queue()
        rows.append(("queue (beat fan-out to Redis)", seconds, enqueued))
        assert enqueued == n and purged == n + 1, (enqueued, purged)

        users = list(get_user_model().objects.filter(pk__in=user_ids).select_related("profile"))
        seconds, _ = timed(lambda: [digests.preview(user, "weekly") for user in users])
        rows.append(("render only (collect + render)", seconds, n))

        mail.outbox = []
        seconds, outcomes = timed(lambda: [digests.send(pk, "weekly", key) for pk in user_ids])
        rows.append(("send (collect + log + render + backend)", seconds, n))
        assert outcomes.count("sent") == n and len(mail.outbox) == n
        assert Digest.objects.filter(email__status="sent").count() == n

        context = ceiling_context()
        seconds, _ = timed(
            lambda: [
                (
                    render_to_string(f"{digests.TEMPLATE}.txt", context),
                    render_to_string(f"{digests.TEMPLATE}.html", context),
                )
                for _ in range(n)
            ]
        )
        rows.append(("ceiling (render the templates, no DB)", seconds, n))

        ceiling = rows[-1][1]
        print(f"\n{n} users, weekly digest of {PICKS} papers each:")
        print(f"{'path':44} {'total s':>8} {'per user ms':>12} {'users/s':>9} {'vs ceiling':>11}")
        for name, seconds, count in rows:
            print(
                f"{name:44} {seconds:8.2f} {1000 * seconds / count:12.3f} "
                f"{count / seconds:9.0f} {seconds / ceiling:10.1f}x"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
