"""The legal-details form (supplier portal and back-office) and the export start form. They parse; the
services (`documents.legal`, `documents.exports`) decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional

from storefront.documents.exports import FORMATS, KINDS
from storefront.documents.legal import VAT_RATES
from storefront.forms import Form

VAT_CHOICES = [("none", _l("Without VAT (без НДС)")), *((str(rate), f"{rate}%") for rate in VAT_RATES)]


class LegalDetailsForm(Form):
    legal_name = StringField(_l("Legal name"), [Length(max=300)])
    inn = StringField(_l("ИНН"), [Length(max=20)])
    kpp = StringField(_l("КПП (companies only)"), [Optional(), Length(max=20)])
    ogrn = StringField(_l("ОГРН / ОГРНИП"), [Length(max=20)])
    legal_address = TextAreaField(_l("Legal address"), [Length(max=500)])
    bank_name = StringField(_l("Bank"), [Length(max=300)])
    bik = StringField(_l("БИК"), [Length(max=20)])
    account = StringField(_l("Settlement account"), [Length(max=30)])
    vat_rate = SelectField(_l("VAT"), choices=VAT_CHOICES, default="none")

    def values(self) -> dict:
        data = {name: getattr(self, name).data for name in
                ("legal_name", "inn", "kpp", "ogrn", "legal_address", "bank_name", "bik", "account")}
        data["vat_rate"] = None if self.vat_rate.data == "none" else self.vat_rate.data
        return data


class ExportForm(Form):
    kind = HiddenField(validators=[AnyOf(KINDS)])
    format = HiddenField(validators=[AnyOf(list(FORMATS))])
    filters = HiddenField(validators=[Optional(), Length(max=2000)])  # JSON of the list's filters
