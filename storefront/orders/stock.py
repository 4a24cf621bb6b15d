"""Stock going back on sale and the low-stock webhook (`stock_changed` tells the catalog: `catalog.stock`)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update

from storefront.catalog.models import Offer
from storefront.catalog.stock import stock_changed
from storefront.extensions import db
from storefront.orders.models import OrderItem


def return_stock(items: list[OrderItem]) -> None:
    """Put the units of cancelled lines back on their offers."""
    returned: dict[int, int] = {}
    for item in items:
        if item.offer_id is not None:  # the offer may have been deleted since; nothing to return it to
            db.session.execute(
                update(Offer).where(Offer.id == item.offer_id).values(quantity=Offer.quantity + item.quantity)
                .execution_options(synchronize_session=False)
            )
            returned[item.offer_id] = returned.get(item.offer_id, 0) + item.quantity
    stock_changed(returned)


def warn_low_stock(offer: Offer, left: int, taken: int) -> None:
    """Emit `stock.low` when taking `taken` units brought an offer below LOW_STOCK_THRESHOLD (once per crossing:
    an offer already below it stays quiet until it is restocked above it)."""
    from storefront.webhooks import services as webhooks

    threshold = int(current_app.config.get("LOW_STOCK_THRESHOLD", 0))
    if threshold > 0 and left < threshold <= left + taken:
        webhooks.emit("stock.low", {"offer_id": offer.id, "product_id": offer.product_id, "shop_id": offer.shop_id,
                                    "product_name": offer.product.name, "quantity": left, "threshold": threshold})
