"""The outbox lease: a row is done only when its job completed; a row not done after its lease goes out again."""

from datetime import timedelta

import pytest

from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs.models import OutboxMessage
from storefront.jobs.outbox import relay_outbox
from storefront.jobs.queue import job_path
from storefront.jobs.runner import run_outbox_message
from tests.factories import OutboxMessageFactory

CALLS: list[dict] = []


def record_call(**kwargs):
    CALLS.append(kwargs)


TASK = job_path(record_call)


@pytest.fixture(autouse=True)
def _forget_calls():
    CALLS.clear()


def fresh(row_id: int) -> OutboxMessage:
    return db.session.get(OutboxMessage, row_id, populate_existing=True)


def test_a_row_handed_over_but_never_done_is_dispatched_again_after_its_lease(session):
    # What Redis restarting empty leaves: dispatched, not done, the lease run out.
    past = utcnow() - timedelta(minutes=5)
    row = OutboxMessageFactory(task=TASK, kwargs={"n": 1}, dispatched_at=past, lease_until=past)
    session.commit()
    assert relay_outbox() == 1
    assert CALLS == [{"n": 1}]
    assert fresh(row.id).completed_at is not None
    assert relay_outbox() == 0  # done rows are never sent again


def test_a_row_within_its_lease_is_left_alone_unless_everything_is_asked_for(session):
    row = OutboxMessageFactory(task=TASK, kwargs={"n": 2}, dispatched_at=utcnow(),
                               lease_until=utcnow() + timedelta(minutes=2))
    session.commit()
    assert relay_outbox() == 0 and CALLS == []
    assert relay_outbox(everything=True) == 1  # a worker whose Redis just came back
    assert CALLS == [{"n": 2}] and fresh(row.id).completed_at is not None


def test_a_copy_of_a_row_another_run_holds_does_nothing(session):
    row = OutboxMessageFactory(task=TASK, kwargs={"n": 3}, attempts=1, running_until=utcnow() + timedelta(minutes=5))
    session.commit()
    run_outbox_message(row.id)
    assert CALLS == []
    assert fresh(row.id).attempts == 1 and fresh(row.id).completed_at is None


def test_a_claim_whose_holder_died_expires(session):
    past = utcnow() - timedelta(seconds=1)
    row = OutboxMessageFactory(task=TASK, kwargs={"n": 4}, attempts=1, running_until=past, lease_until=past)
    session.commit()
    assert relay_outbox() == 1
    assert CALLS == [{"n": 4}]
    stored = fresh(row.id)
    assert stored.completed_at is not None and stored.attempts == 2 and stored.running_until is None


def test_rows_that_used_up_their_retries_wait_for_staff(app, session):
    past = utcnow() - timedelta(minutes=30)
    OutboxMessageFactory(task=TASK, kwargs={"n": 5}, failed_at=past, lease_until=past,
                         attempts=app.config["JOB_RETRIES"] + 1, last_error="boom")
    session.commit()
    assert relay_outbox() == 0 and CALLS == []


def test_a_failed_run_releases_its_claim_and_keeps_a_lease(session):
    row = OutboxMessageFactory(task=TASK.rsplit(".", 1)[0] + ".no_such_job", kwargs={})
    session.commit()
    with pytest.raises(AttributeError):
        run_outbox_message(row.id)
    stored = fresh(row.id)
    assert stored.failed_at is not None and stored.running_until is None
    assert stored.lease_until > utcnow()  # the relay waits for RQ's own retries first
