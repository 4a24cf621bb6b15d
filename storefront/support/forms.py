"""Support forms: they parse; the services check length, rate and who may write where."""

from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import InputRequired

from storefront.forms import Form


class MessageForm(Form):
    body = TextAreaField("Message", [InputRequired("Write a message first.")])
