"""Support forms: they parse; the services check length, rate and who may write where."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired

from storefront.forms import Form


class MessageForm(Form):
    body = TextAreaField(_l("Message"), [InputRequired(_l("Write a message first."))])


class AskAboutOrderForm(Form):
    """The "ask about this order" button: which order (the service checks it is the shopper's own)."""

    order = IntegerField(validators=[InputRequired()])  # a hidden input in support/_chat.html
