"""Back-office forms: filters (GET, no CSRF) and actions (POST, CSRF). They parse; the features' services decide."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from storefront.accounts.models import Role
from storefront.forms import Form
from storefront.orders.labels import STATUS_LABELS
from storefront.orders.models import OrderStatus
from storefront.orders.reports import SORTS
from storefront.webhooks.services import EVENTS

ANY = ("", _l("Any"))
ROLE_LABELS = {"shopper": _l("Shopper"), "supplier": _l("Supplier"), "staff": _l("Staff")}
STATUS_VALUES = [s.value for s in OrderStatus]


class FilterForm(Form):
    """A GET form: filters live in the URL (shareable, back/forward work), so no CSRF token."""

    class Meta:
        csrf = False

    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=1_000_000)])


class OrderFilterForm(FilterForm):
    status = SelectField(_l("Status"), choices=[ANY, *((s.value, STATUS_LABELS[s]) for s in OrderStatus)], default="",
                         validators=[Optional()])
    shopper = IntegerField(_l("Shopper id"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    shop = SelectField(_l("Supplier"), choices=[ANY], default="", validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    q = StringField(_l("Order number or e-mail"), validators=[Optional(), Length(max=200)])
    sort = SelectField(_l("Sort"), default="-created", validators=[Optional()], choices=[
        ("-created", _l("Newest first")), ("created", _l("Oldest first")), ("-total", _l("Largest total")),
        ("total", _l("Smallest total")), ("status", _l("Status")), ("-id", _l("Number ↓")), ("id", _l("Number ↑")),
    ])

    def validate_sort(self, field) -> None:
        if field.data and field.data not in SORTS:
            field.data = "-created"


class StatusForm(Form):
    status = SelectField(_l("New status"), choices=[], validators=[InputRequired(_l("Choose the new status."))])
    note = TextAreaField(_l("Note for the shopper (optional)"), [Optional(), Length(max=500)])
    # The status the clerk saw: the service refuses if the order moved meanwhile.
    expected = HiddenField(validators=[InputRequired(), AnyOf(STATUS_VALUES)])


class UserFilterForm(FilterForm):
    q = StringField(_l("E-mail or name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[ANY, *((r.value, ROLE_LABELS[r.value]) for r in Role)], default="",
                       validators=[Optional()])
    verified = SelectField(_l("Verified"), choices=[ANY, ("yes", _l("Verified")), ("no", _l("Not verified"))], default="",
                           validators=[Optional()])
    active = SelectField(_l("State"), choices=[ANY, ("yes", _l("Active")), ("no", _l("Deactivated"))], default="",
                         validators=[Optional()])


class ActionForm(Form):
    """Only the CSRF token (and where to go back to): the button says what the action is."""

    next = HiddenField()


class RoleForm(ActionForm):
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r.value]) for r in Role],
                       validators=[InputRequired(), AnyOf([r.value for r in Role])])


class SwitchForm(ActionForm):
    """Turn something on ("1") or off ("0"): activate/deactivate, resume/pause."""

    value = HiddenField(validators=[InputRequired(), AnyOf(["1", "0"])])


class CategoryForm(Form):
    name = StringField(_l("Name"), [InputRequired(_l("Enter a name.")), Length(max=200)])


class ProductFilterForm(FilterForm):
    q = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), choices=[ANY], default="", validators=[Optional()])


class ProductForm(Form):
    name = StringField(_l("Name"), [InputRequired(_l("Enter a name.")), Length(max=300)])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=20_000)])
    category_id = SelectField(_l("Main category"), coerce=int, choices=[], validate_choice=False,
                              validators=[InputRequired(_l("Choose a category."))])


class AssignSupplierForm(ActionForm):
    email = StringField(_l("Supplier's e-mail"), [InputRequired(_l("Enter the account's e-mail.")), Length(max=254)])


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WebhookForm(Form):
    url = StringField(_l("URL"), [InputRequired(_l("Enter the receiver's URL.")), Length(max=1000)],
                      render_kw={"placeholder": "https://erp.example.com/hooks/storefront", "inputmode": "url"})
    events = MultiCheckboxField(_l("Events"), choices=list(EVENTS.items()),
                                validators=[InputRequired(_l("Choose at least one event."))])
    secret = StringField(_l("Secret (leave empty to generate one)"), [Optional(), Length(max=200)])


class AuditFilterForm(FilterForm):
    action = SelectField(_l("Action"), choices=[ANY], default="", validators=[Optional()])
    target_type = SelectField(_l("What"), default="", validators=[Optional()], choices=[
        ANY, ("order", _l("Orders")), ("user", _l("Users")), ("category", _l("Categories")), ("product", _l("Products")),
        ("shop", _l("Shops")), ("webhook", _l("Webhooks")), ("import", _l("Imports")), ("job", _l("Jobs")),
    ])
    target_id = IntegerField(_l("Id"), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    actor = StringField(_l("Who (e-mail or name)"), validators=[Optional(), Length(max=200)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
