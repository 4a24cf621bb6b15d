"""The worker's heartbeat: a small file each `flask worker` process rewrites while its loop runs.

A Redis ping says Redis is up, not that a worker takes jobs. RQ calls the worker's `heartbeat()` from its
loop (at least every `WORKER_HEARTBEAT_EVERY` s while idle, see `AppWorker.dequeue_timeout`); each call
rewrites `<WORKER_HEARTBEAT_DIR>/<host>-<pid>.json`. A job run inside the worker process stops the loop for as
long as it runs, so the file says `busy` with that job's time limit first. `flask worker-health` (the compose
health check) passes when one of this host's files is fresh: written within `--max-age`, or busy within its
job's limit. A worker waiting out a Redis outage writes nothing, and is reported unhealthy: it takes no jobs.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any


def _path(directory: str | os.PathLike) -> Path:
    return Path(directory) / f"{socket.gethostname()}-{os.getpid()}.json"


def beat(directory: str | os.PathLike, *, state: str = "idle", job_id: str | None = None,
         job_timeout: int | None = None, now: float | None = None) -> None:
    """Record that this worker process is alive (written to a temporary name, then renamed: never half-read)."""
    path = _path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"host": socket.gethostname(), "pid": os.getpid(), "at": now if now is not None else time.time(),
            "state": state, "job_id": job_id, "job_timeout": job_timeout}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(body))
    temporary.replace(path)


def forget(directory: str | os.PathLike) -> None:
    """A worker that stops cleanly removes its file (a stale one would only confuse a reader)."""
    _path(directory).unlink(missing_ok=True)


def check(directory: str | os.PathLike, max_age: float, *, host: str | None = None,
          now: float | None = None) -> tuple[bool, str]:
    """(healthy, why): whether one of `host`'s workers has beaten recently enough."""
    host = host or socket.gethostname()
    now = now if now is not None else time.time()
    reasons: list[str] = []
    for path in sorted(Path(directory).glob(f"{host}-*.json")):
        try:
            body: dict[str, Any] = json.loads(path.read_text())
            age = now - float(body["at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        limit = max_age
        if body.get("state") == "busy" and body.get("job_timeout"):
            limit = max(max_age, float(body["job_timeout"]) + max_age)
        if age <= limit:
            return True, f"worker {body.get('pid')} {body.get('state')}, {age:.0f} s ago"
        reasons.append(f"worker {body.get('pid')} last seen {age:.0f} s ago")
    return False, "; ".join(reasons) or f"no worker heartbeat for {host} in {directory}"
