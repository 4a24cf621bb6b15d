"""Enqueue after commit; dispatch to RQ, or to the embedded pool when there is no Redis.

A Redis outage never fails the request that enqueues: an outbox row simply waits for the relay, and a plain
job is parked in the outbox to wait with it. After one failed attempt this process stops trying Redis for a
few seconds, so an outage costs each request nothing, not a timeout per job.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import insert, update

from storefront.after_commit import after_commit
from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage
from storefront.jobs.runner import call_task, run_outbox_message
from storefront.observability.logs import job_context
from storefront.observability.metrics import record_job

log = logging.getLogger(__name__)
OUTBOX_JOB = "storefront.jobs.runner.run_outbox_message"
RETRY_INTERVALS = [10, 60, 300]
REDIS_PAUSE = 5.0  # seconds this process leaves Redis alone after a failed enqueue
_STATE_KEY = "storefront.jobs.redis_down_until"
EMBEDDED_KEY = "storefront.jobs.embedded"
_state_lock = threading.Lock()


@dataclass
class PendingJob:
    task: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str = "default"
    outbox_id: int | None = None
    job_id: str | None = None


def job_path(func: Callable | str) -> str:
    """The importable dotted path RQ and the outbox store for a job function."""
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def enqueue(func: Callable | str, *, queue: str = "default", job_id: str | None = None, **kwargs: Any) -> None:
    """Run `func(**kwargs)` once the current transaction commits; never if it rolls back."""
    app = current_app._get_current_object()
    job = PendingJob(job_path(func), kwargs, queue, job_id=job_id)
    after_commit(lambda: dispatch(app, job))


def enqueue_durable(func: Callable | str, *, queue: str = "default", **kwargs: Any) -> OutboxMessage:
    """Like `enqueue`, but written to the outbox in this transaction: a Redis outage delays it, never drops it."""
    app = current_app._get_current_object()
    # Due for the relay only after OUTBOX_RELAY_AFTER: the after-commit dispatch is expected well before.
    lease = utcnow() + timedelta(seconds=app.config["OUTBOX_RELAY_AFTER"])
    message = OutboxMessage(task=job_path(func), kwargs=kwargs, queue=queue, lease_until=lease)
    session = db.session()
    session.add(message)
    session.flush()
    job = PendingJob(message.task, kwargs, queue, outbox_id=message.id)
    after_commit(lambda: dispatch(app, job))
    return message


def uses_redis(app: Flask) -> bool:
    return bool(app.config.get("REDIS_URL")) and "rq" in app.extensions


def dispatch(app: Flask, job: PendingJob) -> bool:
    """Hand one committed job to RQ, or to the embedded pool when there is no Redis. False if it waits for the
    relay (Redis is down): an outbox row stays due, a plain job is parked in the outbox first."""
    if not uses_redis(app):
        runner = app.extensions.get(EMBEDDED_KEY)  # the pool of jobs/embedded.py, set up by init_app
        if runner is not None:
            runner.submit(job)
        else:
            with app.app_context():
                run_inline(job)
        return True
    if _redis_paused(app):
        return _wait_for_relay(app, job, "Redis was unreachable moments ago")
    try:
        send_to_rq(app, job)
        return True
    except Exception as exc:
        with _state_lock:
            app.extensions[_STATE_KEY] = time.monotonic() + REDIS_PAUSE
        return _wait_for_relay(app, job, exc)


def _redis_paused(app: Flask) -> bool:
    return app.extensions.get(_STATE_KEY, 0.0) > time.monotonic()


def _wait_for_relay(app: Flask, job: PendingJob, reason: object) -> bool:
    log.warning("job %s waits in the outbox for Redis: %s", job.task, reason)
    if job.outbox_id is None:
        park_in_outbox(app, job)
    else:  # due now: the next relay sends it, not only once the row's first lease has run out
        table = OutboxMessage.__table__
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(update(table).where(table.c.id == job.outbox_id).values(lease_until=utcnow()))
    return False


def park_in_outbox(app: Flask, job: PendingJob) -> None:
    """Keep a plain job that could not reach Redis as an outbox row, due now, for the relay."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(insert(OutboxMessage.__table__).values(
            task=job.task, kwargs=job.kwargs, queue=job.queue, created_at=utcnow(), lease_until=utcnow(), attempts=0,
        ))


def send_to_rq(app: Flask, job: PendingJob) -> None:
    from rq import Retry

    from storefront.extensions import rq

    with app.app_context():
        queue = rq.get_queue(job.queue)
        retry = Retry(max=app.config["JOB_RETRIES"], interval=RETRY_INTERVALS)
        if job.outbox_id is not None:
            # The RQ job id is the row id: enqueueing a row again replaces Redis's copy instead of adding one.
            queue.enqueue(OUTBOX_JOB, job.outbox_id, job_id=f"outbox-{job.outbox_id}", retry=retry,
                          job_timeout=app.config["JOB_TIMEOUT"])
            mark_dispatched(app, job.outbox_id)
        else:
            queue.enqueue(job.task, kwargs=job.kwargs, job_id=job.job_id, retry=retry,
                          job_timeout=app.config["JOB_TIMEOUT"])


def mark_dispatched(app: Flask, outbox_id: int) -> None:
    """Record the hand-over and take the lease, on a connection of its own (this runs after a commit)."""
    table = OutboxMessage.__table__
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == outbox_id, table.c.completed_at.is_(None), table.c.running_until.is_(None))
            .values(dispatched_at=now, lease_until=now + timedelta(seconds=app.config["OUTBOX_LEASE"]))
        )


def run_inline(job: PendingJob) -> None:
    """Run one job here and now, inside the caller's app context; failures are logged (and kept on the row).

    Its log lines carry its id (the outbox row's job id, else a new one), and it is counted like a worker's."""
    job_id = job.job_id or (f"outbox-{job.outbox_id}" if job.outbox_id is not None else f"inline-{uuid.uuid4().hex[:12]}")
    started = time.perf_counter()
    ok = False
    with job_context(job_id):
        try:
            if job.outbox_id is not None:
                run_outbox_message(job.outbox_id)
            else:
                call_task(job.task, job.kwargs)
                db.session.commit()
            ok = True
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.task)
        finally:
            record_job(job.task, ok, time.perf_counter() - started)
