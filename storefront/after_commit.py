"""Work that must wait for the current transaction to commit: jobs, catalog cache invalidation, chat fan-out.

`after_commit(callback)` runs `callback()` once the session's outermost transaction commits, and never if it
rolls back (a savepoint's rollback keeps what was queued before and inside it: the outer work may still commit).
Callbacks run in the order they were queued, after the commit, when the session can no longer run SQL: resolve
what they need first and let them use their own connection or app context. One that fails is logged and does
not stop the others, nor fail a commit that has already happened.

The one implementation of the after-commit hook; features call `after_commit`, never the session events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

from storefront.extensions import db

log = logging.getLogger(__name__)
PENDING_KEY = "storefront.after_commit"


def after_commit(callback: Callable[[], object], session: Session | None = None) -> None:
    """Queue `callback` to run when the current transaction commits; dropped if it rolls back."""
    session = session if session is not None else db.session()
    # Begin the transaction now (no connection is taken yet) so a rollback before any SQL still drops it.
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(PENDING_KEY, []).append(callback)


def pending(session: Session | None = None) -> int:
    """How many callbacks wait for this session's commit (for tests and diagnostics)."""
    session = session if session is not None else db.session()
    return len(session.info.get(PENDING_KEY, ()))


def _run_pending(session: Session) -> None:
    # SQLAlchemy sends after_commit for a released SAVEPOINT too; the outer transaction has not committed yet
    # (its rows are invisible to a worker, and on SQLite a job on another connection would wait for its lock).
    if session.in_nested_transaction():
        return
    callbacks = session.info.pop(PENDING_KEY, None)
    for callback in callbacks or ():
        try:
            callback()
        except Exception:  # the commit happened; one lost side effect must not hide the others
            log.exception("after-commit callback %r failed", callback)


def _forget_pending(session: Session, previous_transaction) -> None:
    # Fires on every rollback, even when no SQL ran yet; a savepoint's rollback keeps the outer work.
    if not previous_transaction.nested:
        session.info.pop(PENDING_KEY, None)


if not event.contains(FlaskSession, "after_commit", _run_pending):
    event.listen(FlaskSession, "after_commit", _run_pending)
    event.listen(FlaskSession, "after_soft_rollback", _forget_pending)
