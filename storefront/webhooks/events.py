"""The one registry of webhook event names: what staff can subscribe to and what `emit()` accepts.

To add an event: add one line here (`"<thing>.<what_happened>": _l("What happened, for staff")`, the name in
English, lower case, dot-separated; the description through Babel, with its Russian line in messages.po),
then call `webhooks.services.emit("<name>", data)` from the service where it happens, inside its transaction
(the delivery is queued through the outbox and sent after the commit). The back-office form and the API's
enum read this dict, so the new event is offered everywhere at once. An event not listed here is refused by
`emit()` (a typo fails in tests, not silently in production).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

EVENTS: dict[str, object] = {
    "order.created": _l("An order was placed"),
    "order.status_changed": _l("An order moved to another status"),
    "order.shipped": _l("An order was sent"),
    # Parts: one supplier's share of an order (storefront/orders/status.py).
    "order_part.status_changed": _l("A supplier's part of an order moved to another status"),
    "order_part.cancelled": _l("A supplier's part of an order was cancelled"),
    # Payments (storefront/payments/).
    "order.payment_changed": _l("An order's payment status changed (paid, partly paid, refunded)"),
    # Stock: an offer's quantity fell below LOW_STOCK_THRESHOLD because of an order.
    "stock.low": _l("An offer is running out of stock"),
}
TEST_EVENT = "webhook.test"  # sent by "send a test" only; nobody subscribes to it
