"""Transaction locks for orders: SQLite's write lock taken up front, and one checkout at a time per cart."""

from __future__ import annotations

import zlib

from sqlalchemy import func, select

from storefront.accounts.models import User
from storefront.extensions import db


def begin_write() -> None:
    """Take the database's write lock now on SQLite (BEGIN IMMEDIATE); PostgreSQL needs nothing here.

    Python's sqlite3 opens a transaction only at the first write, so reads before it see no lock; beginning
    IMMEDIATE makes check-then-write sequences on SQLite serial. The conditional UPDATEs of the stock carry their
    check themselves, so for stock this is belt and braces, not the only guard.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_cart(user: User) -> None:
    """Serialise checkouts of one shopper's cart until this transaction ends.

    Without it, two checkouts with different idempotency keys both read the same cart lines and both turn
    them into an order. PostgreSQL: a row lock on the shopper (FOR NO KEY UPDATE, so rows that merely point at
    the user — a cart line added meanwhile — are not blocked); the second checkout waits, then reads the cart
    the first one emptied. SQLite: the database's write lock, taken before the cart is read.
    """
    if db.session.connection().dialect.name == "sqlite":
        begin_write()
        return
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def lock_guest_cart(key: str) -> None:
    """`lock_cart` for a guest: their cart's session key (or e-mail, for API orders) names the lock.

    PostgreSQL: a transaction-scoped advisory lock on a hash of the key (collisions only make two guests wait
    for each other); SQLite: the database's write lock.
    """
    if db.session.connection().dialect.name == "sqlite":
        begin_write()
        return
    db.session.execute(select(func.pg_advisory_xact_lock(0x5F0C, zlib.crc32(key.encode()) & 0x7FFFFFFF)))
