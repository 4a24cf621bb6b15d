"""Bank transfer against the invoice: paid in advance; staff record the money when it reaches the account."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from storefront.payments.base import PaymentProvider, register


@register("bank_transfer")
class BankTransfer(PaymentProvider):
    cancels_when_overdue = True

    def __init__(self, code: str):
        self.code = code

    def label(self) -> str:
        return _("Bank transfer against the invoice")

    def terms(self, order) -> str:
        days = int(current_app.config["PAYMENT_DUE_DAYS"])
        due = (order.created_at + timedelta(days=days)).date().isoformat()
        return _("Payment by bank transfer against this invoice within %(days)d days, by %(due)s; quote order "
                 "#%(order_id)d. Unpaid orders are cancelled after that date.",
                 days=days, due=due, order_id=order.id)
