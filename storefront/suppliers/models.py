"""Suppliers: price-list imports of the shops (a `Shop` itself is a catalog entity)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.ext.associationproxy import association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.accounts.models import enum_values
from storefront.database import TimestampMixin, UTCDateTime
from storefront.extensions import db
from storefront.jobs import progress as live_progress


def progress_key(import_id: int) -> str:
    """The import's key in the live progress store (storefront/jobs/progress.py)."""
    return f"import:{import_id}"


class ImportState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ImportJob(TimestampMixin, db.Model):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source_kind: Mapped[str] = mapped_column(String(10), nullable=False)  # "file" or "url"
    source: Mapped[str] = mapped_column(String(1000), nullable=False)  # file name or URL
    state: Mapped[ImportState] = mapped_column(
        Enum(ImportState, name="import_state", values_callable=enum_values, validate_strings=True),
        nullable=False,
        default=ImportState.QUEUED,
    )
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 0..100
    created_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    deactivated_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    errors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # Problems that did not stop the import (a photo that could not be fetched), in the errors' shape.
    warnings: Mapped[list] = mapped_column(JSON, nullable=False, default=list, server_default="[]")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shop = relationship("Shop")
    requested_by = relationship("User")
    stored_payload: Mapped[ImportPayload | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    # The uploaded YAML, kept until the job has run (None for a URL import, and once it has run).
    payload = association_proxy("stored_payload", "text", creator=lambda text: ImportPayload(text=text))

    @property
    def current_progress(self) -> int:
        """The percentage to show: while running, the live one the job reports (on SQLite the row cannot be
        written during the apply phase), never below what the row says."""
        if self.state != ImportState.RUNNING:
            return self.progress
        return max(self.progress, live_progress.read(progress_key(self.id)) or 0)

    __table_args__ = (
        CheckConstraint("source_kind IN ('file', 'url')", name="source_kind_known"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("ix_import_jobs_shop_created", "shop_id", "created_at"),
        Index("ix_import_jobs_state", "state"),
    )


class ImportPayload(db.Model):
    """An uploaded price list, kept until its import has run. A row of its own rather than a column of the job:
    SQLite rewrites a whole row on any update, and the job's row changes state and progress while it runs."""

    __tablename__ = "import_payloads"

    import_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
