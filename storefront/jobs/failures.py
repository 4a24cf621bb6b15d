"""Jobs that failed, for the back-office: outbox rows with their last error, and RQ's failed-job registry
(when REDIS_URL is set). Retrying re-dispatches through the jobs package, after the caller commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from storefront.domain_errors import NotFound
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate

log = logging.getLogger(__name__)
OUTBOX_PREFIX = "outbox-"  # RQ ids of outbox rows: those are listed (and retried) as outbox rows


def _failed():
    return (OutboxMessage.failed_at.is_not(None), OutboxMessage.completed_at.is_(None))


def failed_outbox(page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[OutboxMessage]:
    """Outbox rows whose last run failed and that have not succeeded since, newest failure first."""
    statement = select(OutboxMessage).where(*_failed()).order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
    return paginate(statement, page, page_size)


def failed_outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*_failed())) or 0


@dataclass(frozen=True)
class FailedRQJob:
    id: str
    queue: str
    task: str
    error: str
    ended_at: datetime | None


def _redis_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL")) and "rq" in current_app.extensions


def failed_rq_jobs(limit: int = 100) -> list[FailedRQJob] | None:
    """RQ's failed jobs (not outbox rows) across the app's queues; None when there is no Redis (or it is down)."""
    if not _redis_enabled():
        return None
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from storefront.extensions import rq

    found: list[FailedRQJob] = []
    try:
        for name in current_app.config["RQ_QUEUES"]:
            queue = rq.get_queue(name)
            registry = FailedJobRegistry(queue=queue)
            ids = [i for i in registry.get_job_ids(0, limit) if not i.startswith(OUTBOX_PREFIX)]
            for job in Job.fetch_many(ids, connection=queue.connection):
                if job is None:
                    continue
                error = (job.exc_info or "").strip().splitlines()
                found.append(FailedRQJob(job.id, name, job.func_name or "", error[-1] if error else "", job.ended_at))
    except Exception as exc:
        log.warning("could not read RQ's failed jobs: %s", exc)
        return None
    return found[:limit]


def retry_rq_job(job_id: str) -> None:
    """Put a failed RQ job back on its queue."""
    from rq.registry import FailedJobRegistry

    from storefront.extensions import rq

    if not _redis_enabled():
        raise NotFound(_("No such job."))
    for name in current_app.config["RQ_QUEUES"]:
        registry = FailedJobRegistry(queue=rq.get_queue(name))
        if job_id in registry.get_job_ids():
            registry.requeue(job_id)
            return
    raise NotFound(_("No such failed job."))


def forget_failed_rq_copy(outbox_id: int) -> None:
    """An outbox row retried from the page: drop RQ's failed record of it so the new run is not shadowed."""
    if not _redis_enabled():
        return
    from rq.registry import FailedJobRegistry

    from storefront.extensions import rq

    try:
        for name in current_app.config["RQ_QUEUES"]:
            FailedJobRegistry(queue=rq.get_queue(name)).remove(f"{OUTBOX_PREFIX}{outbox_id}", delete_job=True)
    except Exception as exc:
        log.warning("could not clear RQ's failed record of outbox-%s: %s", outbox_id, exc)
