"""Background jobs: one enqueue API that runs work only after the current transaction commits.

With `REDIS_URL` set, jobs go to RQ and run in `flask worker` (jobs/worker.py); without it (the embedded
default) a small in-process pool runs them right after the commit (jobs/embedded.py). Same job code either
way. Work that must not be lost goes through the transactional outbox (`enqueue_durable`, jobs/outbox.py).
"""

from flask import Flask

from storefront.jobs.queue import enqueue, enqueue_durable, job_path

__all__ = ["enqueue", "enqueue_durable", "init_app", "job_path"]


def init_app(app: Flask) -> None:
    """Bind RQ when Redis is configured (with a client that fails fast: requests never wait on an outage);
    otherwise set up the embedded pool and its periodic timer."""
    if app.config.get("REDIS_URL"):
        from storefront.extensions import rq

        app.config.setdefault("RQ_CONNECTION", app.config["REDIS_URL"])
        app.config.setdefault("RQ_CONNECTION_CLASS", "storefront.jobs.connection.QuickRedis")
        app.config.setdefault("RQ_ASYNC", True)
        rq.init_app(app)
    else:
        from storefront.jobs.embedded import init_embedded

        init_embedded(app)
