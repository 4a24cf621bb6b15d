"""The base of every page form: input no column can hold is a field error, checked once here for all forms.

- NUL characters: PostgreSQL cannot store or compare them in text, so a value carrying one would fail in the
  database (500). Query strings and JSON are refused earlier by `storefront.input_guard`; forms answer with a
  field error instead, so the visitor gets the form back with the message.
- Whole numbers beyond the 32-bit integer columns (ids, quantities): refused here, not by the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField
from wtforms.validators import StopValidation

from storefront.converters import MAX_ID
from storefront.input_guard import NUL_MESSAGE

INTEGER_LIMIT = MAX_ID  # INTEGER columns hold up to 2**31 - 1


def _no_nul(_form: FlaskForm, field: Field) -> None:
    if any(isinstance(raw, str) and "\x00" in raw for raw in field.raw_data or ()):
        field.data = ""  # never echo the NUL back into the page
        raise StopValidation(NUL_MESSAGE)


def _fits_a_column(_form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, int) and abs(field.data) > INTEGER_LIMIT:
        raise StopValidation(_("Enter a number up to %(limit)s.", limit=INTEGER_LIMIT))


class Form(FlaskForm):
    def validate(self, extra_validators: Mapping[str, Sequence[Callable]] | None = None) -> bool:
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for field in self:
            checks = extra.setdefault(field.name, [])
            checks.append(_no_nul)
            if isinstance(field, IntegerField):
                checks.append(_fits_a_column)
        return super().validate(extra)
