"""Orders jobs: the invoice, the e-mails an order sends, and the catalog cache hook. They take ids and reload."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.jobs.mail import deliver_mail
from storefront.orders.invoices import ensure_invoice
from storefront.orders.models import Order, OrderPart
from storefront.payments.providers import payment_terms

log = logging.getLogger(__name__)


def generate_invoice(order_id: int) -> str:
    """Render the order's PDF invoice (once) and remember where it is."""
    path = ensure_invoice(order_id)
    db.session.commit()
    return str(path)


def mail_order_placed(order_id: int, link: str = "") -> str:
    """Confirm the order to the shopper, with the PDF invoice attached."""
    path = generate_invoice(order_id)
    order = db.session.get(Order, order_id)
    return deliver_mail(
        [order.buyer_email], f"Order #{order.id} received", "orders/placed",
        {"order_id": order.id, "name": order.buyer_name, "link": link, "guest": order.is_guest,
         "payment_terms": payment_terms(order), **_summary(order)}, attachments=[path],
    )


def mail_invoice_to_admins(order_id: int) -> str:
    """Send the invoice ("накладная") to every ADMIN_EMAILS address."""
    admins = current_app.config.get("ADMIN_EMAILS") or []
    if not admins:
        return ""
    path = generate_invoice(order_id)
    order = db.session.get(Order, order_id)
    return deliver_mail(
        list(admins), f"Накладная: order #{order.id}", "orders/invoice_admin",
        {"order_id": order.id, "buyer": order.buyer_email, **_summary(order)}, attachments=[path],
    )


def mail_supplier_part(part_id: int) -> str:
    """Tell a supplier's owners which lines of a new order are theirs (and nothing of other shops')."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.shop_id is None:
        return ""
    owners = db.session.scalars(select(User.email).where(User.shop_id == part.shop_id, User.is_active)).all()
    if not owners:
        log.info("shop %s has no active owner to tell about order %s", part.shop_id, part.order_id)
        return ""
    lines = [{"name": i.product_name, "model": i.model, "quantity": i.quantity, "price": str(i.price),
              "total": str(i.line_total)} for i in part.items]
    order = part.order
    return deliver_mail(
        list(owners), f"New order #{order.id} for {part.shop_name}", "orders/supplier_part",
        {"order_id": order.id, "shop_name": part.shop_name, "lines": lines, "subtotal": str(part.subtotal),
         "recipient": order.delivery_recipient, "address": order.delivery_address, "phone": order.delivery_phone},
    )


def _summary(order: Order) -> dict:
    return {
        "parts": [
            {"shop_name": part.shop_name, "subtotal": str(part.subtotal), "delivery_fee": str(part.delivery_fee),
             "lines": [{"name": i.product_name, "quantity": i.quantity, "price": str(i.price),
                        "total": str(i.line_total)} for i in part.items]}
            for part in order.parts
        ],
        "total": str(order.total),
        "address": order.delivery_address,
    }

