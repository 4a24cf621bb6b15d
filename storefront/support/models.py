"""Support chat: one conversation per shopper thread, messages kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db


class Conversation(TimestampMixin, db.Model):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    is_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Read markers: the last message id each side has seen; unread = messages after it.
    shopper_read_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    staff_read_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    shopper = relationship("User", foreign_keys=[shopper_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    order = relationship("Order")
    messages = relationship("Message", back_populates="conversation", order_by="Message.id", passive_deletes=True)

    __table_args__ = (Index("ix_conversations_open_last", "is_open", "last_message_at"),)


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")
    author = relationship("User")

    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)
