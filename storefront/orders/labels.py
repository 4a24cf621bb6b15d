"""Order statuses as words for sentences (e-mails, notices), translated; STATUS_LABELS keeps the capitalised
English labels the pages already use."""

from __future__ import annotations

from flask_babel import gettext as _

from storefront.orders.models import OrderStatus


def status_word(status: OrderStatus) -> str:
    """The status in lower case, in the current language (a worker uses the shop's own)."""
    S = OrderStatus
    return {
        S.NEW: _("new"), S.CONFIRMED: _("confirmed"), S.ASSEMBLED: _("assembled"), S.SENT: _("sent"),
        S.DELIVERED: _("delivered"), S.CANCELLED: _("cancelled"),
    }[status]
