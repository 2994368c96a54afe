"""The related-papers rebuild at N papers, fanned out over real Celery workers.

    .venv/bin/python bench/recommend_scale.py --papers 200000 [--workers 1 2] \\
        [--chunk 20000] [--json FILE]

The catalogue is the one ``bench/build_catalogue.py`` builds (real arXiv listings from the
shared data's corpus/, repeated past 74,728), in ``portal_bench_<N>`` unless
``--database-url`` says otherwise; it is built first when missing.

For each number of workers in ``--workers``, that many ``celery worker --pool=solo``
processes are started on a Redis queue of their own (``--redis-url``, default db 13) and
sent the nightly task ``recommendations.picks.rebuild_recommendations``: one worker
prepares the run (documents read, vectors fitted and stored, the nearest-neighbour index
built), then every worker takes chunks of ``--chunk`` papers (candidates from the index,
scored exactly, lists written); the last chunk finishes the run. Reported per run:

- the rebuild's wall time (task sent → run finished), and how long the prepare step took
  (run started → its index built, just before the chunks are sent);
- the peak resident memory of each worker process (``VmHWM``), beside the 4 GB target;
- then, in this process, against the finished run: placement latency (``place_paper`` of
  ``--placements`` papers whose content is "changed", index loaded once beforehand), and
  recall@10 of the index against an exact search of the stored vectors (``--sample``
  query papers, seed 7).

Targets (issue 16): 200,000 papers ≤ 5 min, 1,000,000 ≤ 30 min, ≤ 4 GB per process,
placement ≤ 1 s at 1,000,000, recall@10 ≥ 0.95. Prints figures beside them; asserts
nothing. It writes runs, vectors and index files into the bench database and var/bench.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import build_catalogue  # noqa: E402
from bench import data as shared_data  # noqa: E402

SEED = 7
K = 10
TARGET_MINUTES = {200_000: 5, 1_000_000: 30}
TARGET_PEAK_GB = 4.0
TARGET_PLACEMENT_S = 1.0
TARGET_RECALL = 0.95


class Workers:
    """``count`` real worker processes reading one queue of their own."""

    def __init__(self, count, *, database_url, redis_url, chunk):
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "RELATED_REBUILD_CHUNK": str(chunk),
            "VAR_DIR": str(ROOT / "var" / "bench"),
            "CELERY_TASK_SOFT_TIME_LIMIT": "7200",
            "CELERY_TASK_TIME_LIMIT": "7300",
        }
        self.logs = [ROOT / "var" / "bench" / f"{self.queue}-{n}.log" for n in range(count)]
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo"]
                + ["-n", f"{self.queue}-{n}@localhost", "-Q", self.queue, "--loglevel=info"]
                + ["--without-gossip", "--without-mingle"],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for n, log in enumerate(self.logs)
        ]
        deadline = time.monotonic() + 120
        while not all("ready" in log.read_text() for log in self.logs):
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start:\n" + self.output())
            time.sleep(0.5)

    def output(self):
        return "\n".join(log.read_text()[-3000:] for log in self.logs)

    def peak_memory_gb(self):
        """The peak resident set of each worker process, in GB (VmHWM: the kernel's own)."""
        peaks = []
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            kb = next(int(line.split()[1]) for line in status.splitlines() if "VmHWM" in line)
            peaks.append(kb / 1024 / 1024)
        return peaks

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)


def timed_rebuild(workers, *, timeout):
    """Send the nightly task; wait for a new finished run. Returns (run, seconds)."""
    from celery import Celery

    from papers.models import RecommendationRun

    before = RecommendationRun.objects.order_by("-id").values_list("pk", flat=True).first() or 0
    client = Celery("bench-client", broker=os.environ["BENCH_REDIS_URL"], set_as_current=False)
    started = time.perf_counter()
    client.send_task("recommendations.picks.rebuild_recommendations", queue=workers.queue)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RecommendationRun.objects.filter(pk__gt=before).order_by("-id").first()
        if run is not None and run.status == RecommendationRun.Status.FAILED:
            raise SystemExit(f"the rebuild failed: {run.error}\n" + workers.output())
        if run is not None and run.status == RecommendationRun.Status.FINISHED:
            return run, time.perf_counter() - started
        time.sleep(1)
    raise SystemExit("the rebuild did not finish in time:\n" + workers.output())


def prepare_seconds(run):
    """Run started → its index built (the prepare step, in one worker)."""
    from papers.models import VectorIndex

    built = VectorIndex.objects.filter(space=run.space).order_by("id").first()
    return (built.built_at - run.started_at).total_seconds() if built else float("nan")


def placement_latency(run, count):
    """Seconds of ``place_paper`` for ``count`` papers (seed 7), index loaded beforehand."""
    from papers import vectors
    from papers.models import PaperVector
    from papers.recommend import place_paper

    vectors.loaded_index(run.space)  # what a long-running worker holds already
    ids = list(PaperVector.objects.filter(space=run.space).values_list("paper_id", flat=True))
    chosen = random.Random(SEED).sample(ids, min(count, len(ids)))
    times = []
    for paper_id in chosen:
        started = time.perf_counter()
        place_paper(paper_id)
        times.append(time.perf_counter() - started)
    return times


def index_recall(run, sample):
    """recall@10 of the current index against an exact inner-product search of every
    stored dense vector, for ``sample`` query papers (seed 7)."""
    from papers import vectors

    ids, dense = vectors.read_dense(run.space)
    ids = np.asarray(ids)
    rows = random.Random(SEED).sample(range(len(ids)), min(sample, len(ids)))
    found = vectors.nearest_many(run.space, dense[rows], K + 1)
    hits = 0
    for n, row in enumerate(rows):
        scores = dense @ dense[row]
        scores[row] = -np.inf
        truth = set(ids[np.argpartition(-scores, K)[:K]].tolist())
        hits += len(truth & (set(found[n].tolist()) - {int(ids[row])}))
    return hits / (K * len(rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=200_000)
    parser.add_argument("--database-url", help="default: that of bench/build_catalogue.py")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk", type=int, default=20_000, help="papers per chunk task")
    parser.add_argument("--placements", type=int, default=20)
    parser.add_argument("--sample", type=int, default=1000, help="query papers for recall")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds per rebuild")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    shared_data.add_argument(parser)
    args = parser.parse_args()
    if args.data_dir:
        os.environ[shared_data.ENVIRONMENT_VARIABLE] = args.data_dir
    url = args.database_url or build_catalogue.default_database_url(args.papers)
    build_catalogue.build(url, args.papers)
    os.environ["BENCH_REDIS_URL"] = args.redis_url
    build_catalogue.setup_django(url)

    target = TARGET_MINUTES.get(args.papers)
    print(f"\n{args.papers:,} papers, chunks of {args.chunk:,}")
    results = []
    for count in args.workers:
        workers = Workers(count, database_url=url, redis_url=args.redis_url, chunk=args.chunk)
        try:
            run, seconds = timed_rebuild(workers, timeout=args.timeout)
            peaks = workers.peak_memory_gb()
        finally:
            workers.stop()
        result = {
            "workers": count,
            "papers": run.paper_count,
            "chunks": run.chunks.count(),
            "rebuild_s": round(seconds, 1),
            "prepare_s": round(prepare_seconds(run), 1),
            "peak_gb_per_worker": [round(p, 2) for p in peaks],
            "rows": run.row_count,
        }
        results.append(result)
        print(
            f"{count} worker{'s' if count > 1 else ''}: rebuild {seconds / 60:.1f} min "
            f"(target {target if target else '-'} min; prepare {result['prepare_s']:.0f} s, "
            f"{result['chunks']} chunks), peak memory per worker "
            f"{', '.join(f'{p:.2f}' for p in peaks)} GB (target ≤ {TARGET_PEAK_GB:.0f} GB)"
        )
    placements = placement_latency(run, args.placements)
    recall = index_recall(run, args.sample)
    p95 = sorted(placements)[max(0, int(len(placements) * 0.95) - 1)]
    print(
        f"placement: median {statistics.median(placements) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms (target ≤ {TARGET_PLACEMENT_S * 1000:.0f} ms at 1,000,000)"
    )
    print(f"recall@10 of the index vs exact: {recall:.4f} (target ≥ {TARGET_RECALL})")
    if len(results) > 1:
        print(
            f"speed-up of {results[-1]['workers']} workers over {results[0]['workers']}: "
            f"{results[0]['rebuild_s'] / results[-1]['rebuild_s']:.2f}x"
        )
    if args.json:
        figures = {
            "papers": args.papers,
            "chunk": args.chunk,
            "rebuilds": results,
            "target_minutes": target,
            "placement_median_s": statistics.median(placements),
            "placement_p95_s": p95,
            "recall_at_10": recall,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
