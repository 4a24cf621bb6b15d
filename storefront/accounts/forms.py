"""Accounts forms: they parse and give quick feedback; the services hold the real rules."""

from __future__ import annotations

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


EMAIL = [DataRequired("Enter your e-mail address."), Length(max=MAX_EMAIL)]
NEW_PASSWORD = [DataRequired("Choose a password."), Length(max=MAX_PASSWORD)]


class RegisterForm(AccountsForm):
    name = StringField("Your name", [DataRequired("Enter your name."), Length(max=MAX_NAME)])
    email = EmailField("E-mail", EMAIL)
    password = PasswordField("Password", NEW_PASSWORD)
    confirm = PasswordField(
        "Repeat the password", [DataRequired("Repeat the password."), EqualTo("password", "The passwords differ.")]
    )
    account_type = RadioField(
        "Account type",
        choices=[("shopper", "Shopper — I buy goods"), ("supplier", "Supplier — I sell goods")],
        default="shopper",
        validators=[InputRequired("Choose an account type.")],
    )
    shop_name = StringField("Shop name (suppliers)", [Optional(), Length(max=MAX_SHOP_NAME)])


class LoginForm(AccountsForm):
    email = EmailField("E-mail", EMAIL)
    password = PasswordField("Password", [DataRequired("Enter your password."), Length(max=MAX_PASSWORD * 8)])
    remember = BooleanField("Remember me on this device")
    next = HiddenField()


class EmailForm(AccountsForm):
    email = EmailField("E-mail", EMAIL)


class NewPasswordForm(AccountsForm):
    password = PasswordField("New password", NEW_PASSWORD)
    confirm = PasswordField("Repeat the new password", [EqualTo("password", "The passwords differ.")])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", [DataRequired("Enter your current password.")])


class ProfileForm(AccountsForm):
    name = StringField("Your name", [DataRequired("Enter your name."), Length(max=MAX_NAME)])


class ChangeEmailForm(AccountsForm):
    email = EmailField("New e-mail", EMAIL)
    password = PasswordField("Current password", [DataRequired("Enter your current password.")])


class ConfirmForm(AccountsForm):
    """A button that turns a link from an e-mail into a POST (link scanners only ever GET)."""


class ContactForm(AccountsForm):
    recipient = StringField("Recipient", [Length(max=120)])
    city = StringField("City", [DataRequired("Enter the city."), Length(max=100)])
    street = StringField("Street", [DataRequired("Enter the street."), Length(max=150)])
    house = StringField("House", [Length(max=20)])
    building = StringField("Building", [Length(max=20)])
    apartment = StringField("Apartment", [Length(max=20)])
    phone = StringField("Phone", [DataRequired("Enter a phone number."), Length(max=32)])

    def to_data(self) -> ContactData:
        return ContactData(
            recipient=self.recipient.data or "", city=self.city.data or "", street=self.street.data or "",
            house=self.house.data or "", building=self.building.data or "", apartment=self.apartment.data or "",
            phone=self.phone.data or "",
        )
