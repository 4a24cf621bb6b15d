"""Measure pages under load: gunicorn on 127.0.0.1, `wrk` for each path, `/ping` as the stack's ceiling.

    python bench/run.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench \
        --path /healthz --path "/?q=смартфон"

Starts `gunicorn wsgi:app` (production config, a random SECRET_KEY, no Redis) on a free local port, waits for
/healthz, warms each path up, measures it, prints a table (throughput also as a percentage of /ping measured
in the same round, and the server's CPU time per request — gunicorn's and PostgreSQL's — with the share of
/ping's throughput that cost allows) and writes JSON to bench/results/. `--rounds N` repeats everything and
reports medians: on a shared VM whose CPU share comes and goes, single runs can differ twofold. gunicorn is
stopped at the end, on errors too.
Without `wrk` on PATH a small Python load generator (threads, keep-alive) stands in; its ceiling is lower.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

try:
    from bench.common import REPO_ROOT, RESULTS_DIR, database_url
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import REPO_ROOT, RESULTS_DIR, database_url

HOST = "127.0.0.1"  # the only address this harness ever sends traffic to
BASELINE = "/ping"
MAX_DURATION = 120  # seconds per path: a typo must not tie the machine up for an hour
MAX_CONNECTIONS = 256
# No proxy from the environment may carry the traffic elsewhere: straight to 127.0.0.1.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}  # wrk's duration suffixes, to milliseconds


def encode_path(path: str) -> str:
    """Percent-encode non-ASCII (Cyrillic queries) but keep the URL's own syntax and existing escapes."""
    if not path.startswith("/"):
        path = "/" + path
    return quote(path, safe="/?=&%:+,;@!$'()*~#-._")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- gunicorn --------------------------------------------------------------------------------------------


class Server:
    """gunicorn in its own process group, so stopping it also stops every worker."""

    def __init__(self, url: str, workers: int, threads: int, log_path, extra_env: dict[str, str],
                 app: str = "wsgi:app"):
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        self.runtime_dir = tempfile.mkdtemp(prefix="storefront-bench-")
        self.command = [
            sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{self.port}", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", "gthread" if threads > 1 else "sync",
            "--log-level", "warning", "--timeout", "60", app,
        ]
        self.env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "RATELIMIT_STORAGE_URI"}}
        self.env.update({
            "STOREFRONT_CONFIG": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url(url),
            "PYTHONUNBUFFERED": "1",
            # gunicorn >= 25 puts a control socket in $XDG_RUNTIME_DIR (else ~/.gunicorn): one per run, not shared.
            "XDG_RUNTIME_DIR": self.runtime_dir,
            **extra_env,
        })
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        with open(self.log_path, "w", encoding="utf-8") as log:  # the child keeps its own copy of the fd
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with DIRECT.open(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
            except OSError as exc:
                last_error = str(exc)
            time.sleep(0.2)
        raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f}s ({last_error}):\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's graceful shutdown
                self.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def server_cpu_seconds(process_group: int, *, with_postgres: bool = True) -> float | None:
    """CPU time used so far by gunicorn (its process group) and PostgreSQL's processes; None without /proc.

    Divided by the requests served, it is what a request costs the server, however much of the machine's CPU
    the run was given: on a shared VM throughput swings with the CPU share, the cost per request does not.
    """
    if not os.path.exists("/proc/self/stat"):
        return None
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as stat:
                command, fields = stat.read().split(" (", 1)[1].rsplit(") ", 1)
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
        fields = fields.split()
        # After the command: state, ppid, pgrp, … utime is the 14th field of the line, stime the 15th.
        if int(fields[2]) == process_group or (with_postgres and command.startswith("postgres")):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# --- load generators -------------------------------------------------------------------------------------


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if match is None:
        raise ValueError(f"unexpected wrk duration {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Pick the figures out of `wrk --latency` output."""
    result: dict = {"requests": 0, "rps": 0.0, "p50_ms": None, "p75_ms": None, "p90_ms": None, "p99_ms": None,
                    "non_2xx": 0, "errors": 0}
    for pct, value in re.findall(r"^\s*(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE):
        result[f"p{pct}_ms"] = round(to_ms(value), 3)
    if match := re.search(r"^\s*(\d+) requests in ([\d.]+\w+)", output, re.MULTILINE):
        result["requests"] = int(match.group(1))
    if match := re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE):
        result["rps"] = float(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non_2xx"] = int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["errors"] = sum(int(n) for n in match.groups())
    return result


def run_wrk(url: str, duration: float, connections: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(round(duration), 1)}s", "--latency",
               "--timeout", "10s", url]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=duration + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = parse_wrk(done.stdout)
    result["raw"] = done.stdout
    return result


def percentile(ordered: list[float], pct: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return round(ordered[index], 3)


def run_python(url: str, duration: float, connections: int, threads: int) -> dict:
    """A bounded stand-in for wrk: one keep-alive connection per thread, requests back to back."""
    del threads  # one connection per thread here
    target = url.split(f"{HOST}:", 1)[1]
    port, path = int(target.split("/", 1)[0]), "/" + target.split("/", 1)[1]
    deadline = time.monotonic() + duration
    latencies: list[list[float]] = [[] for _ in range(connections)]
    counts = [{"non_2xx": 0, "errors": 0} for _ in range(connections)]

    def worker(slot: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 400:
                    counts[slot]["non_2xx"] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                counts[slot]["errors"] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            latencies[slot].append((time.perf_counter() - started) * 1000)
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(slot,), daemon=True) for slot in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(duration + 15)
    elapsed = time.perf_counter() - started
    ordered = sorted(value for slot in latencies for value in slot)
    return {
        "requests": len(ordered), "rps": round(len(ordered) / elapsed, 2) if elapsed else 0.0,
        **{f"p{pct}_ms": percentile(ordered, pct) for pct in (50, 75, 90, 99)},
        "non_2xx": sum(c["non_2xx"] for c in counts), "errors": sum(c["errors"] for c in counts),
    }


# --- the run ---------------------------------------------------------------------------------------------


def probe(base: str, path: str) -> int:
    """One request before the load, so a 404 or 500 is reported plainly instead of as a fast page."""
    try:
        with DIRECT.open(base + path, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def dataset_summary(url: str) -> dict:
    """Row counts, so a result file says what size of catalog it measured."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            return {table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                    for table in ("shops", "categories", "products", "offers", "offer_parameters")}
    except SQLAlchemyError as exc:  # a summary is a nicety; the measurement goes on without it
        return {"error": str(exc).splitlines()[0]}
    finally:
        engine.dispose()


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=5).stdout.strip() or None
    except OSError:
        return None


def fmt(value, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def combine_rounds(measured: list[dict]) -> list[dict]:
    """One row per path: medians over the rounds, "% ping" against the /ping of the same round.

    On a machine whose CPU share comes and goes (a shared VM), a path and the /ping measured just before it
    see the same share; medians over several rounds drop the bursts.
    """
    ping_by_round = {r["round"]: r["rps"] for r in measured if r["path"] == BASELINE}
    rows = []
    for path in dict.fromkeys(r["path"] for r in measured):
        runs = [r for r in measured if r["path"] == path]
        shares = [100 * r["rps"] / ping_by_round[r["round"]] for r in runs if ping_by_round.get(r["round"])]
        row = {"path": path, "status": runs[0]["status"], "rounds": len(runs),
               "pct_of_ping": round(statistics.median(shares), 1) if shares else None,
               "non_2xx": sum(r["non_2xx"] for r in runs), "errors": sum(r["errors"] for r in runs)}
        for name in ("rps", "p50_ms", "p90_ms", "p99_ms", "cpu_ms"):
            values = [r[name] for r in runs if r.get(name) is not None]
            row[name] = statistics.median(values) if values else None
        rows.append(row)
    ping_cpu = next((row["cpu_ms"] for row in rows if row["path"] == BASELINE), None)
    for row in rows:
        # What the path would get of /ping's throughput on the same CPU: the inverse ratio of their costs.
        row["cpu_pct_of_ping"] = round(100 * ping_cpu / row["cpu_ms"], 1) if ping_cpu and row["cpu_ms"] else None
    return rows


def print_table(results: list[dict]) -> None:
    header = f"{'path':<32} {'status':>6} {'req/s':>9} {'% ping':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} " \
             f"{'non-2xx':>8} {'errors':>7} {'CPU ms':>7} {'% ping CPU':>10}"
    print(header)
    print("-" * len(header))
    for r in results:
        share = r["pct_of_ping"]
        print(f"{r['path'][:32]:<32} {r['status']:>6} {r['rps']:>9.1f} {fmt(share):>7} {fmt(r['p50_ms'], '.2f'):>8} "
              f"{fmt(r['p90_ms'], '.2f'):>8} {fmt(r['p99_ms'], '.2f'):>8} {r['non_2xx']:>8} {r['errors']:>7} "
              f"{fmt(r.get('cpu_ms'), '.2f'):>7} {fmt(r.get('cpu_pct_of_ping')):>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--path", action="append", default=[], help="repeatable; /ping is always measured first")
    parser.add_argument("--duration", type=float, default=10, help="seconds of measurement per path")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load per path before measuring")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=max(os.cpu_count() or 1, 2), help="gunicorn workers")
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--redis-url", help="give the app a Redis (default: none, jobs in-process)")
    parser.add_argument("--app", default="wsgi:app", help="what gunicorn serves (bench.floor:app: the stack's floor)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every path (and /ping) this many times; medians are reported")
    parser.add_argument("--label", default="", help="free text stored in the JSON (e.g. the scenario)")
    parser.add_argument("--output", help="also write the JSON here (e.g. for bench/compare.py)")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION or not 0 <= args.warmup <= MAX_DURATION:
        parser.error(f"--duration and --warmup must be within 0..{MAX_DURATION} seconds")
    if not 1 <= args.connections <= MAX_CONNECTIONS:
        parser.error(f"--connections must be within 1..{MAX_CONNECTIONS}")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be within 1..20")
    if args.threads < 1 or args.workers < 1 or args.gunicorn_threads < 1:
        parser.error("--threads, --workers and --gunicorn-threads must be at least 1")
    paths = [BASELINE] + [p for p in dict.fromkeys(args.path or ["/healthz", "/"]) if p != BASELINE]

    tool = args.tool
    if tool == "auto":
        tool = "wrk" if shutil.which("wrk") else "python"
        if tool == "python":
            print("wrk not found (apt-get install -y wrk): using the Python load generator, whose ceiling is lower")
    elif tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    load = run_wrk if tool == "wrk" else run_python

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    extra_env = {"REDIS_URL": args.redis_url} if args.redis_url else {}
    server = Server(args.database_url, args.workers, args.gunicorn_threads, RESULTS_DIR / f"{stamp}-gunicorn.log",
                    extra_env, args.app)
    # SIGTERM (e.g. a CI timeout) must still reach the `finally` that stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    measured = []
    try:
        server.start()
        print(f"gunicorn on {server.base}: {args.workers} workers x {args.gunicorn_threads} threads; "
              f"{tool}, {args.connections} connections, {args.duration:g}s per path, {args.rounds} round(s)")
        for round_number in range(1, args.rounds + 1):
            for path in paths:
                encoded = encode_path(path)
                status = probe(server.base, encoded)
                if args.warmup:
                    load(server.base + encoded, args.warmup, args.connections, args.threads)
                cpu_before = server_cpu_seconds(server.process.pid)
                figures = load(server.base + encoded, args.duration, args.connections, args.threads)
                cpu_after = server_cpu_seconds(server.process.pid)
                figures.pop("raw", None)
                figures["cpu_ms"] = (round(1000 * (cpu_after - cpu_before) / figures["requests"], 3)
                                     if cpu_before is not None and figures["requests"] else None)
                measured.append({"path": path, "status": status, "round": round_number, **figures})
    except RuntimeError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()

    results = combine_rounds(measured)
    print_table(results)
    report = {
        "started_at": stamp, "commit": git_commit(), "label": args.label, "tool": tool,
        "cpu_count": os.cpu_count(), "workers": args.workers, "gunicorn_threads": args.gunicorn_threads,
        "connections": args.connections, "wrk_threads": args.threads, "duration_s": args.duration,
        "warmup_s": args.warmup, "database": database_url(args.database_url).rsplit("@", 1)[-1],
        "dataset": dataset_summary(args.database_url), "rounds": args.rounds, "results": results,
        "measurements": measured,
    }
    out = RESULTS_DIR / f"{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.output:
        Path(args.output).write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"results written to {out.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
