"""Stock going back on sale, telling the catalog that bulk UPDATEs moved it, and the low-stock webhook."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from storefront.catalog.cache import invalidate_catalog_after_commit
from storefront.catalog.models import Offer
from storefront.catalog.summary import refresh_product_summaries
from storefront.extensions import db
from storefront.orders.models import OrderItem


def return_stock(items: list[OrderItem]) -> None:
    """Put the units of cancelled lines back on their offers."""
    for item in items:
        if item.offer_id is not None:  # the offer may have been deleted since; nothing to return it to
            db.session.execute(
                update(Offer).where(Offer.id == item.offer_id).values(quantity=Offer.quantity + item.quantity)
                .execution_options(synchronize_session=False)
            )
    stock_changed([item.offer_id for item in items])


def warn_low_stock(offer: Offer, left: int, taken: int) -> None:
    """Emit `stock.low` when taking `taken` units brought an offer below LOW_STOCK_THRESHOLD (once per crossing:
    an offer already below it stays quiet until it is restocked above it)."""
    from storefront.webhooks import services as webhooks

    threshold = int(current_app.config.get("LOW_STOCK_THRESHOLD", 0))
    if threshold > 0 and left < threshold <= left + taken:
        webhooks.emit("stock.low", {"offer_id": offer.id, "product_id": offer.product_id, "shop_id": offer.shop_id,
                                    "product_name": offer.product.name, "quantity": left, "threshold": threshold})


def stock_changed(offer_ids: list[int | None]) -> None:
    """Stock moved by bulk UPDATEs (the ORM did not see it): refresh these products' catalog summaries now and
    their cached pages once this transaction commits."""
    ids = sorted({offer_id for offer_id in offer_ids if offer_id is not None})
    if ids:
        product_ids = db.session.scalars(select(Offer.product_id).where(Offer.id.in_(ids))).all()
        refresh_product_summaries(product_ids)
        invalidate_catalog_after_commit(product_ids=product_ids)
