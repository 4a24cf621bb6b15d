"""Supplier portal forms: they parse; `suppliers.services` decides."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from storefront.forms import Form
from storefront.orders.models import OrderStatus


class ImportForm(Form):
    file = FileField(_l("Price list file (YAML)"))
    url = StringField(_l("…or the URL it is published at"), [Optional(), Length(max=1000)],
                      render_kw={"placeholder": "https://example.com/price-list.yaml", "inputmode": "url"})

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        has_file = bool(self.file.data and getattr(self.file.data, "filename", ""))
        has_url = bool((self.url.data or "").strip())
        if has_file == has_url:
            self.file.errors = [*self.file.errors, _("Choose a file or give a URL (one of the two).")]
            return False
        return True


class AcceptingForm(Form):
    accepting = HiddenField(validators=[InputRequired(), AnyOf(["1", "0"])])


class PartStatusForm(Form):
    status = HiddenField(validators=[InputRequired(), AnyOf([s.value for s in OrderStatus])])
    note = TextAreaField(_l("Note for the shopper (optional)"), [Optional(), Length(max=500)])


class ExportForm(Form):
    """Only the CSRF token: starting an export job is a state change."""
