"""Stock moved by bulk UPDATEs (orders, cancellations, checkout holds): the summaries now, the cache precisely.

An order changes the stock of a few offers. The catalog's cache forgets what that changed and nothing else
(see `catalog.cache`): those products' pages always, a card only when its summary changed (its price, "in
stock", its suppliers), the lists sorted by price only when a best price moved, the lists filtered on offers
only when an offer ran out or came back, and the whole catalog's lists only when a product went on or off sale.
"""

from __future__ import annotations

from sqlalchemy import select

from storefront.catalog.cache import LISTS, PRICES, STOCK, invalidate_products
from storefront.catalog.models import Offer
from storefront.catalog.summary import summary_changes
from storefront.extensions import db


def stock_changed(changes: dict[int, int] | list[int | None]) -> None:
    """Stock moved by bulk UPDATEs (the ORM did not see it): refresh these products' catalog summaries now and
    forget what they changed once this transaction commits.

    `changes` maps each offer to how much its stock moved (negative: taken). A plain list of offer ids counts as
    "may have run out or come back".
    """
    deltas = changes if isinstance(changes, dict) else dict.fromkeys(changes)
    ids = sorted(offer_id for offer_id in deltas if offer_id is not None)
    if not ids:
        return
    rows = db.session.execute(select(Offer.id, Offer.product_id, Offer.quantity).where(Offer.id.in_(ids))).all()
    product_ids = sorted({row.product_id for row in rows})
    changed = summary_changes(product_ids)
    generations = set()
    if any(change.before.on_sale != change.after.on_sale for change in changed):
        generations.add(LISTS)  # which goods any list holds, its totals and facet counts
    if any(change.before.best_price != change.after.best_price for change in changed):
        generations.add(PRICES)
    if any(deltas[row.id] is None or (row.quantity > 0) != (row.quantity - deltas[row.id] > 0) for row in rows):
        generations.add(STOCK)
    invalidate_products(product_ids, cards=[change.product_id for change in changed], generations=generations)
