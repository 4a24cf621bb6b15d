"""The order's PDF invoice on disk: rendered once (storefront/documents/pdf.py), then served and attached."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app

from storefront.documents.pdf import invoice_pdf, payment_terms
from storefront.extensions import db
from storefront.orders.models import Order

__all__ = ["ensure_invoice", "invoice_file", "payment_terms", "render_invoice"]


def render_invoice(order: Order) -> bytes:
    """The order's invoice PDF: one invoice per supplier's part (storefront/documents/pdf.py says why)."""
    return invoice_pdf(order)


def invoice_file(order_id: int) -> Path:
    return Path(current_app.config["INVOICE_DIR"]) / f"{order_id}.pdf"


def ensure_invoice(order_id: int) -> Path:
    """The order's invoice on disk, rendering it if it is missing; safe to run twice or concurrently."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    if order.invoice_path and Path(order.invoice_path).is_file():
        return Path(order.invoice_path)
    path = invoice_file(order_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write aside and rename: a reader never sees half a file, and two writers end with one whole one.
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as stream:
        stream.write(render_invoice(order))
    os.replace(temporary, path)
    order.invoice_path = str(path)
    db.session.flush()
    return path
