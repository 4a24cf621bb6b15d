"""Every e-mail the shop sends, with sample data, for the staff's preview (and the test that renders them all).

A new template under templates/email/ must be added here: tests/documents/test_mails.py fails otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from storefront import policy
from storefront.accounts.models import User
from storefront.domain_errors import NotFound
from storefront.jobs.mail import render_mail

LINK = "https://shop.example/"
_LINES_A = [
    {"name": "Смартфон Apple iPhone XS Max 512GB (золотистый)", "model": "apple/iphone/xs-max", "quantity": 2,
     "price": "110000.00", "total": "220000.00"},
    {"name": "Чехол силиконовый", "model": "case-xs", "quantity": 1, "price": "990.00", "total": "990.00"},
]
_LINES_B = [{"name": "Кофемолка Bosch MKM 6000", "model": "bosch/mkm6000", "quantity": 1, "price": "1990.00",
             "total": "1990.00"}]
_PARTS = [
    {"shop_name": "Связной", "subtotal": "220990.00", "delivery_fee": "0.00", "lines": _LINES_A},
    {"shop_name": "Технопарк", "subtotal": "1990.00", "delivery_fee": "300.00", "lines": _LINES_B},
]
_ORDER = {"order_id": 1042, "parts": _PARTS, "total": "223280.00", "address": "Москва, Тверская, 1, кв. 10",
          "payment": ""}
_SUPPLIER = {"order_id": 1042, "shop_name": "Связной", "lines": _LINES_A, "subtotal": "220990.00",
             "recipient": "Иван Петров", "address": "Москва, Тверская, 1, кв. 10", "phone": "+7 900 000-00-00",
             "link": LINK + "supplier/orders/1042", "note": ""}


@dataclass(frozen=True)
class Preview:
    slug: str
    template: str
    subject: str
    title: Any  # lazy: shown in the staff's language
    context: dict[str, Any] = field(default_factory=dict)


PREVIEWS: tuple[Preview, ...] = (
    Preview("verify_email", "verify_email", "Confirm your e-mail", _l("Confirm the e-mail address"),
            {"name": "Анна", "link": LINK + "verify/sample"}),
    Preview("welcome", "welcome", "Welcome", _l("Welcome (after confirming)"),
            {"name": "Анна", "role": "shopper", "link": LINK}),
    Preview("reset_password", "reset_password", "Reset your password", _l("Password reset"),
            {"name": "Анна", "link": LINK + "reset/sample"}),
    Preview("change_email", "change_email", "Confirm your new e-mail", _l("New e-mail address"),
            {"name": "Анна", "link": LINK + "email/sample"}),
    Preview("test", "test", "Test message", _l("Test message"), {"name": "Анна", "link": LINK}),
    Preview("order_placed", "orders/placed", "Order #%(order_id)s received", _l("Order confirmation (shopper)"),
            {**_ORDER, "name": "Анна", "link": LINK + "orders/1042"}),
    Preview("order_invoice_admin", "orders/invoice_admin", "Invoice for order #%(order_id)s",
            _l("Invoice (administrators)"),
            {**_ORDER, "buyer": "Анна <anna@example.com>", "link": LINK + "staff/orders/1042"}),
    Preview("order_status", "orders/status_changed", "Order #%(order_id)s", _l("Order status changed (shopper)"),
            {"name": "Анна", "order_id": 1042, "status": "sent", "shop_name": "", "note": "Курьер приедет завтра.",
             "link": LINK + "orders/1042"}),
    Preview("order_part_status", "orders/status_changed", "Order #%(order_id)s",
            _l("A supplier's part changed (shopper)"),
            {"name": "Анна", "order_id": 1042, "status": "cancelled", "shop_name": "Технопарк", "note": "",
             "link": LINK + "orders/1042"}),
    Preview("supplier_new", "orders/supplier_part", "New order #%(order_id)s for %(shop_name)s",
            _l("New order part (supplier)"), {**_SUPPLIER, "event": "new"}),
    Preview("supplier_changed", "orders/supplier_part", "Order #%(order_id)s for %(shop_name)s has changed",
            _l("Order part changed (supplier)"), {**_SUPPLIER, "event": "changed", "note": "Количество изменено."}),
    Preview("supplier_cancelled", "orders/supplier_part", "Order #%(order_id)s for %(shop_name)s is cancelled",
            _l("Order part cancelled (supplier)"), {**_SUPPLIER, "event": "cancelled"}),
)


class PreviewNotFound(NotFound):
    code = "email_not_found"


@dataclass(frozen=True)
class RenderedPreview:
    preview: Preview
    subject: str
    text: str
    html: str


def list_previews(viewer: User) -> tuple[Preview, ...]:
    policy.require_staff(viewer)
    return PREVIEWS


def render_preview(viewer: User, slug: str, locale: str | None = None) -> RenderedPreview:
    """One e-mail with its sample data, both parts, through the same rendering as the real ones."""
    policy.require_staff(viewer)
    preview = next((p for p in PREVIEWS if p.slug == slug), None)
    if preview is None:
        raise PreviewNotFound("No such e-mail.")
    subject, text, html = render_mail(preview.template, preview.subject, preview.context, locale)
    return RenderedPreview(preview, subject, text, html)
