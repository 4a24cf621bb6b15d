"""The transactional outbox: work that must not be lost is written in the same transaction as its cause."""

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
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # handed to RQ
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def job_id(self) -> str:
        return f"outbox-{self.id}"

    __table_args__ = (Index("ix_outbox_messages_pending", "completed_at", "dispatched_at"),)
