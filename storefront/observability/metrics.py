"""Prometheus metrics: requests, latency and jobs counted where they happen; queue depth and the outbox backlog
read when /metrics is scraped.

One set of metric objects per process, in prometheus_client's default registry. Under gunicorn
(`gunicorn.conf.py` sets `PROMETHEUS_MULTIPROC_DIR` before anything imports prometheus_client) each worker
process writes its figures to files there and a scrape adds them up (`MultiProcessCollector`), so whichever
worker answers /metrics reports the whole server. The backlog figures are read from Redis and the database at
scrape time by the answering process only, so they are never counted twice.
"""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

REQUESTS = Counter("storefront_http_requests", "HTTP requests answered", ["method", "endpoint", "status"])
LATENCY = Histogram(
    "storefront_http_request_duration_seconds", "Time to answer a request", ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOBS = Counter("storefront_jobs", "Jobs run, by task and outcome", ["task", "outcome"])
JOB_DURATION = Histogram(
    "storefront_job_duration_seconds", "Time a job ran", ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600),
)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_count)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    # The endpoint name, not the path: ids in paths would make a new series per order.
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def record_job(task: str, ok: bool, seconds: float) -> None:
    """Count a job run (succeeded / failed) and its duration."""
    JOBS.labels(task, "succeeded" if ok else "failed").inc()
    JOB_DURATION.labels(task).observe(seconds)


class BacklogCollector:
    """Read at scrape time: jobs waiting in each RQ queue, failed jobs kept by RQ, and unfinished outbox rows."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from sqlalchemy import func, select

        from storefront.extensions import db
        from storefront.jobs.models import OutboxMessage

        backlog = GaugeMetricFamily("storefront_outbox_backlog", "Outbox rows not completed yet")
        oldest = GaugeMetricFamily("storefront_outbox_oldest_age_seconds",
                                   "Age of the oldest outbox row not completed yet (0 when none)")
        try:
            count, first = db.session.execute(
                select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.completed_at.is_(None))
            ).one()
            backlog.add_metric([], count)
            oldest.add_metric([], _age(first))
        except Exception:
            log.warning("metrics: cannot read the outbox", exc_info=True)
            db.session.rollback()
        yield backlog
        yield oldest
        if not self.app.config.get("REDIS_URL"):
            return
        depth = GaugeMetricFamily("storefront_queue_depth", "Jobs waiting in an RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("storefront_queue_failed_jobs", "Failed jobs RQ keeps, per queue", labels=["queue"])
        up = GaugeMetricFamily("storefront_redis_up", "Whether Redis answered this scrape")
        from rq import Queue

        from storefront.jobs.connection import QuickRedis

        connection = QuickRedis.from_url(self.app.config["REDIS_URL"])
        try:
            for name in self.app.config["RQ_QUEUES"]:
                queue = Queue(name, connection=connection)
                depth.add_metric([name], queue.count)
                failed.add_metric([name], queue.failed_job_registry.count)
            up.add_metric([], 1)
        except Exception as exc:
            log.warning("metrics: cannot read the queues: %s", exc)
            up.add_metric([], 0)
        finally:
            connection.close()
        yield depth
        yield failed
        yield up


def _age(created) -> float:
    if created is None:
        return 0.0
    from storefront.database import utcnow

    now = utcnow()
    if created.tzinfo is None:
        now = now.replace(tzinfo=None)
    return max(0.0, (now - created).total_seconds())


def render(app: Flask) -> tuple[bytes, str]:
    """The whole exposition: this process's (or, under gunicorn, every worker's) figures and the backlog."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    backlog = CollectorRegistry()
    backlog.register(BacklogCollector(app))
    return generate_latest(counted) + generate_latest(backlog), CONTENT_TYPE_LATEST
