"""Orders jobs: the invoice, the e-mails an order sends, and the catalog cache hook. They take ids and reload."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.jobs.mail import deliver_mail, mail_locale
from storefront.orders import links
from storefront.orders.invoices import ensure_invoice
from storefront.orders.models import Order, OrderPart, OrderStatus
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
        [order.buyer_email], "Order #%(order_id)s received", "orders/placed",
        {"order_id": order.id, "name": order.buyer_name, "link": link, "guest": order.is_guest, **_summary(order)},
        attachments=[path], locale=mail_locale(order.user),
    )


def mail_invoice_to_admins(order_id: int) -> str:
    """Send the invoice ("накладная") to every ADMIN_EMAILS address."""
    admins = current_app.config.get("ADMIN_EMAILS") or []
    if not admins:
        return ""
    path = generate_invoice(order_id)
    order = db.session.get(Order, order_id)
    return deliver_mail(
        list(admins), "Invoice for order #%(order_id)s", "orders/invoice_admin",
        {"order_id": order.id, "buyer": f"{order.buyer_name} <{order.buyer_email}>",
         "link": links.staff_order_page(order.id), **_summary(order)},
        attachments=[path],
    )


SUPPLIER_SUBJECTS = {
    "new": "New order #%(order_id)s for %(shop_name)s",
    "changed": "Order #%(order_id)s for %(shop_name)s has changed",
    "cancelled": "Order #%(order_id)s for %(shop_name)s is cancelled",
}


def mail_supplier_part(part_id: int, event: str = "new", note: str = "") -> str:
    """Tell a supplier's owners which lines of an order are theirs (and nothing of other shops'), when the part
    is new, changed or cancelled (`event`); each owner in their own language."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.shop_id is None:
        return ""
    owners = db.session.scalars(select(User).where(User.shop_id == part.shop_id, User.is_active)).all()
    if not owners:
        log.info("shop %s has no active owner to tell about order %s", part.shop_id, part.order_id)
        return ""
    event = event if event in SUPPLIER_SUBJECTS else "new"
    order = part.order
    context = {"order_id": order.id, "shop_name": part.shop_name, "event": event, "note": note,
               "lines": _lines(part), "subtotal": str(part.subtotal), "recipient": order.delivery_recipient,
               "address": order.delivery_address, "phone": order.delivery_phone,
               "link": links.supplier_order_page(order.id)}
    sent = [deliver_mail([owner.email], SUPPLIER_SUBJECTS[event], "orders/supplier_part", context,
                         locale=mail_locale(owner)) for owner in owners]
    return " ".join(sent)


def _lines(part: OrderPart) -> list[dict]:
    return [{"name": i.product_name, "model": i.model, "quantity": i.quantity, "price": str(i.price),
             "total": str(i.line_total)} for i in part.items]


def mail_supplier_part_changed(part_id: int, from_status: str, to_status: str, note: str = "") -> str:
    """Tell a supplier's owners that someone else moved their part of an order (the shopper or staff
    cancelled the order, staff moved it): the supplier's part mail, whose subject carries the order number."""
    del from_status  # the mail shows the part as it is now
    event = "cancelled" if OrderStatus(to_status) == OrderStatus.CANCELLED else "changed"
    return mail_supplier_part(part_id, event, note)


def _summary(order: Order) -> dict:
    return {
        "parts": [
            {"shop_name": part.shop_name, "subtotal": str(part.subtotal), "delivery_fee": str(part.delivery_fee),
             "lines": _lines(part)}
            for part in order.parts
        ],
        "total": str(order.total),
        "address": order.delivery_address,
        "payment": payment_terms(order),
    }

