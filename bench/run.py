"""The catalogue benchmark, in one run: pages and API under gunicorn, then search.

    .venv/bin/python bench/run.py --papers 100000

1. Builds (or keeps) a catalogue of N papers in PostgreSQL (bench/build_catalogue.py).
2. Serves it with gunicorn, 2 sync workers, DEBUG=false and production settings, on
   127.0.0.1 only, with the bench URLconf (portal URLs + two ceiling views, bench/views.py).
3. Drives load with wrk (or ApacheBench when wrk is missing) and prints requests/s and
   p50/p99 for: the paper page vs a bare Django view returning a static page of the same
   size (its ceiling); the paper page for a signed-in reader (logged in through the real
   log-in form and session middleware, its session cookie sent with every request) vs a
   bare view sending the bytes of that reader's page to the same reader through the same
   middleware (its ceiling); and the API list vs the same rows as plain dicts in a
   JsonResponse.
4. Runs bench/search.py at 100,000 and 1,000,000 papers (``--search-papers``).
5. Prints every figure next to its target (``--json FILE`` also writes them as JSON).
   Nothing is asserted: this is not a test.

Every load run is bounded in requests (``--requests``) and in time (``--seconds``).
"""

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.build_catalogue import default_database_url  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
VAR = ROOT / "var" / "bench"
TARGETS = {"paper page": 0.60, "signed-in paper page": 0.10, "API list": 0.80}
# Each measured URL set -> its ceiling.
CEILINGS = {
    "paper page": "static page (ceiling)",
    "signed-in paper page": "signed-in static page (ceiling)",
    "API list": "plain dicts JsonResponse (ceiling)",
}
BENCH_READER = "bench-reader"
SEARCH_TARGET_P95_MS = 50.0
CONCURRENCY = 4  # two workers, each with one request waiting: both always busy
SAMPLE_PAPERS = 200  # the paper pages the load rotates over (fixed seed)

# wrk: rotate over the URLs of a file; stop after a number of requests. wrk then still
# waits out its -d duration and divides by it, so the script reports the time it stopped
# at (wrk's Lua has no sub-second clock: `date` is asked once at each end).
WRK_SCRIPT = """
local paths, i, done, limit = {}, 0, 0, tonumber(os.getenv("BENCH_REQUESTS_PER_THREAD"))
local started
for line in io.lines(os.getenv("BENCH_URLS")) do paths[#paths + 1] = line end
local function now_ns() return tonumber(io.popen("date +%s%N"):read("*l")) end
init = function(args) started = now_ns() end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  done = done + 1
  if status ~= 200 then io.stderr:write("status " .. status .. "\\n") end
  if done == limit then
    io.stderr:write("stopped after " .. done .. " in " .. (now_ns() - started) .. " ns\\n")
    wrk.thread:stop()
  end
end
"""


def server_env(database_url, static_page, signed_in_page, redis_db=9):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        VAR_DIR=str(VAR),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on 127.0.0.1: no TLS redirect; cookies are not part of these pages.
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_LEVEL="WARNING",
        BENCH_STATIC_PAGE=str(static_page),
        BENCH_SIGNED_IN_PAGE=str(signed_in_page),
        PYTHONPATH=str(ROOT),
    )
    if redis_answers():
        # Production's cache (and broker); a database number of its own.
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{redis_db}"
    return env


def redis_answers():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, timeout=30, *, cookie=None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


# --- a signed-in reader ---

CREATE_READER = """
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
user, _ = get_user_model().objects.get_or_create(username={name!r})
user.email = {name!r} + "@bench.invalid"
user.set_password({password!r})
user.save()
EmailAddress.objects.update_or_create(
    user=user, email=user.email, defaults={{"verified": True, "primary": True}}
)
"""


def create_reader(manage, env, password):
    """A user with a verified email address, to log in with (created or reset)."""
    code = CREATE_READER.format(name=BENCH_READER, password=password)
    subprocess.run([*manage, "shell", "-c", code], env=env, check=True)


def log_in(base, password):
    """Log in through the portal's own log-in form (allauth, CSRF, the session middleware);
    returns the Cookie header a browser would send afterwards."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + "/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    data = urllib.parse.urlencode(
        {"login": BENCH_READER, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        base + "/accounts/login/", data=data, headers={"Referer": base + "/accounts/login/"}
    )
    opener.open(request, timeout=30).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit("bench: logging in as the bench reader failed (no session cookie)")
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def wait_until_up(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            get(url, timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def sample_paper_paths(database_url, count):
    """Canonical paths (/doi/...) of ``count`` papers picked with a fixed seed."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        total, low = conn.execute("SELECT count(*), min(id) FROM papers_paper").fetchone()
        ids = random.Random(1).sample(range(low, low + total), min(count, total))
        rows = conn.execute("SELECT id, doi FROM papers_paper WHERE id = ANY(%s)", [ids]).fetchall()
    return [f"/doi/{doi}" if doi else f"/papers/{pk}/" for pk, doi in rows]


# --- load generators ---


def run_wrk(base, paths, *, requests, seconds, concurrency, cookie=None):
    with tempfile.TemporaryDirectory() as tmp:
        urls = Path(tmp) / "urls.txt"
        urls.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "rotate.lua"
        script.write_text(WRK_SCRIPT)
        env = dict(
            os.environ,
            BENCH_URLS=str(urls),
            BENCH_REQUESTS_PER_THREAD=str(requests),
        )
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        command += ["--timeout", "10s", "-s", str(script), base]
        out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 30)
    text = out.stdout
    errors = len([line for line in out.stderr.splitlines() if line.startswith("status")])

    def latency(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", text, re.M)
        value, unit = float(match[1]), match[2]
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    total = int(re.search(r"(\d+) requests in", text)[1])
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1])
    stopped = re.search(r"stopped after (\d+) in (\d+) ns", out.stderr)
    if stopped:  # the request bound came first: wrk's own rate would count idle time
        rps = int(stopped[1]) / (int(stopped[2]) / 1e9)
    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": total,
        "errors": errors + _non_2xx(text),
    }


def _non_2xx(text):
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return int(match[1]) if match else 0


def run_ab(base, paths, *, requests, seconds, concurrency, cookie=None):
    # ab takes one URL: the first of the sample.
    command = ["ab", "-q", "-k", "-c", str(concurrency), "-t", str(seconds)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command += ["-n", str(requests), base + paths[0]]
    text = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout

    def percentile(p):
        return float(re.search(rf"^\s*{p}%\s+(\d+)", text, re.M)[1])

    failed = int(re.search(r"Failed requests:\s+(\d+)", text)[1])
    return {
        "rps": float(re.search(r"Requests per second:\s+([\d.]+)", text)[1]),
        "p50": percentile(50),
        "p99": percentile(99),
        "requests": int(re.search(r"Complete requests:\s+(\d+)", text)[1]),
        "errors": failed + _non_2xx(text),
    }


def load(base, paths, args, *, cookie=None):
    runner = run_wrk if shutil.which("wrk") else run_ab
    # A short unmeasured run first: imports, connections, caches.
    runner(base, paths, requests=200, seconds=3, concurrency=CONCURRENCY, cookie=cookie)
    rounds = [
        runner(
            base,
            paths,
            requests=args.requests,
            seconds=args.seconds,
            concurrency=CONCURRENCY,
            cookie=cookie,
        )
        for _ in range(args.rounds)
    ]
    # The median round by requests/s (other processes on the machine make rounds noisy).
    return sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2]


# --- the run ---


def http_benchmarks(database_url, args):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    static_page = VAR / "static-paper-page.html"
    signed_in_page = VAR / "signed-in-paper-page.html"
    static_page.parent.mkdir(parents=True, exist_ok=True)
    static_page.write_bytes(b"")  # placeholders until real pages are saved below
    signed_in_page.write_bytes(b"")
    env = server_env(database_url, static_page, signed_in_page, redis_db=args.redis_db)
    manage = [str(VENV_BIN / "python"), str(ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    password = secrets.token_urlsafe(16)
    create_reader(manage, env, password)
    command = [str(VENV_BIN / "gunicorn"), "portal.wsgi:application"]
    command += ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        paths = sample_paper_paths(database_url, SAMPLE_PAPERS)
        wait_until_up(base + paths[0], server)
        sizes = {path: len(get(base + path)[1]) for path in paths}
        mean = statistics.mean(sizes.values())
        closest = min(paths, key=lambda path: abs(sizes[path] - mean))
        # The ceiling page: the real page whose size is nearest the sample's mean.
        static_page.write_bytes(get(base + closest)[1])
        cookie = log_in(base, password)
        # The signed-in ceiling: the same paper's page as the signed-in reader gets it.
        signed_in_page.write_bytes(get(base + closest, cookie=cookie)[1])
        signed_in_sizes = [len(get(base + path, cookie=cookie)[1]) for path in paths[:20]]
        ceiling_status, ceiling_bytes = get(base + "/bench/signed-in-static-page/", cookie=cookie)
        if ceiling_status != 200 or ceiling_bytes != signed_in_page.read_bytes():
            raise SystemExit("bench: the signed-in ceiling view does not answer the saved page")
        api = json.loads(get(base + "/api/v1/papers/")[1])
        plain = json.loads(get(base + "/bench/plain-papers/")[1])
        same_rows = api == plain
        print(
            f"paper pages: {len(paths)} sampled, mean {mean:,.0f} bytes "
            f"(min {min(sizes.values()):,}, max {max(sizes.values()):,}); "
            f"ceiling page {len(static_page.read_bytes()):,} bytes"
        )
        print(
            f"signed-in pages (first 20 of the sample): mean "
            f"{statistics.mean(signed_in_sizes):,.0f} bytes; signed-in ceiling page "
            f"{len(signed_in_page.read_bytes()):,} bytes, answered to the same session"
        )
        print(f"API list page: {len(api['results'])} rows; plain-dicts JSON identical: {same_rows}")
        figures = {}
        for name, urls, with_cookie in (
            ("paper page", paths, False),
            ("static page (ceiling)", ["/bench/static-page/"], False),
            # The signed-in reader: their session on every request (no whole-page cache).
            ("signed-in paper page", paths, True),
            ("signed-in static page (ceiling)", ["/bench/signed-in-static-page/"], True),
            # A query string skips the whole-page cache: rendered from the cached fragments.
            ("paper page, rendered every time", [f"{path}?render" for path in paths], False),
            ("API list", ["/api/v1/papers/"], False),
            ("plain dicts JsonResponse (ceiling)", ["/bench/plain-papers/"], False),
        ):
            if (
                args.only
                and name not in args.only
                and not any(CEILINGS.get(wanted) == name for wanted in args.only)
            ):
                continue
            figures[name] = load(base, urls, args, cookie=cookie if with_cookie else None)
            f = figures[name]
            print(
                f"  {name:<42} {f['rps']:8.1f} req/s  p50 {f['p50']:7.1f} ms  "
                f"p99 {f['p99']:7.1f} ms  ({f['requests']} requests, {f['errors']} errors)"
            )
        return figures, same_rows
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000, help="catalogue for the pages")
    parser.add_argument(
        "--search-papers",
        type=int,
        nargs="*",
        default=[100_000, 1_000_000],
        help="catalogue sizes for the search benchmark (none: skip it)",
    )
    parser.add_argument("--requests", type=int, default=20000, help="max requests per load run")
    parser.add_argument("--seconds", type=int, default=15, help="max seconds per load run")
    parser.add_argument("--rounds", type=int, default=3, help="load runs per URL (median kept)")
    parser.add_argument("--queries", type=int, default=40, help="search queries per word count")
    parser.add_argument(
        "--database-url", help="the catalogue's database (default: portal_bench_<N> for --papers)"
    )
    parser.add_argument(
        "--redis-db", type=int, default=9, help="Redis database number for the server's cache"
    )
    parser.add_argument(
        "--only",
        nargs="*",
        choices=list(CEILINGS),
        help="measure only these (each with its ceiling)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"{started}, {os.cpu_count()} cores, load {os.getloadavg()}")
    database_url = args.database_url or default_database_url(args.papers)
    build = [str(VENV_BIN / "python"), str(ROOT / "bench" / "build_catalogue.py")]
    subprocess.run(
        [*build, "--papers", str(args.papers), "--database-url", database_url], check=True
    )
    print(
        f"\n== pages and API at {args.papers:,} papers: gunicorn, 2 workers, {CONCURRENCY} "
        "connections =="
    )
    figures, _ = http_benchmarks(database_url, args)

    search_summary = {}
    if args.search_papers:
        print("\n== search ==")
        subprocess.run(
            [
                str(VENV_BIN / "python"),
                str(ROOT / "bench" / "search.py"),
                "--papers",
                *map(str, args.search_papers),
                "--queries",
                str(args.queries),
                "--json",
                str(VAR / "search.json"),
            ],
            check=True,
        )
        search_summary = json.loads((VAR / "search.json").read_text())

    print("\n== against the targets ==")
    ratios = {}
    for name, ceiling in CEILINGS.items():
        if name not in figures:
            continue
        ratio = figures[name]["rps"] / figures[ceiling]["rps"]
        p50_ratio = figures[ceiling]["p50"] / figures[name]["p50"] if figures[name]["p50"] else 0
        met = ratio >= TARGETS[name]
        ratios[name] = {"ratio": ratio, "p50_ratio": p50_ratio, "target": TARGETS[name], "met": met}
        print(
            f"{name}: {ratio:.0%} of its ceiling in requests/s, p50 {figures[name]['p50']:.2f} "
            f"ms vs {figures[ceiling]['p50']:.2f} ms ({p50_ratio:.0%}) "
            f"(target >= {TARGETS[name]:.0%}): {'met' if met else 'MISSED'}"
        )
    for papers, paths in search_summary.items():
        p95 = paths["orm"]["p95"]
        target = " (target <= 50 ms at 1,000,000)" if int(papers) == 1_000_000 else ""
        verdict = (" " + ("met" if p95 <= SEARCH_TARGET_P95_MS else "MISSED")) if target else ""
        print(
            f"ranked search at {int(papers):,}: p95 {p95:.1f} ms through search_papers, "
            f"raw SQL {paths['raw']['p95']:.1f} ms, rank-every-match "
            f"{paths['obvious']['p95']:.1f} ms{target}{verdict}"
        )

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "started": started,
                    "cores": os.cpu_count(),
                    "papers": args.papers,
                    "http": figures,
                    "ratios": ratios,
                    "search": search_summary,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
