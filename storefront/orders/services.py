"""The orders services under their historical name, for callers outside `storefront.orders`.

The rules live by responsibility: `checkout` (review and placement), `status` (the status machine),
`access` (who sees which orders and what of them, on `storefront.policy`). New code imports from those.
"""

from __future__ import annotations

from storefront.orders.access import (
    OrderNotFound,
    SupplierOrder,
    get_order_for,
    invoice_for,
    list_orders,
    supplier_lines,
    supplier_parts,
    timeline,
    visible_parts,
)
from storefront.orders.checkout import (
    MAX_KEY,
    CheckoutInProgress,
    CheckoutReview,
    EmptyCart,
    InvalidIdempotencyKey,
    OffersUnavailable,
    OutOfStock,
    PriceChanged,
    place_order,
    review_checkout,
)
from storefront.orders.locks import begin_write
from storefront.orders.status import (
    FINAL,
    STATUS_LABELS,
    TRANSITIONS,
    InvalidTransition,
    OrderLink,
    S,
    StaleOrder,
    allowed_transitions,
    cancel_order,
    change_part_status,
    change_status,
    no_link,
    webhook_data,
)

__all__ = [
    "FINAL", "MAX_KEY", "STATUS_LABELS", "TRANSITIONS", "CheckoutInProgress", "CheckoutReview", "EmptyCart",
    "InvalidIdempotencyKey", "InvalidTransition", "OffersUnavailable", "OrderLink", "OrderNotFound", "OutOfStock",
    "PriceChanged", "S", "StaleOrder", "SupplierOrder", "allowed_transitions", "begin_write", "cancel_order",
    "change_part_status", "change_status", "get_order_for", "invoice_for", "list_orders", "no_link",
    "place_order", "review_checkout", "supplier_lines", "supplier_parts", "timeline", "visible_parts",
    "webhook_data",
]
