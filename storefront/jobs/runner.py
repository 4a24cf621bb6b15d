"""What runs a job, in a worker or in the embedded pool: plain tasks and outbox rows.

The execution side only: it never dispatches (that is `jobs/queue.py`, which imports this module, not the
other way round).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pkgutil import resolve_name
from typing import Any

from flask import current_app
from sqlalchemy import or_, update

from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage

log = logging.getLogger(__name__)


def call_task(task: str, kwargs: dict[str, Any]) -> Any:
    return resolve_name(task)(**kwargs)


def hold_seconds() -> int:
    """How long a run holds its row: the job's time limit plus the lease, so the relay leaves it alone."""
    return int(current_app.config["JOB_TIMEOUT"]) + int(current_app.config["OUTBOX_LEASE"])


def run_outbox_message(outbox_id: int) -> None:
    """Run an outbox row's task once. A copy that finds the row done, or held by a run in progress, does nothing:
    the relay may have enqueued the row again while Redis still held it, so jobs are safe to receive twice."""
    now = utcnow()
    until = now + timedelta(seconds=hold_seconds())
    table = OutboxMessage.__table__
    # A conditional UPDATE is the claim: of two copies started together, one finds the row already held.
    claimed = db.session.execute(
        update(table)
        .where(table.c.id == outbox_id, table.c.completed_at.is_(None),
               or_(table.c.running_until.is_(None), table.c.running_until < now))
        .values(attempts=table.c.attempts + 1, running_until=until, lease_until=until)
        .returning(table.c.task, table.c.kwargs)
    ).first()
    db.session.commit()
    if claimed is None:
        return
    try:
        call_task(claimed.task, claimed.kwargs)
    except Exception as exc:
        db.session.rollback()
        # RQ's retry (or, once its lease has run out, the relay) runs it again.
        _finish(outbox_id, last_error=f"{type(exc).__name__}: {exc}"[:2000], failed_at=utcnow())
        raise
    _finish(outbox_id, completed_at=utcnow(), failed_at=None, last_error=None)


def _finish(outbox_id: int, **values: Any) -> None:
    table = OutboxMessage.__table__
    db.session.execute(update(table).where(table.c.id == outbox_id).values(running_until=None, **values))
    db.session.commit()
