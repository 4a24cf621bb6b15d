"""Document numbers from a yearly sequence per kind, race-free on PostgreSQL and SQLite.

The counter row of (kind, year) is the lock: it is created if missing (INSERT … ON CONFLICT DO NOTHING), then
locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's write lock, taken up front). Holding it, we look again
for the part's number (a concurrent issuer may have committed one meanwhile) and only then take the next
number: two issuers never get the same number, one part never gets two, and no number is skipped.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storefront.database import utcnow
from storefront.documents.models import DocumentCounter, IssuedDocument
from storefront.extensions import db
from storefront.orders.locks import begin_write

KINDS = ("invoice", "packing_slip")


def shop_time(moment: datetime) -> datetime:
    """`moment` on the shop's clock (STOREFRONT_TIMEZONE, Europe/Moscow by default)."""
    return moment.astimezone(ZoneInfo(current_app.config["STOREFRONT_TIMEZONE"]))


def issued(part_id: int, kind: str) -> IssuedDocument | None:
    return db.session.scalar(select(IssuedDocument).where(IssuedDocument.part_id == part_id,
                                                          IssuedDocument.kind == kind))


def issue(part_id: int, kind: str) -> IssuedDocument:
    """The part's document of `kind`, numbered now if it has none yet (the year is the shop's, at issue)."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    existing = issued(part_id, kind)
    if existing is not None:
        return existing
    begin_write()
    now = utcnow()
    year = shop_time(now).year
    dialect = db.session.connection().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(DocumentCounter).values(kind=kind, year=year, last_number=0)
                       .on_conflict_do_nothing(index_elements=["kind", "year"]))
    db.session.execute(select(DocumentCounter.last_number)
                       .where(DocumentCounter.kind == kind, DocumentCounter.year == year).with_for_update())
    existing = db.session.scalar(
        select(IssuedDocument).where(IssuedDocument.part_id == part_id, IssuedDocument.kind == kind)
        .execution_options(populate_existing=True)
    )
    if existing is not None:
        return existing
    number = db.session.execute(
        update(DocumentCounter).where(DocumentCounter.kind == kind, DocumentCounter.year == year)
        .values(last_number=DocumentCounter.last_number + 1).returning(DocumentCounter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    document = IssuedDocument(part_id=part_id, kind=kind, year=year, number=number, issued_at=now)
    db.session.add(document)
    db.session.flush()
    return document


def label(document: IssuedDocument) -> str:
    """How the number is printed: "2026-17" (the year keeps numbers of different years apart)."""
    return f"{document.year}-{document.number}"
