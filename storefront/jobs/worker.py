"""`flask worker`: RQ workers that run jobs inside the loaded app and outlive Redis outages.

- Jobs run in the app loaded once at start (flask-rq's worker started a new `flask` process, and with it a new
  interpreter, app and database connection, per job: about three seconds each). Cheap jobs (mail, webhooks,
  periodic clean-ups) run in the worker process itself, under RQ's time limit (SIGALRM), each in a fresh app
  context; jobs on the `imports` queue (large, memory-hungry price lists) run in a forked child that disposes
  of the database pool it inherited, so their memory is given back when they end. `--fork-all` forks for
  every job (bench/jobs.py measures both).
- A lost Redis connection never ends the worker: it reconnects with backoff, logs once per outage ("Redis is
  unreachable" … "Redis is back"), relays the outbox when Redis is back (so work Redis lost is sent again at
  once) and carries on; the periodic scheduler (RQ's cron, in a thread) is restarted the same way.
- `--processes N` forks N such workers from the loaded app, restarting any that dies; the first also runs the
  periodic scheduler (one scheduler per deployment is enough: pass `--no-cron` to workers on other machines).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence

from flask import Flask
from flask_rq._job_class import FlaskJob  # flask-rq's job class: runs coroutine jobs too
from rq import Queue, Worker
from rq.worker import WorkerStatus

from storefront.extensions import db
from storefront.jobs import heartbeat
from storefront.jobs.connection import REDIS_ERRORS, is_redis_error, worker_redis
from storefront.observability.logs import job_context
from storefront.observability.metrics import record_job

log = logging.getLogger("storefront.worker")
FORK_QUEUES = frozenset({"imports"})
# A key with no expiry: a Redis that no longer has it has lost its memory (restarted empty) since we last looked.
EPOCH_KEY = "storefront:jobs:epoch"
EPOCH_CHECK_EVERY = 5.0
MAX_BACKOFF = 30.0
RQ_NOISE = ("could not connect to Redis", "Redis connection timeout", "Connection closed by server",
            "Error while reading", "Connection refused")


class Outage:
    """One outage, logged once when it starts and once when it ends, whoever (worker loop, scheduler) sees it."""

    def __init__(self) -> None:
        self._since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._since is not None

    def lost(self, reason: object) -> bool:
        with self._lock:
            if self._since is not None:
                return False
            self._since = time.monotonic()
        log.error("Redis is unreachable (%s): waiting for it, retrying with backoff", reason)
        return True

    def back(self) -> bool:
        with self._lock:
            if self._since is None:
                return False
            seconds, self._since = time.monotonic() - self._since, None
        log.warning("Redis is back after %.0f s", seconds)
        return True


class _OutageFilter(logging.Filter):
    """Folds RQ's own connection-error lines (one per retry) into the outage's single line."""

    def __init__(self, outage: Outage):
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        message = record.getMessage()
        if is_redis_error(exc) or any(noise in message for noise in RQ_NOISE):
            self.outage.lost(exc or "connection lost")
            return False
        return True


class AppWorker(Worker):
    """RQ's worker, running each job in a fresh context of the loaded app (see the module docstring)."""

    def __init__(self, *args, app: Flask, outage: Outage, fork_all: bool = False, **kwargs):
        self.app = app  # before RQ's __init__, which already reads dequeue_timeout (below)
        super().__init__(*args, **kwargs)
        self.outage = outage
        self.fork_all = fork_all
        self.asked_to_stop = False
        self._epoch_known = False
        self._next_epoch_check = 0.0

    def request_stop(self, signum, frame) -> None:
        # RQ leaves `_stop_requested` unset when the signal finds it idle: remember the request ourselves.
        self.asked_to_stop = True
        super().request_stop(signum, frame)

    def execute_job(self, job, queue) -> None:
        if self.fork_all or queue.name in FORK_QUEUES:
            super().execute_job(job, queue)  # this process goes on beating while the child runs it
            return
        # The loop stops while the job runs here: say so, with the job's limit, so the health check waits.
        timeout = int(job.timeout) if job.timeout and job.timeout > 0 else int(self.app.config["JOB_TIMEOUT"])
        self._beat(state="busy", job_id=job.id, job_timeout=timeout)
        self.prepare_execution(job)
        self.perform_job(job, queue)
        self.set_state(WorkerStatus.IDLE)
        self._beat()

    @property
    def dequeue_timeout(self) -> int:
        # RQ waits worker_ttl - 15 s (6¾ min) for a job before it calls heartbeat() again: beat more often.
        return max(1, min(super().dequeue_timeout, int(self.app.config["WORKER_HEARTBEAT_EVERY"])))

    def _beat(self, **state) -> None:
        try:
            heartbeat.beat(self.app.config["WORKER_HEARTBEAT_DIR"], **state)
        except OSError as exc:  # a full or read-only disk must not stop the worker; the health check will tell
            log.warning("cannot write the worker heartbeat: %s", exc)

    def get_heartbeat_ttl(self, job) -> int:
        # A job run in this process gets no heartbeats while it runs: its TTL must cover its whole time limit.
        timeout = job.timeout if job.timeout and job.timeout > 0 else 0
        return max(super().get_heartbeat_ttl(job), int(timeout) + 60)

    def main_work_horse(self, job, queue) -> None:
        # The forked child shares the parent's pooled database connections: forget them (without closing the
        # parent's sockets) so the child opens its own.
        with self.app.app_context():
            db.engine.dispose(close=False)
        super().main_work_horse(job, queue)

    def perform_job(self, job, queue) -> bool:
        # Its own session (removed when the context ends); its log lines carry the job's id; it is counted.
        started = time.perf_counter()
        ok = False
        try:
            with self.app.app_context(), job_context(job.id):
                ok = super().perform_job(job, queue)
                return ok
        finally:
            record_job(_task_name(job), ok, time.perf_counter() - started)

    def heartbeat(self, *args, **kwargs) -> None:
        super().heartbeat(*args, **kwargs)
        if self.is_horse:
            return
        self._beat()
        if self.outage.back():
            relay_after_outage(self.app)
        elif time.monotonic() >= self._next_epoch_check:
            # A restart can go unnoticed (the client reconnects on its own): Redis may have come back empty.
            self._next_epoch_check = time.monotonic() + EPOCH_CHECK_EVERY
            if self.connection.set(EPOCH_KEY, "1", nx=True) and self._epoch_known:
                log.warning("Redis has lost what it held (restarted empty): sending the outbox again")
                relay_after_outage(self.app)
            self._epoch_known = True


def _task_name(job) -> str:
    """The function a job runs; an outbox row's own task (the runner is the same for every row)."""
    name = job.func_name or "?"
    if name.endswith("run_outbox_message"):
        return "outbox"
    return name


def relay_after_outage(app: Flask) -> None:
    """Send again, now, every outbox row Redis does not hold (it may have restarted empty)."""
    from storefront.jobs.outbox import relay_outbox

    try:
        with app.app_context():
            relay_outbox(everything=True)
    except Exception:
        log.exception("relaying the outbox failed; the periodic relay will try again")


def _queues(names: Sequence[str], connection) -> list[Queue]:
    return [Queue(name, connection=connection, job_class=FlaskJob) for name in names]


def serve(app: Flask, queues: Sequence[str], *, burst: bool = False, fork_all: bool = False,
          cron: bool = True) -> None:
    """Run one worker until it is asked to stop (or, with `burst`, until the queues are empty)."""
    outage = Outage()
    noise = _OutageFilter(outage)
    for name in ("rq.worker", "rq.cron", "rq.scheduler", "rq.queue"):
        logging.getLogger(name).addFilter(noise)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_scheduler_loop, args=(app, queues, outage, stop), name="rq-scheduler",
                         daemon=True).start()
    if cron and not burst:
        threading.Thread(target=_cron_loop, args=(app, outage, stop), name="cron", daemon=True).start()
    url = app.config["REDIS_URL"]
    delay = 1.0
    try:
        while not stop.is_set():
            started = time.monotonic()
            worker = None
            try:
                connection = worker_redis(url)
                connection.ping()
                outage.back()
                relay_after_outage(app)  # at start and after an outage: what Redis does not hold goes out now
                worker = AppWorker(_queues(queues, connection), connection=connection, job_class=FlaskJob,
                                   app=app, outage=outage, fork_all=fork_all)
                # RQ's scheduler (delayed jobs, retries) runs on a thread of ours, which outlives an outage; RQ
                # would fork it into a process that dies with the connection. A burst only moves due jobs.
                worker.work(burst=burst, with_scheduler=burst)
            except REDIS_ERRORS as exc:
                outage.lost(exc)
            if burst or (worker is not None and worker.asked_to_stop) or stop.is_set():
                break
            # work() came back on its own: it lost Redis (RQ "quits" on a timeout or an unexpected error).
            if time.monotonic() - started > 60:
                delay = 1.0
            _sleep_unless_stopped(stop, delay)
            delay = min(delay * 2, MAX_BACKOFF)
    finally:
        stop.set()
        heartbeat.forget(app.config["WORKER_HEARTBEAT_DIR"])


def _sleep_unless_stopped(stop: threading.Event, seconds: float) -> None:
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.wait(seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _keep_running(what: str, run: Callable[[], None], outage: Outage, stop: threading.Event) -> None:
    """Call `run` (it returns once `stop` is set, or raises) again after every failure, with backoff; a lost
    Redis is reported once per outage, anything else is logged with its traceback."""
    delay = 1.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            run()
        except Exception as exc:
            if is_redis_error(exc) or is_redis_error(exc.__context__):
                outage.lost(exc)
            else:
                log.exception("%s stopped; starting it again", what)
        if time.monotonic() - started > MAX_BACKOFF:
            delay = 1.0  # it ran a good while: a new failure, not the same one again
        stop.wait(delay)
        delay = min(delay * 2, MAX_BACKOFF)


def _scheduler_loop(app: Flask, queues: Sequence[str], outage: Outage, stop: threading.Event) -> None:
    """RQ's scheduler loop (RQScheduler.work) on this thread, started again whenever Redis drops it."""
    from rq.scheduler import RQScheduler

    def run() -> None:
        scheduler = RQScheduler(list(queues), connection=worker_redis(app.config["REDIS_URL"]))
        scheduler.acquire_locks()
        scheduler.register_birth()
        while not stop.is_set():
            if scheduler.should_reacquire_locks:
                scheduler.acquire_locks()
            scheduler.heartbeat()
            scheduler.enqueue_scheduled_jobs()
            stop.wait(scheduler.interval)
        scheduler.stop()

    _keep_running("RQ's scheduler", run, outage, stop)


def _cron_loop(app: Flask, outage: Outage, stop: threading.Event) -> None:
    """RQ's cron scheduler, started again (with backoff) whenever Redis drops it."""
    from rq.cron import CronScheduler

    from storefront.jobs.schedule import full_schedule

    with app.app_context():
        schedule = full_schedule()

    def run() -> None:
        scheduler = CronScheduler(connection=worker_redis(app.config["REDIS_URL"]), name=f"storefront:{os.getpid()}")
        scheduler._install_signal_handlers = lambda: None  # signals belong to the worker's main thread
        for func, interval in schedule:
            scheduler.register(func, queue_name="default", interval=interval)
        scheduler.start()

    _keep_running("the periodic scheduler", run, outage, stop)


def serve_processes(app: Flask, queues: Sequence[str], processes: int, *, fork_all: bool = False,
                    cron: bool = True) -> None:
    """Fork `processes` workers from this loaded app and keep them running until SIGTERM / SIGINT."""
    children: dict[int, int] = {}  # pid -> slot
    stopping = False

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            with app.app_context():
                db.engine.dispose(close=False)
            code = 0
            try:
                serve(app, queues, fork_all=fork_all, cron=cron and slot == 0)
            except BaseException:
                log.exception("worker %d stopped", slot)
                code = 1
            os._exit(code)
        children[pid] = slot

    def forward(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    with app.app_context():
        db.engine.dispose()  # no connection of the parent's crosses a fork
    for slot in range(processes):
        spawn(slot)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        slot = children.pop(pid, None)
        if slot is not None and not stopping:
            log.error("worker %d (pid %d) ended with status %s; starting it again", slot, pid, status)
            time.sleep(1)
            spawn(slot)
