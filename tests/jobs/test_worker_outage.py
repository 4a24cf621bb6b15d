"""`flask worker` outlives a Redis outage: it waits, logs the outage once, and carries on when Redis is back."""

import time

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.jobs.mail import send_mail
from storefront.jobs.models import OutboxMessage
from tests.jobs.conftest import mail_files, wait_until

pytestmark = pytest.mark.redis


def registered_workers(url: str) -> int:
    import redis
    from rq import Worker

    try:
        return len(Worker.all(connection=redis.Redis.from_url(url)))
    except redis.exceptions.ConnectionError:
        return 0


def test_the_worker_reconnects_after_an_outage_and_logs_it_once(redis_app, own_redis, start_worker):
    worker = start_worker(redis_app)
    wait_until(lambda: registered_workers(own_redis.url) >= 1, 90, what="the worker registering")
    send_mail("first@example.com", "Before", "test")
    db.session.commit()
    wait_until(lambda: len(mail_files(redis_app)) == 1, 60, what="the first mail")

    own_redis.stop()
    wait_until(lambda: "Redis is unreachable" in worker.output(), 60, what="the outage being logged")
    time.sleep(3)  # let the worker and its scheduler retry a few times (nothing here depends on how many)
    assert worker.alive()
    own_redis.start()  # empty
    wait_until(lambda: "Redis is back" in worker.output(), 90, what="the worker reconnecting")

    send_mail("second@example.com", "After", "test")
    db.session.commit()
    wait_until(lambda: len(mail_files(redis_app)) == 2, 90, what="the mail sent after the outage")
    assert worker.alive()
    log = worker.output()
    assert log.count("Redis is unreachable") == 1, log[-4000:]
    assert "could not connect to Redis" not in log  # RQ's per-retry lines are folded into the one above
    db.session.expire_all()
    assert all(row.completed_at is not None for row in db.session.scalars(select(OutboxMessage)))
    assert worker.stop() == 0
