"""Background jobs: one enqueue API that runs work only after the current transaction commits.

With `REDIS_URL` set, jobs go to RQ and run in `flask worker`; without it (the embedded default) they run
in-process right after the commit. Same job code either way. Work that must not be lost goes through the
transactional outbox (`enqueue_durable`).
"""

from storefront.jobs.queue import enqueue, enqueue_durable, init_app, job_path

__all__ = ["enqueue", "enqueue_durable", "init_app", "job_path"]
