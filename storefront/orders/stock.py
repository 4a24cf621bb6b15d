"""Stock going back on sale, telling the catalog that bulk UPDATEs moved it, and the low-stock webhook."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from storefront.catalog.cache import invalidate_products
from storefront.catalog.models import Offer
from storefront.catalog.summary import refresh_product_summaries
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


def stock_changed(changes: dict[int, int] | list[int | None]) -> None:
    """Stock moved by bulk UPDATEs (the ORM did not see it): refresh these products' catalog summaries now and
    their cached pages once this transaction commits.

    `changes` maps each offer to how much its stock moved (negative: taken); the lists are forgotten only when
    a summary changed or an offer ran out or came back. A plain list of offer ids forgets the lists always.
    """
    deltas = changes if isinstance(changes, dict) else dict.fromkeys(changes)
    ids = sorted(offer_id for offer_id in deltas if offer_id is not None)
    if not ids:
        return
    rows = db.session.execute(select(Offer.id, Offer.product_id, Offer.quantity).where(Offer.id.in_(ids))).all()
    product_ids = sorted({row.product_id for row in rows})
    changed = refresh_product_summaries(product_ids)
    crossed = any(
        deltas[row.id] is None or (row.quantity > 0) != (row.quantity - deltas[row.id] > 0) for row in rows
    )
    invalidate_products(product_ids, lists=bool(changed) or crossed)
