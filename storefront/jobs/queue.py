"""Enqueue after commit; dispatch to RQ or run in-process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage

log = logging.getLogger(__name__)
PENDING_KEY = "storefront.pending_jobs"


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
    _pending(db.session()).append(PendingJob(job_path(func), kwargs, queue, job_id=job_id))


def enqueue_durable(func: Callable | str, *, queue: str = "default", **kwargs: Any) -> OutboxMessage:
    """Like `enqueue`, but written to the outbox in this transaction: a Redis outage delays it, never drops it."""
    message = OutboxMessage(task=job_path(func), kwargs=kwargs, queue=queue)
    session = db.session()
    session.add(message)
    session.flush()
    _pending(session).append(PendingJob(message.task, kwargs, queue, outbox_id=message.id))
    return message


def _pending(session) -> list[PendingJob]:
    # Begin the transaction now (no connection is taken yet) so a rollback before any SQL still drops the job.
    if not session.in_transaction():
        session.begin()
    return session.info.setdefault(PENDING_KEY, [])


def _after_commit(session) -> None:
    jobs = session.info.pop(PENDING_KEY, [])
    if not jobs:
        return
    app = current_app._get_current_object()
    for job in jobs:
        dispatch(app, job)


def _after_soft_rollback(session, previous_transaction) -> None:
    # Fires on every rollback, even when no SQL ran yet; a savepoint's rollback keeps the outer work.
    if not previous_transaction.nested:
        session.info.pop(PENDING_KEY, None)


def dispatch(app: Flask, job: PendingJob) -> None:
    """Hand one committed job to RQ, or run it here when there is no Redis."""
    if app.config.get("REDIS_URL") and "rq" in app.extensions:
        try:
            _send_to_rq(app, job)
            return
        except Exception as exc:  # Redis down: durable jobs wait for the relay, others run here
            log.warning("could not reach Redis for job %s: %s", job.task, exc)
            if job.outbox_id is not None:
                return
    # A fresh app context gives the job its own database session, outside the one that just committed.
    with app.app_context():
        run_inline(job)


def _send_to_rq(app: Flask, job: PendingJob) -> None:
    from rq import Retry

    from storefront.extensions import rq

    with app.app_context():
        queue = rq.get_queue(job.queue)
        retry = Retry(max=app.config["JOB_RETRIES"], interval=[10, 60, 300])
        if job.outbox_id is not None:
            queue.enqueue(
                "storefront.jobs.runner.run_outbox_message",
                job.outbox_id,
                job_id=f"outbox-{job.outbox_id}",
                retry=retry,
                job_timeout=app.config["JOB_TIMEOUT"],
            )
            mark_dispatched(job.outbox_id)
        else:
            queue.enqueue(
                job.task, kwargs=job.kwargs, job_id=job.job_id, retry=retry, job_timeout=app.config["JOB_TIMEOUT"]
            )


def mark_dispatched(outbox_id: int) -> None:
    message = db.session.get(OutboxMessage, outbox_id)
    if message is not None and message.dispatched_at is None:
        message.dispatched_at = utcnow()
        db.session.commit()


def run_inline(job: PendingJob) -> None:
    from storefront.jobs.runner import call_task, run_outbox_message

    try:
        if job.outbox_id is not None:
            run_outbox_message(job.outbox_id)
        else:
            call_task(job.task, job.kwargs)
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", job.task)


def init_app(app: Flask) -> None:
    """Bind RQ when Redis is configured; hook the session's commit and rollback once per process."""
    if app.config.get("REDIS_URL"):
        from storefront.extensions import rq

        app.config.setdefault("RQ_CONNECTION", app.config["REDIS_URL"])
        app.config.setdefault("RQ_ASYNC", True)
        rq.init_app(app)
    if not event.contains(FlaskSession, "after_commit", _after_commit):
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_soft_rollback", _after_soft_rollback)
