"""Live sockets at scale: N idle sockets on one realtime process, pushes through Redis, and /ping on the web process.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_realtime'
    .venv/bin/python bench/realtime.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench_realtime \
        --redis-url redis://127.0.0.1:6379/12 [--sockets 5000] [--rate 50] [--duration 20] [--ping-seconds 10]

Starts the two processes of the deployment on 127.0.0.1, sharing one Redis: the web process (gunicorn, one gthread
worker × `--threads`, `wsgi:app`) and the realtime process (gunicorn, one gevent worker, `realtime:app`). Then:

1. `/ping` on the web process for `--ping-seconds` with `--ping-clients` keep-alive clients (a separate process),
   no sockets open: the baseline requests per second.
2. Opens `--sockets` sockets on `/ws/live` (each on its own `product:<i>` topic, anonymous, as a product page
   does), waits until every one has its "ready" frame, and reads the realtime worker's resident memory before and
   after: the difference divided by the sockets is the memory per idle socket (kernel socket buffers excluded).
3. With every socket open, publishes `--rate` pushes a second for `--duration` seconds on random sockets' channels
   (the frames the app publishes after a commit, plus a send time) while `/ping` runs again: delivery latency
   p50/p99 (publish → received by the client) and `/ping` as a ratio of the baseline.

`--rounds N` (default 3) repeats 1–3 with the sockets closed in between and reports the median `/ping` ratio (each
round's loaded figure against that round's own baseline: this VM's speed swings twofold within minutes) and the
latencies of every round together; the memory figure is the first round's (later rounds reuse freed memory).

The clients are greenlets in this process (gevent), so the machine's two cores are shared by client, Redis and both
servers: the figures are a floor. Prints the figures, writes JSON to bench/results/, and stops every socket and
both servers at the end, on errors too.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--ping-role" not in sys.argv:
    # The socket clients are greenlets: patch before anything imports socket or threading.
    from gevent import monkey

    monkey.patch_all()

import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import subprocess
import time
from datetime import UTC, datetime

try:
    from bench.common import REPO_ROOT, RESULTS_DIR, database_url, refuse_unless_bench
    from bench.run import HOST, Server, percentile, server_cpu_seconds
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import REPO_ROOT, RESULTS_DIR, database_url, refuse_unless_bench
    from run import HOST, Server, percentile, server_cpu_seconds

MAX_SOCKETS = 10000
MAX_DURATION = 120
MAX_RATE = 1000
CONNECT_CONCURRENCY = 50
DRAIN_SECONDS = 5


class RealtimeServer(Server):
    """The realtime process: the same app in one gevent worker (realtime.py patches before importing it)."""

    def __init__(self, url: str, log_path, extra_env: dict[str, str], connections: int):
        super().__init__(url, 1, 1, log_path, extra_env)
        self.command = [
            sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{self.port}", "--workers", "1",
            "--worker-class", "gevent", "--worker-connections", str(connections), "--backlog", "4096",
            "--log-level", "warning", "--timeout", "60", "realtime:app",
        ]

    def worker_rss_kb(self) -> int:
        """Resident memory of the one worker (the master's only child)."""
        children = open(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read().split()
        with open(f"/proc/{children[0]}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=REPO_ROOT, check=True,
        env={**os.environ, "DATABASE_URL": database_url(url), "STOREFRONT_CONFIG": "development"},
        stdout=subprocess.DEVNULL,
    )


# --- /ping in its own process (threads, no gevent), so the socket clients do not slow the load generator -------


def ping_role(base: str, seconds: float, clients: int) -> None:
    import threading
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    counts = [0] * clients
    errors = [0] * clients
    stop_at = time.monotonic() + seconds

    def loop(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < stop_at:
            try:
                connection.request("GET", "/ping")
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(json.dumps({"rps": sum(counts) / elapsed, "requests": sum(counts), "errors": sum(errors)}))


def start_ping(base: str, seconds: float, clients: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--ping-role", "--base", base, "--ping-seconds", str(seconds),
         "--ping-clients", str(clients)],
        stdout=subprocess.PIPE, text=True,
    )


def ping_result(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=MAX_DURATION + 60)
    return json.loads(out.strip().splitlines()[-1])


# --- the socket clients (greenlets) -------------------------------------------------------------------------------


class Sockets:
    def __init__(self, ws_base: str, count: int):
        self.ws_base, self.count = ws_base, count
        self.clients: list = []
        self.latencies: list[float] = []
        self.failed = 0
        self.ready = 0

    def open_all(self) -> None:
        import gevent
        from gevent.pool import Pool
        from simple_websocket import Client

        pool = Pool(CONNECT_CONCURRENCY)

        def one(index: int) -> None:
            try:
                ws = Client.connect(f"{self.ws_base}/ws/live?topics=product:{index + 1}")
                # simple-websocket's client leaves a frame that came with the 101 in wsproto's buffer until more
                # data arrives (the next ping, 25 s): parse it now. Browsers have no such quirk.
                ws._handle_events()
                first = ws.receive(timeout=30)
                if first is None or json.loads(first).get("kind") != "ready":
                    raise RuntimeError("no ready frame")
            except Exception:
                self.failed += 1
                return
            self.ready += 1
            self.clients.append(ws)
            gevent.spawn(self._listen, ws)

        pool.map(one, range(self.count))

    def _listen(self, ws) -> None:
        with contextlib.suppress(Exception):
            while True:
                raw = ws.receive()
                if raw is None:
                    continue
                received = time.time()
                frame = json.loads(raw)
                if "sent" in frame:
                    self.latencies.append(received - frame["sent"])

    def close_all(self) -> None:
        for ws in self.clients:
            with contextlib.suppress(Exception):
                ws.close()
        self.clients.clear()


def publish(redis_url: str, prefix: str, sockets: int, rate: float, duration: float) -> int:
    """`rate` pushes a second, each on one random socket's channel, shaped as the app's product pushes."""
    import redis

    connection = redis.Redis.from_url(redis_url)
    interval = 1.0 / rate
    sent = 0
    started = time.monotonic()
    while time.monotonic() - started < duration:
        product = random.randint(1, sockets)
        topic = f"product:{product}"
        frame = {"topic": topic, "kind": "product", "id": product, "sent": time.time()}
        connection.publish(f"{prefix}:live:{topic}", json.dumps(frame))
        sent += 1
        time.sleep(max(0.0, started + sent * interval - time.monotonic()))
    connection.close()
    return sent


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def one_round(args, prefix: str, web, rt, sockets: Sockets, number: int) -> dict:
    """/ping without sockets, then the sockets opened, then /ping again while pushes flow: one round's figures."""
    import gevent

    baseline = ping_result(start_ping(web.base, args.ping_seconds, args.ping_clients))
    print(f"round {number}: /ping without sockets: {baseline['rps']:.0f} req/s ({baseline['errors']} errors)",
          flush=True)
    rss_before = rt.worker_rss_kb()
    started = time.monotonic()
    sockets.ready = sockets.failed = 0
    sockets.open_all()
    opened_in = time.monotonic() - started
    gevent.sleep(3)  # let the server settle (buffers, greenlet stacks)
    rss_after = rt.worker_rss_kb()
    per_socket_kb = (rss_after - rss_before) / max(sockets.ready, 1)
    print(f"round {number}: {sockets.ready} sockets open in {opened_in:.1f}s ({sockets.failed} failed); realtime "
          f"worker RSS {rss_before / 1024:.0f} → {rss_after / 1024:.0f} MB = {per_socket_kb:.1f} kB per idle socket",
          flush=True)
    delivered_before = len(sockets.latencies)
    # Where the loaded window's CPU goes: the realtime server, and this process (the 5,000 simulated browsers).
    cpu_before = server_cpu_seconds(rt.process.pid, with_postgres=False), own_cpu_seconds(), time.monotonic()
    ping = start_ping(web.base, args.duration, args.ping_clients)
    sent = publish(args.redis_url, prefix, args.sockets, args.rate, args.duration)
    loaded = ping_result(ping)
    elapsed = time.monotonic() - cpu_before[2]
    rt_cpu = (server_cpu_seconds(rt.process.pid, with_postgres=False) - cpu_before[0]) / elapsed
    client_cpu = (own_cpu_seconds() - cpu_before[1]) / elapsed
    deadline = time.monotonic() + DRAIN_SECONDS
    while len(sockets.latencies) - delivered_before < sent and time.monotonic() < deadline:
        gevent.sleep(0.1)
    ratio = loaded["rps"] / baseline["rps"] if baseline["rps"] else None
    print(f"round {number}: /ping with the sockets and {args.rate}/s pushes: {loaded['rps']:.0f} req/s"
          + (f" = {ratio:.0%}" if ratio is not None else "")
          + f"; CPU meanwhile: realtime server {rt_cpu:.0%} of a core, the socket clients {client_cpu:.0%}", flush=True)
    return {
        "open": sockets.ready, "failed": sockets.failed, "opened_in_s": opened_in, "sent": sent,
        "delivered": len(sockets.latencies) - delivered_before,
        "rss_before_kb": rss_before, "rss_after_kb": rss_after, "kb_per_idle_socket": per_socket_kb,
        "ping_baseline_rps": baseline["rps"], "ping_loaded_rps": loaded["rps"], "ping_ratio": ratio,
        "ping_errors": baseline["errors"] + loaded["errors"],
        "realtime_cpu_share": rt_cpu, "client_cpu_share": client_cpu,
    }


def run(args) -> dict:
    import gevent
    import redis  # noqa: F401 - now, not mid-run: the publisher needs it after minutes of opening sockets

    prefix = f"storefront:bench-realtime-{os.getpid()}"
    env = {"REDIS_URL": args.redis_url, "SUPPORT_CHANNEL_PREFIX": prefix, "RATELIMIT_STORAGE_URI": "memory://"}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    web = Server(args.database_url, 1, args.threads, RESULTS_DIR / "realtime-web.log", env)
    rt = RealtimeServer(args.database_url, RESULTS_DIR / "realtime-rt.log", env, args.sockets + 100)
    sockets = Sockets(rt.base.replace("http://", "ws://"), args.sockets)
    try:
        web.start()
        rt.start()
        # Warm up both (imports, the broker's Redis subscription) before any figure is read.
        warm = Sockets(sockets.ws_base, 1)
        warm.open_all()
        warm.close_all()
        gevent.sleep(1)

        rounds = []
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(args, prefix, web, rt, sockets, number))
            sockets.close_all()
            gevent.sleep(2)  # the server drops the closed sockets before the next baseline
        first = rounds[0]
        rss_before, rss_after, per_socket_kb = first["rss_before_kb"], first["rss_after_kb"], first["kb_per_idle_socket"]
        sent = sum(r["sent"] for r in rounds)
        latencies = sorted(sockets.latencies)
        ratios = [r["ping_ratio"] for r in rounds if r["ping_ratio"] is not None]
        result = {
            "sockets": args.sockets, "open": min(r["open"] for r in rounds),
            "failed": sum(r["failed"] for r in rounds), "opened_in_s": first["opened_in_s"],
            "rate": args.rate, "duration": args.duration, "sent": sent, "delivered": len(latencies),
            "p50_ms": percentile(latencies, 50) * 1000 if latencies else None,
            "p99_ms": percentile(latencies, 99) * 1000 if latencies else None,
            "max_ms": latencies[-1] * 1000 if latencies else None,
            "rss_before_kb": rss_before, "rss_after_kb": rss_after, "kb_per_idle_socket": per_socket_kb,
            "ping_baseline_rps": statistics.median(r["ping_baseline_rps"] for r in rounds),
            "ping_loaded_rps": statistics.median(r["ping_loaded_rps"] for r in rounds),
            "ping_ratio": statistics.median(ratios) if ratios else None,
            "ping_errors": sum(r["ping_errors"] for r in rounds), "rounds": rounds,
            "web_threads": args.threads, "ping_clients": args.ping_clients,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if latencies:
            print(f"pushes: {sent} sent, {len(latencies)} delivered; p50 {result['p50_ms']:.1f} ms, "
                  f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms")
        print(f"/ping with {args.sockets} sockets and {args.rate}/s pushes, median of {len(rounds)} rounds: "
              f"{result['ping_ratio']:.0%} of the no-socket figure "
              f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)})")
        return result
    finally:
        sockets.close_all()
        rt.stop()
        web.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--ping-seconds", type=float, default=10)
    parser.add_argument("--ping-clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="baseline / sockets / loaded, repeated; medians")
    parser.add_argument("--threads", type=int, default=8, help="the web process's gthread threads")
    parser.add_argument("--force", action="store_true", help="use a database whose name lacks 'bench'")
    parser.add_argument("--ping-role", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ping_role:
        ping_role(args.base, args.ping_seconds, args.ping_clients)
        return 0
    if not args.database_url or not args.redis_url:
        parser.error("--database-url and --redis-url are required")
    if not 1 <= args.rounds <= 5:
        parser.error("--rounds 1…5")
    if not 1 <= args.sockets <= MAX_SOCKETS or not 0 < args.duration <= MAX_DURATION or not 0 < args.rate <= MAX_RATE:
        parser.error(f"--sockets 1…{MAX_SOCKETS}, --duration up to {MAX_DURATION}, --rate up to {MAX_RATE}")
    refuse_unless_bench(args.database_url, args.force)
    migrate(args.database_url)
    result = run(args)
    path = RESULTS_DIR / f"realtime-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
