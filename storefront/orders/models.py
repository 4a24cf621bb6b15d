"""Orders: the order, each supplier's part of it, its lines (with snapshots) and its status history."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.accounts.models import enum_values
from storefront.database import Money, TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db


class OrderStatus(str, enum.Enum):
    NEW = "new"
    CONFIRMED = "confirmed"
    ASSEMBLED = "assembled"
    SENT = "sent"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


def status_column(name: str) -> Enum:
    return Enum(OrderStatus, name=name, values_callable=enum_values, validate_strings=True)


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: a shopper with orders is deactivated, never deleted; the books keep their history.
    # Empty for a guest's order (guest_email says whose) until an account verifies that address.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    guest_email: Mapped[str | None] = mapped_column(String(254))
    guest_name: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[OrderStatus] = mapped_column(status_column("order_status"), nullable=False, default=OrderStatus.NEW)
    # Delivery address snapshot: editing a contact later never rewrites a placed order.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    delivery_recipient: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    delivery_address: Mapped[str] = mapped_column(String(500), nullable=False)
    delivery_phone: Mapped[str] = mapped_column(String(32), nullable=False)
    items_total: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    delivery_total: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    invoice_path: Mapped[str | None] = mapped_column(String(300))
    # Payment (storefront.payments): the method chosen at checkout, and the running totals of its payment events.
    payment_method: Mapped[str] = mapped_column(String(32), nullable=False, default="bank_transfer")
    payment_status: Mapped[str] = mapped_column(String(20), nullable=False, default="unpaid")
    paid_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))
    refunded_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0"))

    user = relationship("User")
    parts = relationship("OrderPart", back_populates="order", cascade="all, delete-orphan", order_by="OrderPart.id")
    items = relationship("OrderItem", back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id")
    events = relationship("OrderEvent", back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id")
    payments = relationship("Payment", back_populates="order", cascade="all, delete-orphan", order_by="Payment.id")

    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        UniqueConstraint("guest_email", "idempotency_key"),  # a guest's retries (user_id is empty)
        CheckConstraint("items_total >= 0 AND delivery_total >= 0 AND total >= 0", name="totals_not_negative"),
        CheckConstraint("user_id IS NOT NULL OR guest_email IS NOT NULL", name="has_buyer"),
        CheckConstraint("paid_amount >= 0 AND refunded_amount >= 0", name="payments_not_negative"),
        Index("ix_orders_payment_due", "payment_method", "payment_status", "created_at"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index("ix_orders_created", "created_at"),
    )

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def buyer_email(self) -> str:
        """Where the order's e-mails go: the account's address, or the guest's."""
        return self.user.email if self.user is not None else (self.guest_email or "")

    @property
    def buyer_name(self) -> str:
        return self.user.name if self.user is not None else (self.guest_name or "")


class OrderPart(db.Model):
    """One supplier's share of an order, fulfilled by that supplier with its own status."""

    __tablename__ = "order_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"), index=True)
    shop_name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[OrderStatus] = mapped_column(status_column("order_part_status"), nullable=False, default=OrderStatus.NEW)
    subtotal: Mapped[Decimal] = mapped_column(Money, nullable=False)
    delivery_fee: Mapped[Decimal] = mapped_column(Money, nullable=False)

    order = relationship("Order", back_populates="parts")
    shop = relationship("Shop")
    items = relationship("OrderItem", back_populates="part", order_by="OrderItem.id", viewonly=True)

    __table_args__ = (
        UniqueConstraint("order_id", "shop_id"),
        CheckConstraint("subtotal >= 0 AND delivery_fee >= 0", name="amounts_not_negative"),
    )


class OrderItem(db.Model):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"), nullable=False, index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(300), nullable=False)
    model: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)

    order = relationship("Order", back_populates="items")
    part = relationship("OrderPart")
    offer = relationship("Offer")
    shop = relationship("Shop")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    @property
    def line_total(self) -> Decimal:
        return self.price * self.quantity


class OrderEvent(db.Model):
    """A status change of the order (part_id empty) or of one supplier's part."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("order_parts.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    order = relationship("Order", back_populates="events")
    part = relationship("OrderPart")
    actor = relationship("User")
