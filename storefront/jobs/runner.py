"""What a worker (or the in-process runner) executes: plain tasks and outbox messages."""

from __future__ import annotations

import logging
from datetime import timedelta
from pkgutil import resolve_name
from typing import Any

from flask import current_app
from sqlalchemy import select

from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage

log = logging.getLogger(__name__)


def call_task(task: str, kwargs: dict[str, Any]) -> Any:
    return resolve_name(task)(**kwargs)


def run_outbox_message(outbox_id: int) -> None:
    """Run an outbox row's task once; a second delivery of the same row does nothing."""
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None or message.completed_at is not None:
        return
    message.attempts += 1
    db.session.commit()
    try:
        call_task(message.task, message.kwargs)
    except Exception as exc:
        db.session.rollback()
        message = db.session.get(OutboxMessage, outbox_id)
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        message.failed_at = utcnow()
        db.session.commit()
        raise
    message.completed_at = utcnow()
    message.failed_at = None
    message.last_error = None
    db.session.commit()


def relay_outbox() -> int:
    """Dispatch outbox rows that never reached the queue (Redis was down, or a process died mid-way)."""
    from storefront.jobs.queue import PendingJob, dispatch

    cutoff = utcnow() - timedelta(seconds=current_app.config["OUTBOX_RELAY_AFTER"])
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.completed_at.is_(None), OutboxMessage.dispatched_at.is_(None))
        .where(OutboxMessage.created_at <= cutoff)
        .order_by(OutboxMessage.id)
        .limit(500)
    ).all()
    pending = [PendingJob(row.task, row.kwargs, row.queue, outbox_id=row.id) for row in rows]
    db.session.commit()
    app = current_app._get_current_object()
    for job in pending:
        dispatch(app, job)
    if pending:
        log.info("relayed %d outbox message(s)", len(pending))
    return len(pending)


def retry_outbox_message(outbox_id: int) -> OutboxMessage:
    """Run a failed outbox row again, through the queue, once the caller commits. Raises NotFound / Conflict."""
    from storefront.domain_errors import Conflict, NotFound
    from storefront.jobs.failures import forget_failed_rq_copy
    from storefront.jobs.queue import PendingJob, _pending

    message = db.session.get(OutboxMessage, outbox_id)
    if message is None:
        raise NotFound("No such job.")
    if message.completed_at is not None:
        raise Conflict("This job has already completed.")
    # Cleared so the page stops listing it as failed and the relay may pick it up if Redis is down now.
    message.failed_at = None
    message.dispatched_at = None
    db.session.flush()
    forget_failed_rq_copy(message.id)
    _pending(db.session()).append(PendingJob(message.task, message.kwargs, message.queue, outbox_id=message.id))
    return message
