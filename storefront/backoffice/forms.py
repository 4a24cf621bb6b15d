"""Back-office forms: filters (GET, no CSRF) and actions (POST, CSRF). They parse; the features' services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, StopValidation

from storefront.accounts.models import Role
from storefront.forms import Form
from storefront.orders.models import OrderStatus
from storefront.orders.reports import SORTS
from storefront.webhooks.services import EVENTS

ANY = ("", "Any")
STATUS_VALUES = [s.value for s in OrderStatus]


class FilterForm(Form):
    """A GET form: filters live in the URL (shareable, back/forward work), so no CSRF token."""

    class Meta:
        csrf = False

    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=1_000_000)])


class OrderFilterForm(FilterForm):
    status = SelectField("Status", choices=[ANY, *((s.value, s.value.title()) for s in OrderStatus)], default="",
                         validators=[Optional()])
    shopper = IntegerField("Shopper id", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    shop = SelectField("Supplier", choices=[ANY], default="", validators=[Optional()])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    q = StringField("Order number or e-mail", validators=[Optional(), Length(max=200)])
    sort = SelectField("Sort", default="-created", validators=[Optional()], choices=[
        ("-created", "Newest first"), ("created", "Oldest first"), ("-total", "Largest total"),
        ("total", "Smallest total"), ("status", "Status"), ("-id", "Number ↓"), ("id", "Number ↑"),
    ])

    def validate_sort(self, field) -> None:
        if field.data and field.data not in SORTS:
            field.data = "-created"


class StatusForm(Form):
    status = SelectField("New status", choices=[], validators=[InputRequired("Choose the new status.")])
    note = TextAreaField("Note for the shopper (optional)", [Optional(), Length(max=500)])
    # The status the clerk saw: the service refuses if the order moved meanwhile.
    expected = HiddenField(validators=[InputRequired(), AnyOf(STATUS_VALUES)])


class UserFilterForm(FilterForm):
    q = StringField("E-mail or name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=[ANY, *((r.value, r.value.title()) for r in Role)], default="",
                       validators=[Optional()])
    verified = SelectField("Verified", choices=[ANY, ("yes", "Verified"), ("no", "Not verified")], default="",
                           validators=[Optional()])
    active = SelectField("State", choices=[ANY, ("yes", "Active"), ("no", "Deactivated")], default="",
                         validators=[Optional()])


class ActionForm(Form):
    """Only the CSRF token (and where to go back to): the button says what the action is."""

    next = HiddenField()


class RoleForm(ActionForm):
    role = SelectField("Role", choices=[(r.value, r.value.title()) for r in Role],
                       validators=[InputRequired(), AnyOf([r.value for r in Role])])


class SwitchForm(ActionForm):
    """Turn something on ("1") or off ("0"): activate/deactivate, resume/pause."""

    value = HiddenField(validators=[InputRequired(), AnyOf(["1", "0"])])


class CategoryForm(Form):
    name = StringField("Name", [InputRequired("Enter a name."), Length(max=200)])


class ProductFilterForm(FilterForm):
    q = StringField("Name", validators=[Optional(), Length(max=200)])
    category = SelectField("Category", choices=[ANY], default="", validators=[Optional()])


class ProductForm(Form):
    name = StringField("Name", [InputRequired("Enter a name."), Length(max=300)])
    description = TextAreaField("Description", [Optional(), Length(max=20_000)])
    category_id = SelectField("Main category", coerce=int, choices=[], validate_choice=False,
                              validators=[InputRequired("Choose a category.")])


class ProductPhotoForm(ActionForm):
    photo = FileField(_l("Photo (JPEG, PNG, WebP or GIF)"))  # checked by the service: Pillow decides


class AssignSupplierForm(ActionForm):
    email = StringField("Supplier's e-mail", [InputRequired("Enter the account's e-mail."), Length(max=254)])


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def at_least_one(_form, field) -> None:
    if not field.data:
        raise StopValidation(_l("Choose at least one event."))


class WebhookForm(Form):
    url = StringField("URL", [InputRequired("Enter the receiver's URL."), Length(max=1000)],
                      render_kw={"placeholder": "https://erp.example.com/hooks/storefront", "inputmode": "url"})
    # At least one overall, checked on the server: InputRequired would mark every checkbox `required`, and a
    # browser would then insist on all of them.
    events = MultiCheckboxField("Events", choices=list(EVENTS.items()), validators=[at_least_one])
    secret = StringField("Secret (leave empty to generate one)", [Optional(), Length(max=200)])


class AuditFilterForm(FilterForm):
    action = SelectField("Action", choices=[ANY], default="", validators=[Optional()])
    target_type = SelectField("What", default="", validators=[Optional()], choices=[
        ANY, ("order", "Orders"), ("user", "Users"), ("category", "Categories"), ("product", "Products"),
        ("shop", "Shops"), ("webhook", "Webhooks"), ("import", "Imports"), ("job", "Jobs"),
    ])
    target_id = IntegerField("Id", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    actor = StringField("Who (e-mail or name)", validators=[Optional(), Length(max=200)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
