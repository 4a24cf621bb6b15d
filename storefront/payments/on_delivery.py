"""Cash or card on delivery: each supplier's courier takes the money for that part; the supplier records it."""

from __future__ import annotations

from flask_babel import gettext as _

from storefront.payments.base import PaymentProvider, register


class OnDelivery(PaymentProvider):
    collected_by_supplier = True

    def __init__(self, code: str):
        self.code = code

    def label(self) -> str:
        return _("Card on delivery") if self.code == "card_on_delivery" else _("Cash on delivery")

    def terms(self, order) -> str:
        how = _("by card") if self.code == "card_on_delivery" else _("in cash")
        return _("Payment %(how)s on delivery, to each supplier's courier for that supplier's part.", how=how)


register("cash_on_delivery")(OnDelivery)
register("card_on_delivery")(OnDelivery)
