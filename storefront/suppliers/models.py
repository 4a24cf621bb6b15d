"""Suppliers: price-list imports of the shops (a `Shop` itself is a catalog entity)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.ext.associationproxy import association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.accounts.models import enum_values
from storefront.database import Money, TimestampMixin, UTCDateTime
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
    PREVIEWED = "previewed"  # compared, nothing written: waits for the supplier to apply it (or not)


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
    # Preview: `dry_run` asks for one; `confirmation_required` says a plain upload stopped at one because it
    # would deactivate too many goods; `confirmed` is an apply of a preview, which must find the shop's goods
    # as `goods_fingerprint` says they were.
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    confirmation_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    goods_fingerprint: Mapped[str | None] = mapped_column(String(64))

    shop = relationship("Shop")
    requested_by = relationship("User")
    stored_payload: Mapped[ImportPayload | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    # The uploaded YAML, kept until the job has run (None for a URL import, and once it has run); a preview
    # keeps it (a URL import's fetched text too) so that applying it applies exactly that file.
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


class ImportPreviewItem(db.Model):
    """One good a previewed import would create, update or deactivate (unchanged goods are only counted)."""

    __tablename__ = "import_preview_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), nullable=False)
    action: Mapped[str] = mapped_column(String(12), nullable=False)  # created, updated, deactivated
    external_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    old_price: Mapped[Decimal | None] = mapped_column(Money)
    new_price: Mapped[Decimal | None] = mapped_column(Money)
    changes: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # what differs, comma-separated

    __table_args__ = (
        CheckConstraint("action IN ('created', 'updated', 'deactivated')", name="action_known"),
        Index("ix_import_preview_items_import", "import_id", "id"),
    )
