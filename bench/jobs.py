"""Background jobs: mail jobs per second of `flask worker` and enqueue-to-done latency when idle.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_jobs'
    .venv/bin/python bench/jobs.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench_jobs \
        [--redis-port 6391] [--processes 1,2,4] [--modes inline,fork] [--jobs 600] [--samples 60]

Starts its own redis-server on 127.0.0.1:`--redis-port` (no persistence; it is emptied before each round, so it
must not be a server anyone else uses) and an SMTP sink on loopback (aiosmtpd) that stamps every message it
receives. The mail job is the real one: `send_mail(..., durable=True)` writes an outbox row, the commit hands it
to RQ, the worker renders `email/test` and sends it over SMTP, then marks the row done.

For each mode (`inline`: jobs run in the worker process, the default; `fork`: `--fork-all`, a forked child per
job) and each process count:
- throughput: `--jobs` mail jobs are queued while no worker runs, then `flask worker --processes N --no-cron`
  starts; jobs/s is counted between the first and the last message the sink receives (so the worker's start-up
  is not in it), and divided by N for the per-process figure;
- latency: with the worker idle, `--samples` jobs one at a time, each from just before its commit to its
  message arriving at the sink; p50 / p99.
Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

try:
    from bench.common import REPO_ROOT, RESULTS_DIR, database_url, make_app, refuse_unless_bench
    from bench.run import percentile
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import REPO_ROOT, RESULTS_DIR, database_url, make_app, refuse_unless_bench
    from run import percentile

HOST = "127.0.0.1"
RECIPIENT = "bench@jobs.example.test"


class Sink:
    """An SMTP server on loopback that records when each message arrived."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.arrivals: list[float] = []
        self.cond = threading.Condition()
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname=HOST, port=self.port)

    async def handle_DATA(self, server, session, envelope):
        with self.cond:
            self.arrivals.append(time.perf_counter())
            self.cond.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.arrivals) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
         "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit(f"bench: redis-server did not start on port {port}")


def worker_env(url: str, redis_url: str, sink_port: int) -> dict[str, str]:
    return {**os.environ, "STOREFRONT_CONFIG": "production", "SECRET_KEY": "bench-" + "x" * 40,
            "DATABASE_URL": url, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_SERVER": HOST, "MAIL_PORT": str(sink_port), "FLASK_APP": "wsgi"}


def queue_mail(app, count: int) -> None:
    from storefront.extensions import db
    from storefront.jobs.mail import send_mail

    with app.app_context():
        for start in range(0, count, 200):
            for n in range(start, min(count, start + 200)):
                send_mail(RECIPIENT, f"bench {n}", "test", durable=True, name="Bench", link="http://127.0.0.1/x")
            db.session.commit()
        db.session.remove()


def wait_for_workers(redis_url: str, count: int, timeout: float = 60) -> None:
    import redis
    from rq import Worker

    connection = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(Worker.all(connection=connection)) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{count} worker(s) did not register within {timeout} s")


def one_round(url: str, redis_url: str, sink: Sink, processes: int, fork: bool, jobs: int, samples: int,
              log_path: Path) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    app = make_app(url, REDIS_URL=redis_url, MAIL_SERVER=HOST, MAIL_PORT=sink.port)
    with app.app_context():
        from storefront.extensions import db
        from storefront.jobs.models import OutboxMessage

        db.session.query(OutboxMessage).delete()
        db.session.commit()
    with sink.cond:
        sink.arrivals.clear()
    queue_mail(app, jobs)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-cron", "--processes", str(processes)]
    if fork:
        command.append("--fork-all")
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(command, cwd=REPO_ROOT, env=worker_env(url, redis_url, sink.port),
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not sink.wait_for(jobs, timeout=max(120, jobs)):
            raise RuntimeError(f"only {len(sink.arrivals)} of {jobs} messages arrived; see {log_path}")
        first, last = sink.arrivals[0], sink.arrivals[-1]
        rate = (jobs - 1) / (last - first) if last > first else float("inf")
        wait_for_workers(redis_url, processes)
        time.sleep(1)  # idle: every worker back on its blocking pop
        latencies = []
        for n in range(samples):
            with sink.cond:
                seen = len(sink.arrivals)
            started = time.perf_counter()
            queue_mail(app, 1)
            if not sink.wait_for(seen + 1, timeout=30):
                raise RuntimeError(f"latency sample {n} never arrived; see {log_path}")
            latencies.append((sink.arrivals[seen] - started) * 1000)
            time.sleep(0.05)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        with app.app_context():
            from storefront.extensions import db

            db.engine.dispose()
    latencies.sort()
    return {"mode": "fork" if fork else "inline", "processes": processes, "jobs": jobs,
            "jobs_per_s": round(rate, 1), "jobs_per_s_per_process": round(rate / processes, 1),
            "latency_ms_p50": percentile(latencies, 50), "latency_ms_p99": percentile(latencies, 99),
            "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--modes", default="inline,fork")
    parser.add_argument("--jobs", type=int, default=600)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    url = database_url(args.database_url)
    refuse_unless_bench(url, args.force)
    if not shutil.which("redis-server"):
        sys.exit("bench: redis-server is not installed")

    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from storefront.extensions import db

        upgrade()
        db.engine.dispose()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = RESULTS_DIR / f"{stamp}-jobs-worker.log"
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-redis-"))
    redis_server = start_redis(args.redis_port, folder)
    redis_url = f"redis://{HOST}:{args.redis_port}/0"
    sink = Sink()
    sink.controller.start()
    rows = []
    try:
        for mode in args.modes.split(","):
            for processes in [int(p) for p in args.processes.split(",")]:
                row = one_round(url, redis_url, sink, processes, mode == "fork", args.jobs, args.samples, log_path)
                rows.append(row)
                print(f"{row['mode']:>6} ×{processes}: {row['jobs_per_s']:7.1f} jobs/s "
                      f"({row['jobs_per_s_per_process']:.1f} per process), idle latency p50 "
                      f"{row['latency_ms_p50']} ms, p99 {row['latency_ms_p99']} ms", flush=True)
    finally:
        sink.controller.stop()
        redis_server.terminate()
        redis_server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    out = RESULTS_DIR / f"{stamp}-jobs.json"
    out.write_text(json.dumps({"when": stamp, "cpus": os.cpu_count(), "rows": rows}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
