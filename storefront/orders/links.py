"""Links to order pages for e-mails, built by the entry points (pages, API) and handed to the services."""

from __future__ import annotations

from flask import url_for

from storefront.extensions import db
from storefront.orders.guests import guest_token
from storefront.orders.models import Order


def order_page(order_id: int) -> str:
    """The order page's absolute URL when one can be built (a request, or SERVER_NAME), else ""."""
    return _external("orders.show_order", order_id=order_id)


def _external(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:  # a job without SERVER_NAME: the e-mail goes out without the link
        return ""


def staff_order_page(order_id: int) -> str:
    """The back-office page of the order, absolute, or ""."""
    return _external("backoffice.show_order", order_id=order_id)


def supplier_order_page(order_id: int) -> str:
    """The supplier portal's page of the shop's part of the order, absolute, or ""."""
    return _external("suppliers.show_order", order_id=order_id)


def guest_order_page(order_id: int) -> str:
    """The signed link to a guest's order page (the e-mail's link; guests have no log-in)."""
    order = db.session.get(Order, order_id)
    try:
        return url_for("orders.show_guest_order", token=guest_token(order), _external=True)
    except RuntimeError:
        return ""
