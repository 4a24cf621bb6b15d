"""With a real Redis (a server of the tests' own): the relay asks Redis first, and Redis restarting empty, or
being down while requests enqueue, loses nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.mail import send_mail
from storefront.jobs.models import OutboxMessage
from storefront.jobs.outbox import relay_outbox
from tests.accounts.accounts_helpers import register
from tests.jobs.conftest import mail_files, run_burst_worker

pytestmark = pytest.mark.redis


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_the_relay_leaves_a_row_redis_still_holds_and_only_extends_its_lease(redis_app):
    from storefront.extensions import rq

    send_mail("ann@example.com", "Queued", "test")
    db.session.commit()
    (row,) = rows()
    assert row.dispatched_at is not None
    db.session.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert relay_outbox() == 0
    assert rows()[0].lease_until > utcnow()
    assert rq.get_queue("mail").count == 1  # not queued a second time


def test_redis_restarting_empty_loses_nothing(redis_app, own_redis):
    for n in range(3):
        send_mail(f"before-{n}@example.com", "Handed over", "test")
        db.session.commit()
    assert all(row.dispatched_at is not None for row in rows())
    own_redis.stop()  # shut down without saving: the three queued jobs are gone
    for n in range(2):
        send_mail(f"during-{n}@example.com", "Redis is down", "test")
        db.session.commit()  # never fails: the rows wait for the relay
    own_redis.start()  # back, with an empty memory

    result = run_burst_worker(redis_app)  # relays what Redis does not hold, then runs it
    assert result.returncode == 0, result.stderr[-3000:]
    assert all(row.completed_at is not None for row in rows())
    sent = sorted(path.read_text().split("To: ", 1)[1].split("\n", 1)[0].strip() for path in mail_files(redis_app))
    assert sent == ["before-0@example.com", "before-1@example.com", "before-2@example.com",
                    "during-0@example.com", "during-1@example.com"]  # each once


def test_a_sign_up_while_redis_is_down_answers_and_its_mail_follows(redis_app, own_redis):
    own_redis.stop()
    client = redis_app.test_client()
    response = register(client, email="late@example.com")
    assert response.status_code == 302  # not a 500: the verification mail waits in the outbox
    (row,) = rows()
    assert row.completed_at is None and row.dispatched_at is None
    own_redis.start()
    assert run_burst_worker(redis_app).returncode == 0
    assert rows()[0].completed_at is not None
    assert "late@example.com" in mail_files(redis_app)[0].read_text()


def test_a_plain_job_that_cannot_reach_redis_is_parked_in_the_outbox(redis_app, own_redis):
    from storefront.jobs import enqueue
    from storefront.jobs.mail import deliver_mail

    own_redis.stop()
    enqueue(deliver_mail, queue="mail", recipients=["plain@example.com"], subject="Parked", template="test",
            context={})
    db.session.commit()
    (row,) = rows()
    assert row.task == "storefront.jobs.mail.deliver_mail" and row.completed_at is None
    own_redis.start()
    assert run_burst_worker(redis_app).returncode == 0
    assert rows()[0].completed_at is not None and len(mail_files(redis_app)) == 1
