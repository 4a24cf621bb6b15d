"""Support chat under load: 2 gunicorn processes sharing one Redis, 200 websocket clients, send→receipt latency.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_chat'
    .venv/bin/python bench/chat.py --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench_chat \
        --redis-url redis://127.0.0.1:6379/12 [--clients 200] [--rate 50] [--duration 20] [--threads 128]

Migrates the database, (re)creates `clients / 2` shoppers, each with a conversation, and a few staff members
directly in it, and issues each an access token (`issue_token_pair`). Starts two gunicorn processes (one gthread
worker each, `--threads` sockets + requests apiece) on 127.0.0.1 with the same SECRET_KEY and REDIS_URL. For every
conversation the shopper's socket goes to one process and a staff socket on the same conversation to the other,
so each process holds half the clients and every message crosses Redis. Shoppers then send `--rate` messages a
second for `--duration` seconds (round-robin); the latency is from just before the shopper's `send` to the staff
socket on the other process receiving the stored, fanned-out message. Prints p50/p90/p99/max and the sustained
delivery rate, writes JSON to bench/results/, and stops every socket and both servers at the end, on errors too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
import threading
import time
from datetime import UTC, datetime

try:
    from bench.common import (
        RESULTS_DIR,
        database_name,
        database_url,
        refuse_unless_bench,
    )
    from bench.run import HOST, Server, percentile
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import RESULTS_DIR, database_name, database_url, refuse_unless_bench
    from run import HOST, Server, percentile

EMAIL_DOMAIN = "bench-chat.example.test"
MAX_CLIENTS = 400
MAX_DURATION = 120
MAX_RATE = 1000
DRAIN_SECONDS = 5  # after the last send, how long late deliveries still count


def prepare(url: str, secret: str, shoppers: int, staff: int) -> list[dict]:
    """Migrate, replace the bench's users with fresh ones and their conversations; return tokens per pair."""
    from flask_migrate import upgrade
    from sqlalchemy import delete

    from storefront import create_app
    from storefront.accounts.api_tokens import issue_token_pair
    from storefront.accounts.models import Role, User
    from storefront.database import utcnow
    from storefront.extensions import db
    from storefront.support import services

    app = create_app("production", overrides={
        "SQLALCHEMY_DATABASE_URI": database_url(url), "SECRET_KEY": secret, "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://", "JWT_ACCESS_TTL": 3600,
    })
    with app.app_context():
        upgrade()
        # Conversations, messages and tokens of earlier runs go with their users (ON DELETE CASCADE).
        db.session.execute(delete(User).where(User.email.like(f"%@{EMAIL_DOMAIN}")))

        def person(kind: str, index: int, role: Role) -> User:
            user = User(
                email=f"{kind}-{index}@{EMAIL_DOMAIN}", name=f"{kind.title()} {index}", role=role,
                password_hash="!bench-no-password", is_verified=True, verified_at=utcnow(),
            )
            db.session.add(user)
            return user

        staff_members = [person("staff", i, Role.STAFF) for i in range(staff)]
        people = [person("shopper", i, Role.SHOPPER) for i in range(shoppers)]
        db.session.flush()
        staff_tokens = [issue_token_pair(member).access_token for member in staff_members]
        pairs = []
        for index, shopper in enumerate(people):
            conversation = services.get_or_open_conversation(shopper)
            pairs.append({
                "conversation": conversation.id,
                "shopper_token": issue_token_pair(shopper).access_token,
                "staff_token": staff_tokens[index % staff],
            })
        db.session.commit()
        db.engine.dispose()
    return pairs


class Receiver:
    """Reads one socket in its own thread, recording when each bench message arrives."""

    def __init__(self, ws, on_message):
        self.ws, self.on_message = ws, on_message
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from simple_websocket import ConnectionClosed

        while True:
            try:
                raw = self.ws.receive(timeout=1)
            except ConnectionClosed:
                return
            if raw is not None:
                self.on_message(raw, time.perf_counter())


def connect(base: str, conversation: int, token: str):
    from simple_websocket import Client

    url = base.replace("http://", "ws://", 1) + f"/ws/support?conversation={conversation}"
    return Client.connect(url, headers={"Authorization": f"Bearer {token}"})


def run_load(servers: list[Server], pairs: list[dict], rate: float, duration: float) -> dict:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    sockets: list = []

    def on_staff_message(raw: str, now: float) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            return
        if "error" in frame:
            with lock:
                errors.append(frame["error"])
            return
        key = frame.get("body", "")
        with lock:
            started = sent.get(key)
            if started is not None:
                latencies.append((now - started) * 1000)
                received_at.append(now)

    def on_shopper_message(raw: str, now: float) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            return
        with lock:
            if "error" in frame:
                errors.append(frame["error"])
            elif frame.get("body") in sent:  # the sender's own echo, from its own process
                echoes.append((now - sent[frame["body"]]) * 1000)

    received_at: list[float] = []
    echoes: list[float] = []
    shopper_sockets = []
    try:
        connect_started = time.perf_counter()
        for index, pair in enumerate(pairs):
            shopper_server, staff_server = servers[index % 2], servers[(index + 1) % 2]
            shopper = connect(shopper_server.base, pair["conversation"], pair["shopper_token"])
            staff = connect(staff_server.base, pair["conversation"], pair["staff_token"])
            sockets += [shopper, staff]
            shopper_sockets.append(shopper)
            Receiver(shopper, on_shopper_message)
            Receiver(staff, on_staff_message)
        connected_in = time.perf_counter() - connect_started
        time.sleep(1)  # every subscription is registered before the first message

        total = int(rate * duration)
        interval = 1.0 / rate
        start = time.perf_counter()
        for seq in range(total):
            due = start + seq * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            body = f"bench message {seq}"
            with lock:
                sent[body] = time.perf_counter()
            shopper_sockets[seq % len(shopper_sockets)].send(json.dumps({"body": body}))
        send_seconds = time.perf_counter() - start
        deadline = time.perf_counter() + DRAIN_SECONDS
        while time.perf_counter() < deadline:
            with lock:
                if len(latencies) >= total:
                    break
            time.sleep(0.05)
    finally:
        for ws in sockets:
            with contextlib.suppress(Exception):  # best effort: the servers are stopped next anyway
                ws.close()

    ordered = sorted(latencies)
    span = (max(received_at) - start) if received_at else 0.0
    return {
        "sockets": len(sockets),
        "connect_seconds": round(connected_in, 2),
        "sent": total,
        "send_seconds": round(send_seconds, 2),
        "offered_rate": round(total / send_seconds, 1) if send_seconds else None,
        "delivered": len(latencies),
        "lost": total - len(latencies),
        "frame_errors": len(errors),
        "error_codes": sorted(set(errors)),
        "sustained_msgs_per_s": round(len(latencies) / span, 1) if span else None,
        "p50_ms": percentile(ordered, 50),
        "p90_ms": percentile(ordered, 90),
        "p99_ms": percentile(ordered, 99),
        "max_ms": round(ordered[-1], 3) if ordered else None,
        "echo_p50_ms": percentile(sorted(echoes), 50),
        "echo_p99_ms": percentile(sorted(echoes), 99),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1/storefront_bench_chat")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--clients", type=int, default=200, help="sockets in all (half shoppers, half staff)")
    parser.add_argument("--staff", type=int, default=10, help="staff accounts sharing the staff sockets")
    parser.add_argument("--rate", type=float, default=50, help="messages per second")
    parser.add_argument("--duration", type=float, default=20, help="seconds of sending")
    parser.add_argument("--threads", type=int, default=128, help="gunicorn threads per process")
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    args = parser.parse_args(argv)
    refuse_unless_bench(args.database_url, args.force)
    if not 2 <= args.clients <= MAX_CLIENTS or args.clients % 2:
        sys.exit(f"bench: --clients must be even, 2..{MAX_CLIENTS}")
    if not 0 < args.duration <= MAX_DURATION or not 0 < args.rate <= MAX_RATE:
        sys.exit(f"bench: --duration at most {MAX_DURATION} s, --rate at most {MAX_RATE}")
    if not args.redis_url.startswith(("redis://127.0.0.1", "redis://localhost")):
        sys.exit("bench: loopback Redis only")

    secret = secrets.token_hex(32)
    pairs = prepare(args.database_url, secret, args.clients // 2, max(1, args.staff))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        "SECRET_KEY": secret,  # both processes (and the tokens above) share one signing key
        "REDIS_URL": args.redis_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SUPPORT_RATE_LIMIT": "100000 per minute",  # the bench measures delivery, not the throttle
        "SUPPORT_CHANNEL_PREFIX": f"storefront-bench-chat:{stamp}",
        "JWT_ACCESS_TTL": "3600",
    }
    servers = [
        Server(args.database_url, 1, args.threads, RESULTS_DIR / f"chat-{stamp}-gunicorn-{n}.log", env)
        for n in (1, 2)
    ]
    try:
        for server in servers:
            server.start()
        result = run_load(servers, pairs, args.rate, args.duration)
    finally:
        for server in servers:
            server.stop()
    report = {
        "scenario": "support chat over websockets, 2 gunicorn processes sharing one Redis",
        "when": stamp, "host": HOST,
        "settings": {k: v for k, v in vars(args).items() if k != "database_url"} | {
            "database": database_name(args.database_url), "workers_per_process": 1,
        },
        **result,
    }
    out = RESULTS_DIR / f"chat-{stamp}.json"
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"{result['sockets']} sockets (connected in {result['connect_seconds']} s); "
          f"sent {result['sent']} at {result['offered_rate']}/s, delivered {result['delivered']} "
          f"(lost {result['lost']}, frame errors {result['frame_errors']} {result['error_codes']})")
    print(f"send→receipt on the other process: p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, "
          f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms; sustained {result['sustained_msgs_per_s']} msg/s")
    print(f"the sender's own echo (same process): p50 {result['echo_p50_ms']} ms, p99 {result['echo_p99_ms']} ms")
    print(f"written to {out}")
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
