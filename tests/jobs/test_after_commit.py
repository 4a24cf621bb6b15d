"""The one after-commit helper: callbacks run after the outermost commit, in order, never after a rollback."""

import logging

from storefront.after_commit import after_commit, pending
from tests.factories import ShopFactory


def test_callbacks_run_after_the_commit_in_order(session):
    ran = []
    after_commit(lambda: ran.append("first"))
    ShopFactory()
    after_commit(lambda: ran.append("second"))
    session.flush()
    assert ran == [] and pending() == 2
    session.commit()
    assert ran == ["first", "second"] and pending() == 0


def test_a_rollback_drops_them_even_before_any_sql(session):
    ran = []
    after_commit(lambda: ran.append("never"))
    session.rollback()
    session.commit()
    assert ran == []


def test_a_savepoint_rollback_keeps_the_outer_work(session):
    ran = []
    after_commit(lambda: ran.append("outer"))
    with session.begin_nested() as savepoint:
        ShopFactory()
        savepoint.rollback()
    session.commit()
    assert ran == ["outer"]


def test_a_released_savepoint_is_not_the_commit(session):
    """SQLAlchemy signals after_commit for a SAVEPOINT's release too: the work must wait for the real commit."""
    ran = []
    after_commit(lambda: ran.append("before"))
    with session.begin_nested():
        ShopFactory()
        after_commit(lambda: ran.append("inside"))
    assert ran == [] and pending() == 2
    session.commit()
    assert ran == ["before", "inside"]


def test_a_failing_callback_is_logged_and_the_others_still_run(session, caplog):
    ran = []

    def broken():
        raise RuntimeError("lost side effect")

    after_commit(broken)
    after_commit(lambda: ran.append("kept"))
    with caplog.at_level(logging.ERROR, logger="storefront.after_commit"):
        session.commit()
    assert ran == ["kept"]
    assert "lost side effect" in caplog.text
