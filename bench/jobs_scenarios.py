"""The two "done when" scenarios of the jobs issue, against a real gunicorn + `flask worker` + Redis + SMTP sink.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_jobs_scenarios'
    .venv/bin/python bench/jobs_scenarios.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1/storefront_bench_jobs_scenarios [--redis-port 6392]

Migrates the database and seeds the demo shop (`seed_demo`), starts its own redis-server on `--redis-port`
(no persistence, so a restart comes back empty), an SMTP sink on loopback, gunicorn (2 processes, production
configuration, REDIS_URL set, the limiter on Redis as in production) and one `flask worker`. The shop's
default rate limits stay: thirty sign-ups from one address are within them.

(a) thirty sign-ups at once through POST /api/v1/auth/register → every verification e-mail arrives within 20 s.
(b) the worker paused (SIGSTOP); three orders placed through the API; Redis shut down without saving; log-in
    and three more orders while it is down (each must answer 201, log-in must not answer 500); Redis started
    again, empty; the worker resumed (SIGCONT) → every one of the six orders' confirmation e-mails arrives
    within four minutes, and a sign-up after that still gets its e-mail.
Prints each step with its timing and a PASS/FAIL line per scenario; exits 1 if one failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

try:
    from bench.common import REPO_ROOT, RESULTS_DIR, database_url, make_app, refuse_unless_bench
    from bench.jobs import HOST, Sink, start_redis
    from bench.run import Server
except ImportError:  # run as a script: bench/ is on sys.path, not the repository
    from common import REPO_ROOT, RESULTS_DIR, database_url, make_app, refuse_unless_bench
    from jobs import HOST, Sink, start_redis
    from run import Server

PASSWORD = "Scenario-password-42"
SHOPPER = "shopper@storefront.local"


class MailSink(Sink):
    """The bench sink, also keeping who each message went to and its subject."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[float, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        subject = ""
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.startswith("Subject:"):
                subject = line[8:].strip()
                break
        with self.cond:
            self.received.append((time.monotonic(), list(envelope.rcpt_tos), subject))
        return await super().handle_DATA(server, session, envelope)

    def to(self, address: str, containing: str = "") -> list[tuple[float, list[str], str]]:
        with self.cond:
            return [m for m in self.received if address in m[1] and containing in m[2]]


def wait_for(condition, timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


class Api:
    def __init__(self, base: str):
        self.base = base + "/api/v1"
        self.http = requests.Session()
        self.token = ""

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def log_in(self, email: str, password: str) -> requests.Response:
        self.token = ""
        answer = self.call("POST", "/auth/login", json={"email": email, "password": password})
        if answer.status_code == 200:
            self.token = answer.json()["access_token"]
        return answer

    def place_order(self, offer_id: int, contact_id: int) -> requests.Response:
        added = self.call("POST", "/cart/items", json={"offer_id": offer_id, "quantity": 1})
        if added.status_code >= 300:
            return added
        return self.call("POST", "/orders", json={"contact_id": contact_id},
                         headers={"Idempotency-Key": str(uuid.uuid4())})


def sign_up(base: str, email: str) -> int:
    answer = requests.post(f"{base}/api/v1/auth/register", timeout=60,
                           json={"email": email, "name": "Scenario", "password": PASSWORD, "role": "shopper"})
    if answer.status_code != 201:
        say(f"sign-up of {email}: {answer.status_code} {answer.text[:300]}")
    return answer.status_code


def scenario_a(base: str, sink: MailSink) -> bool:
    addresses = [f"burst-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(30)]
    statuses: list[int] = []
    started = time.monotonic()
    threads = [threading.Thread(target=lambda a=a: statuses.append(sign_up(base, a))) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    say(f"(a) 30 sign-ups answered {sorted(set(statuses))} in {time.monotonic() - started:.1f} s")
    arrived = wait_for(lambda: all(sink.to(a, "Confirm") for a in addresses), 20 - (time.monotonic() - started))
    got = sum(1 for a in addresses if sink.to(a, "Confirm"))
    took = time.monotonic() - started
    ok = arrived is not None and all(s == 201 for s in statuses)
    say(f"(a) {'PASS' if ok else 'FAIL'}: {got}/30 verification e-mails, the last {took:.1f} s after the first "
        f"request (limit 20 s)")
    return ok


def scenario_b(base: str, sink: MailSink, worker: subprocess.Popen, redis_port: int, redis_dir: Path,
               redis_holder: list) -> bool:
    api = Api(base)
    answer = api.log_in(SHOPPER, "demo-password-1")
    assert answer.status_code == 200, answer.text
    contact = api.call("POST", "/contacts", json={"recipient": "Scenario", "city": "Moscow", "street": "Tverskaya",
                                                  "house": "1", "phone": "+7 900 000-00-00"})
    assert contact.status_code == 201, contact.text
    contact_id = contact.json()["id"]
    products = api.call("GET", "/products", params={"page_size": 50}).json()["items"]
    offers = [p["best_offer_id"] for p in products if p.get("best_offer_id")]
    ok = True
    orders: list[int] = []

    def place(n: int) -> None:
        nonlocal ok
        answer = api.place_order(offers[n % len(offers)], contact_id)
        if answer.status_code == 201:
            orders.append(answer.json()["id"])
        else:
            ok = False
        say(f"(b) order {n + 1}: {answer.status_code}" + ("" if answer.status_code == 201 else f" {answer.text[:300]}"))

    os.killpg(worker.pid, signal.SIGSTOP)
    say("(b) worker paused (SIGSTOP)")
    for n in range(3):
        place(n)
    subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis_holder[0].wait(10)
    say("(b) Redis shut down without saving")
    token = api.token
    login = api.log_in(SHOPPER, "demo-password-1")
    say(f"(b) log-in while Redis is down: {login.status_code}" + ("" if login.status_code < 500 else
        " (FAIL; the orders below use the token from before)"))
    if login.status_code >= 500:
        ok = False
        api.token = token
    for n in range(3, 6):
        place(n)
    redis_holder[0] = start_redis(redis_port, redis_dir)
    say("(b) Redis started again, empty")
    os.killpg(worker.pid, signal.SIGCONT)
    resumed = time.monotonic()
    say("(b) worker resumed (SIGCONT)")

    def all_confirmed() -> bool:
        return all(sink.to(SHOPPER, f"Order #{order} received") for order in orders)

    arrived = wait_for(all_confirmed, 240)
    got = sum(1 for order in orders if sink.to(SHOPPER, f"Order #{order} received"))
    duplicates = [order for order in orders if len(sink.to(SHOPPER, f"Order #{order} received")) > 1]
    say(f"(b) {got}/{len(orders)} order confirmations, "
        + (f"all within {arrived:.1f} s of SIGCONT" if arrived is not None else "NOT all within 240 s")
        + (f"; sent twice: {duplicates}" if duplicates else ""))
    ok = ok and arrived is not None and len(orders) == 6
    late = f"late-{uuid.uuid4().hex[:6]}@example.com"
    status = sign_up(base, late)
    later = wait_for(lambda: bool(sink.to(late, "Confirm")), 60)
    say(f"(b) a later sign-up: {status}, its e-mail " + (f"arrived in {later:.1f} s" if later is not None
                                                          else "did NOT arrive within 60 s"))
    ok = ok and status == 201 and later is not None
    say(f"(b) {'PASS' if ok else 'FAIL'} ({time.monotonic() - resumed:.0f} s after SIGCONT in all)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-port", type=int, default=6392)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    url = database_url(args.database_url)
    refuse_unless_bench(url, args.force)
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from storefront.demo import seed_demo
        from storefront.extensions import db

        upgrade()
        seed_demo()
        db.session.commit()
        db.engine.dispose()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    redis_dir = Path(tempfile.mkdtemp(prefix="scenario-redis-"))
    redis_holder = [start_redis(args.redis_port, redis_dir)]
    redis_url = f"redis://{HOST}:{args.redis_port}/0"
    sink = MailSink()
    sink.controller.start()
    # The shop's own rate limits: thirty sign-ups from one address are within them (REGISTER_RATE_LIMIT).
    env = {"REDIS_URL": redis_url, "MAIL_SERVER": HOST, "MAIL_PORT": str(sink.port)}
    server = Server(url, workers=2, threads=8, log_path=RESULTS_DIR / f"{stamp}-scenarios-gunicorn.log",
                    extra_env=env)
    worker_log = open(RESULTS_DIR / f"{stamp}-scenarios-worker.log", "wb")  # closed below
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=REPO_ROOT,
                              env={**server.env, "FLASK_APP": "wsgi"}, stdout=worker_log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    results = {}
    try:
        server.start()
        say(f"gunicorn on {server.base}, worker pid {worker.pid}, Redis on {args.redis_port}, SMTP on {sink.port}")
        time.sleep(3)  # the worker registers and runs its first periodic jobs
        results["a"] = scenario_a(server.base, sink)
        results["b"] = scenario_b(server.base, sink, worker, args.redis_port, redis_dir, redis_holder)
    finally:
        try:
            os.killpg(worker.pid, signal.SIGCONT)
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(worker.pid, signal.SIGKILL)
        worker_log.close()
        server.stop()
        sink.controller.stop()
        redis_holder[0].terminate()
        redis_holder[0].wait(10)
    print(f"logs: {server.log_path}, {worker_log.name}")
    sys.exit(0 if all(results.values()) and len(results) == 2 else 1)


if __name__ == "__main__":
    main()
