"""Links to order pages for e-mails, built by the entry points (pages, API) and handed to the services."""

from __future__ import annotations

from flask import url_for


def order_page(order_id: int) -> str:
    """The order page's absolute URL when one can be built (a request, or SERVER_NAME), else ""."""
    try:
        return url_for("orders.show_order", order_id=order_id, _external=True)
    except RuntimeError:
        return ""
