"""The transactional outbox: work that must not be lost is written in the same transaction as its cause.

A row is done only when its job has completed (`completed_at`). Handing it to RQ takes a lease
(`lease_until`): a row still not done when its lease runs out is dispatched again by the relay (its RQ job id
is the row id, so a second enqueue of a job Redis still holds is harmless), which is how work survives a
Redis that restarted with an empty memory. A run claims the row (`running_until`) so two copies never run
at once, and a copy that finds the row done does nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.database import UTCDateTime, utcnow
from storefront.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(200), nullable=False)  # dotted path of the job function
    kwargs: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    queue: Mapped[str] = mapped_column(String(32), nullable=False, default="default")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last handed to RQ
    # The relay may (re)dispatch the row from then on; set at creation so the relay leaves the after-commit
    # dispatch its time, and pushed on at every dispatch and run.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    running_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a run holds the row until then
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def job_id(self) -> str:
        return f"outbox-{self.id}"

    __table_args__ = (Index("ix_outbox_messages_due", "completed_at", "lease_until"),)
