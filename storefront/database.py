"""Declarative base, naming convention and column types shared by every feature's models.

No commit helpers live here: services flush, the request boundary commits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CENT = Decimal("0.01")
# Deterministic constraint names keep migrations reviewable and portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a timezone-aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """Exact money: Numeric(12, 2) in the database, Decimal in Python."""

    impl = Numeric(12, 2)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        # SQLite stores NUMERIC as a float affinity; binding a string keeps the exact digits.
        value = Decimal(value).quantize(CENT)
        return str(value) if dialect.name == "sqlite" else value

    def result_processor(self, dialect, coltype):
        # One conversion per value (Numeric's own processor would build a Decimal for this one to rebuild): an
        # import compares tens of thousands of prices. SQLite hands back a float or an int, PostgreSQL a Decimal.
        return _money_from_sqlite if dialect.name == "sqlite" else _money_from_decimal


def _money_from_sqlite(value: float | str | None) -> Decimal | None:
    if value is None:
        return None
    if value.__class__ is str:  # an expression SQLite left as text
        return Decimal(value).quantize(CENT)
    return Decimal(f"{value:.2f}")  # a float or an int, as NUMERIC affinity stores the exact text bound


def _money_from_decimal(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


def one_of(column, values: list, dialect: str) -> ColumnElement[bool]:
    """`column IN (values)` in one parameter instead of thousands (half the time): on PostgreSQL `= ANY(array)`,
    on SQLite `IN (SELECT value FROM json_each(json))` for ids and names."""
    if dialect == "postgresql":
        # Text, not VARCHAR(n): casting to VARCHAR(n)[] would silently cut longer values to n characters.
        kind = Text() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, values, type_=ARRAY(kind)))
    if dialect == "sqlite" and all(type(value) in (int, str) for value in values):
        # One JSON parameter read by json_each, not thousands of placeholders rendered on every execution.
        document = bindparam(None, json.dumps(values, ensure_ascii=False), type_=Text())
        listed = func.json_each(document).table_valued("value")
        return column.in_(select(listed.c.value))
    return column.in_(values)


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """Insert many rows, all with the same keys, into one table: a COPY on PostgreSQL (psycopg runs an
    executemany as one INSERT per row, pipelined, several times slower), an executemany INSERT elsewhere.
    As an INSERT would, it fills the column defaults the rows leave out (once per call) and binds each value
    through its column's type."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    defaults: dict = {}
    for column in table.columns:
        if column.name in rows[0] or column.default is None or column.default.is_sequence:
            continue
        if column.default.is_scalar:
            defaults[column.name] = column.default.arg
        elif column.default.is_callable:
            defaults[column.name] = column.default.arg(None)  # SQLAlchemy wraps it to take a context
        else:
            raise ValueError(f"{table.name}.{column.name}: a SQL default cannot be filled in for COPY")
    columns = [table.c[name] for name in [*names, *defaults]]
    binds = [column.type.bind_processor(connection.dialect) for column in columns]
    quote = connection.dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} ({', '.join(quote.format_column(c) for c in columns)}) "
                 "FROM STDIN")
    fill = list(defaults.values())
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = [row[name] for name in names] + fill
            copy.write_row([value if bind is None or value is None else bind(value)
                            for bind, value in zip(binds, values, strict=True)])
