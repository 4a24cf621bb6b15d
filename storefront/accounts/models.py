"""Accounts: users, their sign-in sessions, API refresh tokens and delivery contacts."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.database import TimestampMixin, UTCDateTime, utcnow
from storefront.extensions import db


class Role(str, enum.Enum):
    SHOPPER = "shopper"
    SUPPLIER = "supplier"
    STAFF = "staff"


def enum_values(enum_cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_cls]


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", values_callable=enum_values, validate_strings=True),
        nullable=False,
        default=Role.SHOPPER,
    )
    is_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)  # Flask-Login reads it
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password reset, deactivation or "log out everywhere": sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="SET NULL"), index=True)
    # The interface language the user chose ("ru", "en"); None: the browser's Accept-Language decides.
    locale: Mapped[str | None] = mapped_column(String(8))

    shop = relationship("Shop", back_populates="owners")
    contacts = relationship("Contact", back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        # The same address in another letter case is the same person.
        Index("uq_users_email_lower", func.lower(email), unique=True),
        Index("ix_users_role", "role"),
        Index("ix_users_unverified_created", "is_verified", "created_at"),
    )

    def get_id(self) -> str:
        # Only what Flask-Login writes during login_user(); security.sign_in replaces it with the session's key,
        # and the loader accepts nothing else, so this value alone opens nothing.
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"


class UserSession(db.Model):
    """One sign-in (a browser or an API client): what a session cookie, a remember-me cookie and API tokens name.

    The cookie carries a random key whose digest is `key_hash`; the remember-me cookie carries the row id and a
    second secret (`remember_hash`) that is replaced on every use. Revoking the row ends all of them at once.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    remember_hash: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="web")  # "web" or "api"
    # The user's session_version when signed in: deactivation and role changes bump it and end the row too.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user = relationship("User")

    __table_args__ = (Index("ix_user_sessions_user_revoked", "user_id", "revoked_at"),)


class RefreshToken(db.Model):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    family: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[str | None] = mapped_column(String(64))

    user = relationship("User")


class Contact(TimestampMixin, db.Model):
    """A shopper's delivery address and phone."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    recipient: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    street: Mapped[str] = mapped_column(String(150), nullable=False)
    house: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    building: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    apartment: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False)

    user = relationship("User", back_populates="contacts")

    __table_args__ = (CheckConstraint("length(phone) > 0", name="phone_present"),)

    def one_line(self) -> str:
        parts = [self.city, self.street, self.house]
        if self.building:
            parts.append(f"bld. {self.building}")
        if self.apartment:
            parts.append(f"apt. {self.apartment}")
        return ", ".join(p for p in parts if p)
