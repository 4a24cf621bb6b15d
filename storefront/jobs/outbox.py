"""The outbox relay: rows not done once their lease has run out are dispatched again.

That covers a row never handed over (Redis was down), a row Redis lost (it restarted with an empty memory)
and a row whose worker died. Before sending a row again the relay asks Redis: a job it still holds (queued,
running, waiting for a retry) only gets a longer lease. Rows that used up their retries wait for staff
(the back-office "Retry", `retry_outbox_message`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from storefront.after_commit import after_commit
from storefront.database import utcnow
from storefront.domain_errors import Conflict, NotFound
from storefront.extensions import db
from storefront.jobs.failures import forget_failed_rq_copy
from storefront.jobs.models import OutboxMessage
from storefront.jobs.queue import PendingJob, dispatch, uses_redis

log = logging.getLogger(__name__)
RELAY_BATCH = 500
LIVE_STATES = {"queued", "started", "scheduled", "deferred"}


def relay_outbox(everything: bool = False) -> int:
    """Dispatch the outbox rows that are due; returns how many were sent. `everything`: every row not done,
    lease or not (a worker that just got Redis back: what Redis does not hold any more is sent at once)."""
    now = utcnow()
    table = OutboxMessage.__table__
    statement = (
        select(table.c.id, table.c.task, table.c.kwargs, table.c.queue)
        .where(table.c.completed_at.is_(None), or_(table.c.running_until.is_(None), table.c.running_until < now))
        .where(or_(table.c.failed_at.is_(None), table.c.attempts <= current_app.config["JOB_RETRIES"]))
        .order_by(table.c.id)
        .limit(RELAY_BATCH)
    )
    if not everything:
        statement = statement.where(or_(table.c.lease_until.is_(None), table.c.lease_until <= now))
    rows = db.session.execute(statement).all()
    db.session.commit()
    app = current_app._get_current_object()
    held = _held_by_redis([row.id for row in rows]) if uses_redis(app) else set()
    if held:
        db.session.execute(update(table).where(table.c.id.in_(held))
                           .values(lease_until=now + timedelta(seconds=app.config["OUTBOX_LEASE"])))
        db.session.commit()
    sent = 0
    for row in rows:
        if row.id not in held and dispatch(app, PendingJob(row.task, row.kwargs, row.queue, outbox_id=row.id)):
            sent += 1
    if sent:
        log.info("relayed %d outbox message(s)", sent)
    return sent


def _held_by_redis(ids: list[int]) -> set[int]:
    """The rows whose RQ job Redis still has in a live state; none when Redis cannot be asked."""
    if not ids:
        return set()
    from rq.job import Job

    from storefront.extensions import rq

    try:
        connection = rq.get_queue("default").connection
        jobs = Job.fetch_many([f"outbox-{i}" for i in ids], connection=connection)
    except Exception as exc:  # Redis down: dispatch finds that out too and leaves the rows due
        log.warning("could not ask Redis which outbox jobs it holds: %s", exc)
        return set()
    return {i for i, job in zip(ids, jobs, strict=True) if job is not None and _state(job) in LIVE_STATES}


def _state(job) -> str | None:
    status = job.get_status(refresh=False)
    return getattr(status, "value", status)


def retry_outbox_message(outbox_id: int) -> OutboxMessage:
    """Run a failed outbox row again, through the queue, once the caller commits. Raises NotFound / Conflict."""
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None:
        raise NotFound(_("No such job."))
    if message.completed_at is not None:
        raise Conflict(_("This job has already completed."))
    # Cleared so the page stops listing it as failed (and the relay takes it again whatever its attempts); due
    # now for the relay if Redis is down at the commit.
    message.failed_at = None
    message.running_until = None
    message.lease_until = utcnow()
    db.session.flush()
    forget_failed_rq_copy(message.id)
    app = current_app._get_current_object()
    job = PendingJob(message.task, message.kwargs, message.queue, outbox_id=message.id)
    after_commit(lambda: dispatch(app, job))
    return message
