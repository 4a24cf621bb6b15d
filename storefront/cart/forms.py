"""Cart forms: they parse input; the cart service holds the rules (stock, sellable offers, limits)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired

from storefront.forms import Form

WHOLE_NUMBER = _l("Enter a whole number of units.")


class AddToCartForm(Form):
    """The catalog's add-to-cart form posts exactly these fields: offer_id, quantity (and the CSRF token)."""

    offer_id = IntegerField(_l("Offer"), [InputRequired(_l("Choose an offer."))])
    quantity = IntegerField(_l("Quantity"), [InputRequired(WHOLE_NUMBER)], default=1)
    next = HiddenField()


class QuantityForm(Form):
    quantity = IntegerField(_l("Quantity"), [InputRequired(WHOLE_NUMBER)])


class ConfirmForm(Form):
    """A button: remove a line, empty the cart (only the CSRF token travels)."""


def first_error(form: FlaskForm) -> str:
    """The first validation message of `form`, for a one-line notice."""
    for field_name, errors in form.errors.items():
        if errors:
            message = errors[0]
            if field_name == "csrf_token":
                return _("The form expired; please try again.")
            if "integer" in str(message).lower() or "целое" in str(message):  # WTForms' own, in either language
                return str(WHOLE_NUMBER)
            return str(message)
    return _("Please check your input.")
