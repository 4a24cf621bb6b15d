"""Cart lines, for a signed-in user or a guest session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db


class CartItem(TimestampMixin, db.Model):
    __tablename__ = "cart_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_key: Mapped[str | None] = mapped_column(String(64))  # a guest's cart, merged at login
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)

    offer = relationship("Offer")
    user = relationship("User")

    __table_args__ = (
        UniqueConstraint("user_id", "offer_id"),
        UniqueConstraint("session_key", "offer_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(user_id IS NOT NULL AND session_key IS NULL) OR (user_id IS NULL AND session_key IS NOT NULL)",
            name="one_owner",
        ),
    )


class StockReservation(db.Model):
    """Units of an offer held for one cart while its owner checks out (storefront.cart.reservations).

    The held units are taken off `Offer.quantity` when the hold is made (by the same conditional UPDATE an
    order uses), so every reader of the stock sees them gone; releasing the hold puts them back, placing the
    order keeps them. One row per cart and offer.
    """

    __tablename__ = "stock_reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_key: Mapped[str | None] = mapped_column(String(64))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("user_id", "offer_id"),
        UniqueConstraint("session_key", "offer_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "(user_id IS NOT NULL AND session_key IS NULL) OR (user_id IS NULL AND session_key IS NOT NULL)",
            name="one_owner",
        ),
    )
