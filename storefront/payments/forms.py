"""The payment form of the back-office and the supplier portal: it parses; storefront.payments.services decides."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from storefront.forms import Form


class PaymentForm(Form):
    """Staff (or a supplier, for its part) record money received or refunded."""

    kind = RadioField(_l("What"), choices=[("payment", _l("Payment received")), ("refund", _l("Refund"))],
                      default="payment")
    amount = DecimalField(_l("Amount"), [InputRequired(_l("Enter the amount.")),
                                         NumberRange(min=0.01, message=_l("The amount must be positive."))],
                          places=2)
    reference = StringField(_l("Reference"), [Optional(), Length(max=120)])
    note = TextAreaField(_l("Note"), [Optional(), Length(max=500)])
