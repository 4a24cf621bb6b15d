"""Embedded mode (no REDIS_URL, `make run`): a small in-process pool runs jobs off the request, and a timer
runs the periodic jobs.

Jobs are handed over after the commit, so an upload POST answers at once while its import runs (and reports
progress) on a pool thread. `JOB_THREADS = 0` (the testing configuration) runs each job synchronously right
after the commit instead, which keeps tests deterministic; `drain()` waits for a threaded pool to go idle.
Per process: with several web processes each runs its own pool and timer (periodic jobs are safe to run twice).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from flask import Flask

from storefront.jobs.queue import EMBEDDED_KEY, PendingJob, run_inline
from storefront.jobs.schedule import full_schedule

log = logging.getLogger(__name__)
TIMER_KEY = "storefront.jobs.timer"
TICK = 5.0  # seconds between looks at the periodic schedule


class EmbeddedRunner:
    def __init__(self, app: Flask, threads: int):
        self.app = app
        self.threads = threads
        self._queue: queue.Queue[PendingJob] = queue.Queue()
        self._started: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, job: PendingJob) -> None:
        if self.threads <= 0:
            self._run(job)
            return
        self._ensure_threads()
        self._queue.put(job)

    def drain(self) -> None:
        """Wait until every job submitted so far has run."""
        self._queue.join()

    def _ensure_threads(self) -> None:
        with self._lock:
            while len(self._started) < self.threads:
                thread = threading.Thread(target=self._loop, name=f"jobs-{len(self._started)}", daemon=True)
                thread.start()
                self._started.append(thread)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            finally:
                self._queue.task_done()

    def _run(self, job: PendingJob) -> None:
        # A fresh app context gives the job its own database session, apart from the request that queued it.
        with self.app.app_context():
            run_inline(job)


class PeriodicTimer:
    """Runs the registered periodic jobs (and the outbox relay) on their intervals, on one daemon thread."""

    def __init__(self, app: Flask, schedule: list):
        self.app = app
        self.schedule = schedule
        self._next = {func: 0.0 for func, _ in schedule}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="jobs-periodic", daemon=True)
                self._thread.start()

    def run_due(self, now: float | None = None) -> list[str]:
        """Run every job whose time has come; returns their names."""
        now = time.monotonic() if now is None else now
        ran = []
        for func, interval in self.schedule:
            if self._next[func] > now:
                continue
            self._next[func] = now + interval
            with self.app.app_context():
                try:
                    func()
                except Exception:
                    log.exception("periodic job %s failed", func.__name__)
            ran.append(func.__name__)
        return ran

    def _loop(self) -> None:
        while True:
            self.run_due()
            time.sleep(TICK)


def runner_for(app: Flask) -> EmbeddedRunner:
    runner = app.extensions.get(EMBEDDED_KEY)
    if runner is None:
        runner = app.extensions.setdefault(EMBEDDED_KEY, EmbeddedRunner(app, int(app.config.get("JOB_THREADS", 2))))
    return runner


def drain(app: Flask) -> None:
    runner_for(app).drain()


def init_embedded(app: Flask) -> None:
    """Create the pool; start the periodic timer with the first request the process serves (not for CLI
    commands such as `flask db upgrade`, which build the app too)."""
    runner_for(app)
    if not app.config.get("JOB_EMBEDDED_PERIODIC", True) or int(app.config.get("JOB_THREADS", 2)) <= 0:
        return

    @app.before_request
    def _start_periodic_timer() -> None:
        if TIMER_KEY not in app.extensions:
            app.extensions.setdefault(TIMER_KEY, PeriodicTimer(app, full_schedule())).start()
