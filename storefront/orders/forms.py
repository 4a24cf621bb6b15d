"""Orders forms: checkout and cancellation. They parse; the orders service decides."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from storefront.forms import Form


class PlaceOrderForm(Form):
    contact_id = IntegerField(_l("Delivery address"), [InputRequired(_l("Choose a delivery address."))])
    # Made when the checkout page renders: a double click or a resubmitted form places one order.
    idempotency_key = HiddenField(validators=[InputRequired(_l("The form expired; please review your order again."))])
    expected_total = HiddenField()  # the total the shopper saw; the server recomputes and compares
    seen = HiddenField()  # "offer_id:price,…" as shown, to point at the lines whose price moved


class CancelForm(Form):
    note = TextAreaField(_l("Reason (optional)"), [Optional(), Length(max=500)])


def encode_prices(prices: dict[int, Decimal]) -> str:
    return ",".join(f"{offer_id}:{price}" for offer_id, price in prices.items())


def decode_prices(raw: str | None) -> dict[int, Decimal]:
    """The `seen` field back as {offer id: price}; junk is ignored (it only decides what gets highlighted)."""
    prices = {}
    for pair in (raw or "").split(",")[:500]:
        offer_id, _sep, price = pair.partition(":")
        try:
            prices[int(offer_id)] = Decimal(price).quantize(Decimal("0.01"))
        except (ValueError, InvalidOperation):
            continue
    return prices
