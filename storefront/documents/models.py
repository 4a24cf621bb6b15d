"""Documents: a shop's legal details (the seller on its invoices), and the numbers issued to documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db


class ShopLegalDetails(TimestampMixin, db.Model):
    """Who the seller is on paper. One row per shop, written by its supplier (portal, partner API) or staff."""

    __tablename__ = "shop_legal_details"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    inn: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    kpp: Mapped[str] = mapped_column(String(9), nullable=False, default="")  # empty for a sole trader (ИП)
    ogrn: Mapped[str] = mapped_column(String(15), nullable=False, default="")
    legal_address: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    bank_name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    bik: Mapped[str] = mapped_column(String(9), nullable=False, default="")
    account: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    # Percent, VAT included in the prices; NULL = "без НДС" (the simplified tax system).
    vat_rate: Mapped[int | None] = mapped_column(Integer)

    shop = relationship("Shop")

    __table_args__ = (CheckConstraint("vat_rate IS NULL OR (vat_rate >= 0 AND vat_rate <= 30)", name="vat_rate_range"),)


class DocumentCounter(db.Model):
    """The last number issued per kind of document and year: numbering starts at 1 each year."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class IssuedDocument(db.Model):
    """A number given to one supplier part's invoice or packing slip: issued once, printed the same every time."""

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # "invoice" | "packing_slip"
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("part_id", "kind"),
        UniqueConstraint("kind", "year", "number"),
        CheckConstraint("kind IN ('invoice', 'packing_slip')", name="kind_known"),
    )
