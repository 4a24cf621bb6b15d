"""Accounts forms: they parse and give quick feedback; the services hold the real rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from storefront.accounts.services import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_PASSWORD,
    MAX_SHOP_NAME,
    ContactData,
)
from storefront.forms import Form

# Lengths are checked here too so an absurd input gets a form error before any work is done.
ECHO_LIMIT = 1000


class AccountsForm(Form):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            # Never echo a megabyte back into the page: an absurdly long refused value is dropped.
            if field.errors and isinstance(field.data, str) and len(field.data) > ECHO_LIMIT:
                field.data = ""
                field.raw_data = [""]
        return valid


EMAIL = [DataRequired(_l("Enter your e-mail address.")), Length(max=MAX_EMAIL)]
NEW_PASSWORD = [DataRequired(_l("Choose a password.")), Length(max=MAX_PASSWORD)]


class RegisterForm(AccountsForm):
    name = StringField(_l("Your name"), [DataRequired(_l("Enter your name.")), Length(max=MAX_NAME)])
    email = EmailField(_l("E-mail"), EMAIL)
    password = PasswordField(_l("Password"), NEW_PASSWORD)
    confirm = PasswordField(
        _l("Repeat the password"), [DataRequired(_l("Repeat the password.")), EqualTo("password", _l("The passwords differ."))]
    )
    account_type = RadioField(
        _l("Account type"),
        choices=[("shopper", _l("Shopper — I buy goods")), ("supplier", _l("Supplier — I sell goods"))],
        default="shopper",
        validators=[InputRequired(_l("Choose an account type."))],
    )
    shop_name = StringField(_l("Shop name (suppliers)"), [Optional(), Length(max=MAX_SHOP_NAME)])


class LoginForm(AccountsForm):
    email = EmailField(_l("E-mail"), EMAIL)
    password = PasswordField(_l("Password"), [DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD * 8)])
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class EmailForm(AccountsForm):
    email = EmailField(_l("E-mail"), EMAIL)


class NewPasswordForm(AccountsForm):
    password = PasswordField(_l("New password"), NEW_PASSWORD)
    confirm = PasswordField(_l("Repeat the new password"), [EqualTo("password", _l("The passwords differ."))])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), [DataRequired(_l("Enter your current password."))])


class ProfileForm(AccountsForm):
    name = StringField(_l("Your name"), [DataRequired(_l("Enter your name.")), Length(max=MAX_NAME)])


class ChangeEmailForm(AccountsForm):
    email = EmailField(_l("New e-mail"), EMAIL)
    password = PasswordField(_l("Current password"), [DataRequired(_l("Enter your current password."))])


class ConfirmForm(AccountsForm):
    """A button that turns a link from an e-mail into a POST (link scanners only ever GET)."""


class ContactForm(AccountsForm):
    recipient = StringField(_l("Recipient"), [Length(max=120)])
    city = StringField(_l("City"), [DataRequired(_l("Enter the city.")), Length(max=100)])
    street = StringField(_l("Street"), [DataRequired(_l("Enter the street.")), Length(max=150)])
    house = StringField(_l("House"), [Length(max=20)])
    building = StringField(_l("Building"), [Length(max=20)])
    apartment = StringField(_l("Apartment"), [Length(max=20)])
    phone = StringField(_l("Phone"), [DataRequired(_l("Enter a phone number.")), Length(max=32)])

    def to_data(self) -> ContactData:
        return ContactData(
            recipient=self.recipient.data or "", city=self.city.data or "", street=self.street.data or "",
            house=self.house.data or "", building=self.building.data or "", apartment=self.apartment.data or "",
            phone=self.phone.data or "",
        )


class LanguageForm(Form):
    """The header's language switcher: one button per language, so it works without JavaScript."""

    locale = StringField(validators=[DataRequired()])
    next = HiddenField()
