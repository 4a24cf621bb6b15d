"""Links to order pages for e-mails, built by the entry points (pages, API) and handed to the services."""

from __future__ import annotations

from flask import url_for


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
