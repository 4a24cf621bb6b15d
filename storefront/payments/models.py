"""Payment events: every payment and refund recorded against an order (or one supplier's part of it)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import Money, UTCDateTime, utcnow
from storefront.extensions import db


class PaymentKind(str, enum.Enum):
    PAYMENT = "payment"
    REFUND = "refund"


class PaymentStatus(str, enum.Enum):
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    REFUNDED = "refunded"


class Payment(db.Model):
    """One payment or refund. Orders keep the running totals (`paid_amount`, `refunded_amount`) beside these."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    # Set when a supplier took the money for its own part on delivery.
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    reference: Mapped[str] = mapped_column(String(120), nullable=False, default="")  # a bank or gateway reference
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    order = relationship("Order", back_populates="payments")
    part = relationship("OrderPart")
    actor = relationship("User")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kind IN ('payment', 'refund')", name="kind_known"),
    )
