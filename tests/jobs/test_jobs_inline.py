"""The embedded default: jobs run in-process right after the commit, never after a rollback."""

from storefront.extensions import db
from storefront.jobs import enqueue, enqueue_durable
from storefront.jobs.models import OutboxMessage
from storefront.jobs.runner import run_outbox_message
from tests.factories import ShopFactory

CALLS: list[dict] = []


def record_call(**kwargs):
    """A job that leaves a trace and writes to the database in its own session."""
    CALLS.append(kwargs)
    ShopFactory(name=f"made by job {kwargs['n']}")


def failing_job(**kwargs):
    raise RuntimeError("the job failed")


def setup_function():
    CALLS.clear()


def test_job_runs_only_after_commit(session):
    enqueue(record_call, n=1)
    session.flush()
    assert CALLS == []  # flushed is not committed
    session.commit()
    assert CALLS == [{"n": 1}]
    from storefront.catalog.models import Shop

    assert session.query(Shop).filter_by(name="made by job 1").count() == 1


def test_job_in_rolled_back_transaction_never_runs(session):
    enqueue(record_call, n=2)
    session.rollback()
    session.commit()
    assert CALLS == []


def test_durable_job_is_written_to_the_outbox_and_completed(session):
    message = enqueue_durable(record_call, n=3)
    message_id = message.id
    session.commit()
    assert CALLS == [{"n": 3}]
    stored = db.session.get(OutboxMessage, message_id)
    db.session.refresh(stored)
    assert stored.completed_at is not None and stored.attempts == 1


def test_outbox_message_runs_once_even_if_delivered_twice(session):
    message = enqueue_durable(record_call, n=4)
    session.commit()
    run_outbox_message(message.id)  # a second delivery (e.g. a retry after a lost ack)
    assert CALLS == [{"n": 4}]


def test_durable_job_in_rolled_back_transaction_leaves_no_row(session):
    enqueue_durable(record_call, n=5)
    session.rollback()
    assert session.query(OutboxMessage).count() == 0
    assert CALLS == []


def test_failing_job_does_not_break_the_commit_and_records_the_error(session):
    message = enqueue_durable(failing_job)
    message_id = message.id
    ShopFactory(name="kept")
    session.commit()  # the caller's commit succeeds even though its job failed
    stored = db.session.get(OutboxMessage, message_id)
    db.session.refresh(stored)
    assert stored.completed_at is None
    assert stored.failed_at is not None
    assert "the job failed" in stored.last_error
