"""Links to order pages for e-mails, built by the entry points (pages, API) and handed to the services."""

from __future__ import annotations

from flask import url_for

from storefront.extensions import db
from storefront.orders.guests import guest_token
from storefront.orders.models import Order


def order_page(order_id: int) -> str:
    """The order page's absolute URL when one can be built (a request, or SERVER_NAME), else ""."""
    try:
        return url_for("orders.show_order", order_id=order_id, _external=True)
    except RuntimeError:
        return ""


def guest_order_page(order_id: int) -> str:
    """The signed link to a guest's order page (the e-mail's link; guests have no log-in)."""
    order = db.session.get(Order, order_id)
    try:
        return url_for("orders.show_guest_order", token=guest_token(order), _external=True)
    except RuntimeError:
        return ""
