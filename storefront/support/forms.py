"""Support forms: they parse; the services check length, rate and who may write where."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired


class MessageForm(FlaskForm):
    body = TextAreaField("Message", [InputRequired("Write a message first.")])
