"""Media: one row per distinct image (by content hash), the URLs it was fetched from, and offers' photos."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.database import TimestampMixin
from storefront.extensions import db

SIZES = (320, 800)  # the resized copies: each fits in a SIZE×SIZE square, padded to it (fixed card geometry)


class MediaAsset(TimestampMixin, db.Model):
    """An image stored once, whatever URLs or uploads brought it: its SHA-256 names every file of it."""

    __tablename__ = "media_assets"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    original_type: Mapped[str] = mapped_column(String(40), nullable=False)  # image/jpeg, image/png, …
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    byte_size: Mapped[int] = mapped_column(Integer, nullable=False)


class MediaSource(TimestampMixin, db.Model):
    """A URL already downloaded, and what it gave: the next price list naming it is not fetched again."""

    __tablename__ = "media_sources"

    url: Mapped[str] = mapped_column(String(1000), primary_key=True)
    asset_hash: Mapped[str] = mapped_column(ForeignKey("media_assets.hash", ondelete="CASCADE"), nullable=False,
                                            index=True)


class OfferImage(db.Model):
    """A photo a supplier's price list gives a good, in the file's order (its URL as written, for the export)."""

    __tablename__ = "offer_images"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), nullable=False)
    asset_hash: Mapped[str] = mapped_column(ForeignKey("media_assets.hash", ondelete="RESTRICT"), nullable=False,
                                            index=True)
