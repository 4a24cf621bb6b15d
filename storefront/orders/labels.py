"""The one wording of order statuses people read: pages, history, flashes and errors (never the raw value).

Lazy: the labels are looked up in the language of the request that shows them. Templates use the
`status_label` filter (`{{ event.to_status|status_label }}`), Python `status_label(status)`.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from storefront.i18n import N_
from storefront.orders.models import OrderStatus

S = OrderStatus
STATUS_LABELS = {
    S.NEW: _l("New"), S.CONFIRMED: _l("Confirmed"), S.ASSEMBLED: _l("Assembled"), S.SENT: _l("Sent"),
    S.DELIVERED: _l("Delivered"), S.CANCELLED: _l("Cancelled"),
}


def status_label(status: OrderStatus | str | None) -> str:
    """"Новый" / "New" for `OrderStatus.NEW` or "new"; an unknown value is shown as it is."""
    if status is None:
        return ""
    try:
        return str(STATUS_LABELS[OrderStatus(status)])
    except ValueError:
        return str(status)


# Notes the shop itself writes into the history (stored in English); people's own notes are shown as written.
SYSTEM_NOTES = frozenset({
    N_("Order placed."), N_("Cancelled by the shopper."), N_("Every supplier cancelled their part."),
})


def event_note(note: str | None) -> str:
    """A history note in the reader's language when the shop wrote it; plain text either way (autoescaped)."""
    if not note:
        return ""
    return gettext(note) if note in SYSTEM_NOTES else note
