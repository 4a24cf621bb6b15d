"""Live progress of running jobs (a percentage per key), readable by the web process while the job runs.

Why a store outside the database: on SQLite a job that writes (a price-list import) holds the one write lock
for its whole transaction, so no other connection can record its progress until it commits, and committing in
chunks would break the import's all-or-nothing rule. The percentage is advisory and short-lived, so it lives
where the job and the pages can both reach it without the database:

- with REDIS_URL (jobs run in `flask worker`): a Redis key with a short lifetime, shared by every process;
- embedded mode (jobs on the web process's own pool): a dictionary in this process.

A lost write costs nothing but a stale bar (Redis errors are swallowed: progress must never fail a job), and
readers fall back to what the job row says. In embedded mode with several web processes, a poll served by
another process than the one running the job sees only that fallback.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from storefront.jobs.connection import REDIS_ERRORS, QuickRedis

log = logging.getLogger(__name__)
TTL = 3600  # seconds: a job that died leaves no key behind for long
_KEY = "storefront:progress:"
_CLIENT_KEY = "storefront.jobs.progress_redis"
_local: dict[str, int] = {}
_lock = threading.Lock()


def _redis(app: Flask):
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get(_CLIENT_KEY)
    if client is None:
        client = app.extensions[_CLIENT_KEY] = QuickRedis.from_url(url)
    return client


def report(key: str, pct: int) -> None:
    """Record `pct` (0..100) as the progress of `key`."""
    pct = max(0, min(100, int(pct)))
    client = _redis(current_app)
    if client is None:
        with _lock:
            _local[key] = pct
        return
    try:
        client.set(_KEY + key, pct, ex=TTL)
    except REDIS_ERRORS:
        log.debug("progress %s not recorded: Redis unavailable", key)


def read(key: str) -> int | None:
    """The last percentage recorded for `key`, or None (never recorded, expired, cleared or unreachable)."""
    client = _redis(current_app)
    if client is None:
        with _lock:
            return _local.get(key)
    try:
        value = client.get(_KEY + key)
    except REDIS_ERRORS:
        return None
    return int(value) if value is not None else None


def clear(key: str) -> None:
    """Forget `key` once its job has finished (the job's own record then says 100 or failed)."""
    client = _redis(current_app)
    if client is None:
        with _lock:
            _local.pop(key, None)
        return
    try:
        client.delete(_KEY + key)
    except REDIS_ERRORS:
        pass


class Stage:
    """Maps the steps of one phase of a job onto a slice [start, end) of its percentage.

    `step(done, total)` reports start + (end - start) * done / total, so a phase made of chunks moves the bar
    once per chunk, and phases that follow one another keep it moving forward.
    """

    def __init__(self, progress: Callable[[int], None], start: int, end: int):
        self.progress, self.start, self.end = progress, start, end

    def step(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        self.progress(self.start + int((self.end - self.start) * min(fraction, 1.0)))


class ProgressFile:
    """A file export's percentage in its pending marker (`<token>.pending`): written aside, then renamed over it,
    so a reader sees the old number or the new one, never half of one; a marker already gone (finished) stays
    gone. The price-list and the staff exports share it."""

    def __init__(self, folder: Path, token: str):
        self.marker, self.aside, self.last = folder / f"{token}.pending", folder / f"{token}.pending-next", -1

    def __call__(self, pct: int) -> None:
        if pct <= self.last or not self.marker.exists():
            return
        self.last = pct
        self.aside.write_text(str(pct), encoding="ascii")
        os.replace(self.aside, self.marker)
