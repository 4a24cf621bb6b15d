"""Orders jobs: the invoice, the e-mails an order sends, and the catalog cache hook. They take ids and reload."""

from __future__ import annotations

import logging

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.jobs.mail import deliver_mail
from storefront.orders.invoices import ensure_invoice
from storefront.orders.labels import status_word
from storefront.orders.models import Order, OrderPart, OrderStatus

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
        [order.user.email], f"Order #{order.id} received", "orders/placed",
        {"order_id": order.id, "name": order.user.name, "link": link, **_summary(order)}, attachments=[path],
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
        {"order_id": order.id, "buyer": order.user.email, **_summary(order)}, attachments=[path],
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


def _shop_owners(part: OrderPart) -> list[str]:
    return list(db.session.scalars(select(User.email).where(User.shop_id == part.shop_id, User.is_active)))


def _supplier_link(order_id: int) -> str:
    try:  # a worker has no request: the link needs SERVER_NAME there
        return url_for("suppliers.show_order", order_id=order_id, _external=True)
    except RuntimeError:
        return ""


def mail_supplier_part_changed(part_id: int, from_status: str, to_status: str, note: str = "") -> str:
    """Tell a supplier's owners that someone else moved their part of an order (the shopper or staff
    cancelled the order, staff moved it): the subject carries the order number."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.shop_id is None:
        return ""
    owners = _shop_owners(part)
    if not owners:
        log.info("shop %s has no active owner to tell about order %s", part.shop_id, part.order_id)
        return ""
    order, to = part.order, OrderStatus(to_status)
    label = status_word(to)
    if to == OrderStatus.CANCELLED:
        subject = _("Order #%(order)d was cancelled: your part from %(shop)s", order=order.id, shop=part.shop_name)
        headline = _("Order #%(order)d was cancelled; your part of it (%(shop)s) is cancelled too.",
                     order=order.id, shop=part.shop_name)
    else:
        subject = _("Order #%(order)d changed: your part from %(shop)s is %(status)s", order=order.id,
                    shop=part.shop_name, status=label)
        headline = _("Your part of order #%(order)d (%(shop)s) was moved from %(previous)s to %(status)s.",
                     order=order.id, shop=part.shop_name, status=label,
                     previous=status_word(OrderStatus(from_status)))
    lines = [{"name": i.product_name, "model": i.model, "quantity": i.quantity} for i in part.items]
    return deliver_mail(
        owners, subject, "orders/supplier_part_changed",
        {"headline": headline, "note": note, "lines": lines, "subtotal": str(part.subtotal),
         "cancelled": to == OrderStatus.CANCELLED, "link": _supplier_link(order.id)},
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

