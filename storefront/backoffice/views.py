"""Back-office pages for staff: dashboard, orders, users, catalog, shops, failed jobs, webhooks and the audit log.

Views only parse a form, call one feature service and render: the rules live in the features (orders, accounts,
catalog, suppliers, jobs, webhooks, audit). Every URL here is staff-only (checked once, before every request),
every page is a full page for a plain request and its partial for an HTMX one, and every change is a POST form
that also works without JavaScript (flash and redirect back).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from storefront import policy
from storefront.accounts import management
from storefront.accounts.models import Role
from storefront.accounts.navigation import safe_next
from storefront.audit import services as audit
from storefront.backoffice.charts import bar_chart
from storefront.backoffice.forms import (
    ROLE_LABELS,
    STATUS_VALUES,
    ActionForm,
    AssignSupplierForm,
    AuditFilterForm,
    CategoryForm,
    OrderFilterForm,
    ProductFilterForm,
    ProductForm,
    ProductPhotoForm,
    RoleForm,
    StatusForm,
    SwitchForm,
    UserFilterForm,
    WebhookForm,
)
from storefront.cart.forms import first_error
from storefront.catalog import editing as catalog
from storefront.catalog import reports as catalog_reports
from storefront.documents import exports, legal, mail_previews
from storefront.documents import services as documents
from storefront.documents.forms import LegalDetailsForm
from storefront.domain_errors import DomainError
from storefront.extensions import db, login_manager
from storefront.htmx import error_status, is_partial, render_page_or_partial
from storefront.jobs import failures
from storefront.jobs.outbox import retry_outbox_message
from storefront.orders import reports as order_reports
from storefront.orders import services as orders
from storefront.orders.links import order_page
from storefront.orders.models import OrderStatus
from storefront.payments import services as payments
from storefront.payments.forms import PaymentForm
from storefront.suppliers import admin as shops
from storefront.templating import format_money
from storefront.unit_of_work import answer_after_commit
from storefront.webhooks import services as webhooks
from storefront.webhooks.delivery import next_attempt_at

bp = Blueprint("backoffice", __name__, url_prefix="/staff")


@bp.before_request
def staff_only():
    # One guard for the whole blueprint: no /staff URL can be added without it.
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.is_staff(current_user):  # UX: the services check the same rule again
        abort(403)
    return None


@bp.context_processor
def staff_helpers() -> dict:
    def with_args(endpoint: str, **changes) -> str:
        """A list page's URL keeping the current filters, with some changed (sort, page…); None drops one."""
        args = request.args.to_dict() if request.endpoint == endpoint else {}
        args.update({k: v for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            args.pop(key, None)
        return url_for(endpoint, **args)

    return {"with_args": with_args, "status_labels": orders.STATUS_LABELS, "OrderStatus": OrderStatus,
            "role_labels": ROLE_LABELS}


def _user():
    return current_user._get_current_object()


def _page(name: str, partial: str, status: int = 200, **context):
    """`backoffice/<name>.html`, or `_<partial>.html` for HTMX (errors go as 200: see `htmx.error_status`)."""
    html = render_page_or_partial(f"backoffice/{name}.html", f"backoffice/_{partial}.html", **context)
    return html, error_status(status)


def _act(change: Callable[[], object], done: str, back: str, render: Callable[..., object], form=None):
    """Run one service call, then answer: HTMX with the re-rendered partial, a plain form with flash + 303.

    The request's unit of work commits the change, then the partial is rendered from what was stored. On a
    refusal the change is rolled back and the same page (or partial) shows why, with the error's status.
    """
    if form is not None and not form.validate():
        return render(error=first_error(form), status=400)
    try:
        change()
    except DomainError as exc:
        db.session.rollback()
        return render(error=exc.message, status=exc.status)
    if is_partial():
        return answer_after_commit(lambda: render(notice=done))
    flash(done, "success")
    next_url = form.data.get("next") if form is not None else None
    return redirect(safe_next(next_url) or back, 303)


def _page_number(form) -> int:
    return form.page.data or 1 if not form.page.errors else 1


# ---------------------------------------------------------------------------------------------------- dashboard


@bp.get("/")
def dashboard():
    """Show today's and this week's orders and revenue, orders by status, low stock and failures."""
    figures = order_reports.order_figures(_user())
    chart = bar_chart(
        [(f"{d.day:%d}", d.revenue, ngettext("%(day)s: %(num)d order, %(revenue)s", "%(day)s: %(num)d orders, %(revenue)s",
                                             d.orders, day=d.day.strftime("%d.%m"), revenue=format_money(d.revenue)))
         for d in figures.days],
        summary=ngettext("Revenue per day over the last %(num)d day; total %(total)s.",
                         "Revenue per day over the last %(num)d days; total %(total)s.", len(figures.days),
                         total=format_money(sum((d.revenue for d in figures.days), Decimal(0)))),
    )
    rq_failed = failures.failed_rq_jobs()
    return _page(
        "dashboard", "dashboard", figures=figures, chart=chart, low_stock=catalog_reports.low_stock_offers(),
        failed_jobs=failures.failed_outbox_count() + len(rq_failed or []),
        failed_imports=shops.failed_import_count(), failed_deliveries=webhooks.failed_delivery_count(),
    )


# ------------------------------------------------------------------------------------------------------- orders


def _shop_choices() -> list[tuple[str, str]]:
    return [("", _("Any"))] + [(str(row.shop.id), row.shop.name) for row in shops.list_shops(_user())]


def _order_filters() -> tuple[OrderFilterForm, bool, order_reports.OrderFilters]:
    """The order list's filters from the query string (the list and its exports read the same ones)."""
    form = OrderFilterForm(request.args)
    form.shop.choices = _shop_choices()
    valid = form.validate()
    filters = order_reports.OrderFilters()
    if valid:
        filters = order_reports.OrderFilters(
            status=OrderStatus(form.status.data) if form.status.data else None, shopper_id=form.shopper.data,
            shop_id=int(form.shop.data) if form.shop.data else None, date_from=form.date_from.data,
            date_to=form.date_to.data, q=form.q.data or "", sort=form.sort.data or order_reports.DEFAULT_SORT,
        )
    return form, valid, filters


@bp.get("/orders")
def list_orders():
    """List every order with filters (status, shopper, supplier, dates, number or e-mail), sort and pages."""
    form, valid, filters = _order_filters()
    page = order_reports.search_orders(_user(), filters, _page_number(form))
    return _page("orders", "orders", status=200 if valid else 400, form=form, page=page, filters=filters)


def _order_context(order, form: StatusForm | None = None, error: str | None = None, notice: str | None = None):
    user = _user()
    allowed = orders.allowed_transitions(order.status)
    form = form or StatusForm(formdata=None)
    form.status.choices = [(s.value, orders.STATUS_LABELS[s]) for s in allowed]
    form.expected.data = order.status.value  # always what the page shows now
    return {"order": order, "parts": orders.visible_parts(user, order), "events": orders.timeline(order, user),
            "allowed": allowed, "form": form, "error": error, "notice": notice, **_payment_context(order)}


def _payment_context(order, form: PaymentForm | None = None, error: str | None = None, notice: str | None = None):
    return {"payment": payments.summary(order), "payments": payments.payments_of(order.id),
            "pay_form": form or PaymentForm(formdata=None), "pay_error": error, "pay_notice": notice}


@bp.post("/orders/<id:order_id>/payments")
def record_payment(order_id: int):
    """Record a payment received for the order, or a refund (the payment status follows)."""
    form = PaymentForm()

    def render(error=None, notice=None, status=200):
        order = orders.get_order_for(_user(), order_id)
        context = _order_context(order)
        context.update(_payment_context(order, None if notice else form, error, notice))
        return _page("order", "payments", status=status, **context)

    def change():
        order = orders.get_order_for(_user(), order_id)
        payments.record_payment(_user(), order, form.amount.data, kind=form.kind.data,
                                note=form.note.data or "", reference=form.reference.data or "")

    return _act(change, _("Recorded for order #%(id)d.", id=order_id),
                url_for("backoffice.show_order", order_id=order_id), render, form)


@bp.get("/orders/<id:order_id>")
def show_order(order_id: int):
    """Show an order: lines per supplier, the timeline, and the valid next statuses."""
    return _page("order", "order", **_order_context(orders.get_order_for(_user(), order_id)))


@bp.post("/orders/<id:order_id>/status")
def change_order_status(order_id: int):
    """Move the order to a valid next status (the shopper is e-mailed); refuse if it changed meanwhile."""
    form = StatusForm()
    form.status.choices = [(s.value, s.value) for s in OrderStatus]  # the service decides what is valid now

    def render(error=None, notice=None, status=200):
        order = orders.get_order_for(_user(), order_id)
        return _page("order", "order", status=status, **_order_context(order, None if notice else form, error, notice))

    def change():
        order = orders.get_order_for(_user(), order_id)
        orders.change_status(order, form.status.data, _user(), form.note.data or "", expected=form.expected.data,
                             order_link=order_page)

    label = orders.STATUS_LABELS[OrderStatus(form.status.data)] if form.status.data in STATUS_VALUES else ""
    return _act(change, _("Order #%(id)s is now %(status)s; the shopper has been e-mailed.", id=order_id,
                          status=str(label).lower()),
                url_for("backoffice.show_order", order_id=order_id), render, form)


# -------------------------------------------------------------------------------------------------------- users


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _user_filters() -> tuple[UserFilterForm, bool, dict]:
    form = UserFilterForm(request.args)
    valid = form.validate()
    filters = {}
    if valid:
        filters = {"q": form.q.data or "", "role": Role(form.role.data) if form.role.data else None,
                   "verified": _yes_no(form.verified.data), "active": _yes_no(form.active.data)}
    return form, valid, filters


@bp.get("/users")
def list_users():
    """List accounts, searchable and filtered by role, verification and state."""
    form, valid, filters = _user_filters()
    page = management.list_users(_user(), page=_page_number(form), **filters)
    return _page("users", "users", status=200 if valid else 400, form=form, page=page)


def _user_action(user_id: int, change: Callable[[], object], done: str, form, deleted: bool = False):
    def render(error=None, notice=None, status=200):
        if is_partial():
            user = None if deleted and not error else management.get_user(_user(), user_id)
            return render_template("backoffice/_user_row.html", user=user, user_id=user_id, error=error,
                                   notice=notice, roles=list(Role))
        page = management.list_users(_user())
        return render_template("backoffice/users.html", form=UserFilterForm(formdata=None), page=page,
                               error=error, notice=notice), status

    return _act(change, done, url_for("backoffice.list_users"), render, form)


@bp.post("/users/<id:user_id>/role")
def change_user_role(user_id: int):
    """Give an account another role (never your own)."""
    form = RoleForm()
    label = {"shopper": _("Shopper"), "supplier": _("Supplier"), "staff": _("Staff")}.get(form.role.data or "", "")
    # The notice names the role now held, so it can never report a change that did not happen.
    return _user_action(user_id, lambda: management.update_user(_user(), user_id, role=Role(form.role.data)),
                        _("The role is now %(role)s.", role=label), form)


@bp.post("/users/<id:user_id>/verify")
def verify_user(user_id: int):
    """Mark an account's e-mail as verified by hand."""
    return _user_action(user_id, lambda: management.update_user(_user(), user_id, is_verified=True),
                        _("The account is verified."), ActionForm())


@bp.post("/users/<id:user_id>/active")
def set_user_active(user_id: int):
    """Deactivate an account (its sessions and API tokens end at once) or reactivate it."""
    form = SwitchForm()
    active = form.value.data == "1"
    return _user_action(user_id, lambda: management.update_user(_user(), user_id, is_active=active),
                        _("The account is active again.") if active else
                        _("The account is deactivated; its sessions and tokens have ended."), form)


@bp.post("/users/<id:user_id>/delete")
def delete_user(user_id: int):
    """Delete an account that has no orders (deactivate the others)."""
    return _user_action(user_id, lambda: management.delete_user(_user(), user_id), _("The account was deleted."),
                        ActionForm(), deleted=True)


# ------------------------------------------------------------------------------------------------------ catalog


def _categories_page(error=None, notice=None, status=200, form=None):
    return _page("categories", "categories", status=status, rows=catalog_reports.all_categories(),
                 form=form or CategoryForm(formdata=None), error=error, notice=notice)


@bp.get("/categories")
def list_categories():
    """List every category (deactivated ones too) with its products, and a form to add one."""
    return _categories_page()


@bp.post("/categories")
def create_category():
    """Add a category."""
    form = CategoryForm()
    return _act(lambda: catalog.create_category(form.name.data), _("The category was added."),
                url_for("backoffice.list_categories"),
                lambda **kw: _categories_page(form=form if kw.get("error") else None, **kw), form)


@bp.post("/categories/<id:category_id>/rename")
def rename_category(category_id: int):
    """Rename a category."""
    form = CategoryForm()
    return _act(lambda: catalog.rename_category(category_id, form.name.data), _("The category was renamed."),
                url_for("backoffice.list_categories"), _categories_page, form)


@bp.post("/categories/<id:category_id>/active")
def set_category_active(category_id: int):
    """Deactivate (soft-delete) or restore a category."""
    form = SwitchForm()
    active = form.value.data == "1"
    return _act(lambda: catalog.set_category_active(category_id, active, actor=_user()),
                _("The category is back in the catalog.") if active else _("The category is deactivated."),
                url_for("backoffice.list_categories"), _categories_page, form)


@bp.post("/categories/<id:category_id>/delete")
def delete_category(category_id: int):
    """Delete an empty category for good."""
    return _act(lambda: catalog.delete_category(category_id, actor=_user()), _("The category was deleted."),
                url_for("backoffice.list_categories"), _categories_page, ActionForm())


def _category_choices(blank: bool) -> list[tuple]:
    rows = catalog_reports.all_categories()
    choices = [(str(r.category.id) if blank else r.category.id,
                r.category.name + ("" if r.category.is_active else " (deactivated)")) for r in rows]
    return ([("", _("Any"))] if blank else []) + choices


@bp.get("/products")
def list_products():
    """List every product (inactive ones too), searchable by name and filtered by category."""
    form = ProductFilterForm(request.args)
    form.category.choices = _category_choices(blank=True)
    valid = form.validate()
    page = catalog_reports.staff_products(
        form.q.data or "" if valid else "", int(form.category.data) if valid and form.category.data else None,
        _page_number(form),
    )
    return _page("products", "products", status=200 if valid else 400, form=form, page=page)


def _product_page(product_id: int, form: ProductForm | None = None, error=None, notice=None, status=200):
    product = catalog_reports.get_product(product_id)
    db.session.refresh(product)  # after a photo change, what was stored
    if form is None:
        form = ProductForm(formdata=None, obj=product)
    form.category_id.choices = _category_choices(blank=False)
    return _page("product", "product_form", status=status, product=product, form=form, error=error, notice=notice)


@bp.get("/products/<id:product_id>")
def edit_product(product_id: int):
    """Show a product's edit form."""
    return _product_page(product_id)


@bp.post("/products/<id:product_id>")
def update_product(product_id: int):
    """Change a product's name, description and main category."""
    form = ProductForm()
    form.category_id.choices = _category_choices(blank=False)
    return _act(
        lambda: catalog.update_product(product_id, name=form.name.data, description=form.description.data or "",
                                       category_id=form.category_id.data),
        _("The product was saved."), url_for("backoffice.edit_product", product_id=product_id),
        lambda **kw: _product_page(product_id, form if kw.get("error") else None, **kw), form,
    )


@bp.post("/products/<id:product_id>/active")
def set_product_active(product_id: int):
    """Take a product off sale (soft delete) or put it back."""
    form = SwitchForm()
    active = form.value.data == "1"
    return _act(lambda: catalog.set_product_active(product_id, active),
                _("The product is on sale again.") if active else _("The product is off sale."),
                url_for("backoffice.edit_product", product_id=product_id),
                lambda **kw: _product_page(product_id, **kw), form)


# -------------------------------------------------------------------------------------------------------- shops


def _shops_page(error=None, notice=None, status=200):
    return _page("shops", "shops", status=status, rows=shops.list_shops(_user()), error=error, notice=notice)


@bp.get("/shops")
def list_shops():
    """List the shops with their suppliers and order acceptance."""
    return _shops_page()


@bp.post("/shops/<id:shop_id>/accepting")
def set_shop_accepting(shop_id: int):
    """Pause or resume a shop's order acceptance."""
    form = SwitchForm()
    accepting = form.value.data == "1"
    return _act(lambda: shops.set_shop_accepting(_user(), shop_id, accepting),
                _("The shop accepts orders again.") if accepting else _("The shop is paused: its goods cannot be bought."),
                url_for("backoffice.list_shops"), _shops_page, form)


@bp.post("/shops/<id:shop_id>/supplier")
def assign_supplier(shop_id: int):
    """Link a supplier account (by e-mail) to the shop."""
    form = AssignSupplierForm()
    return _act(lambda: shops.assign_supplier(_user(), shop_id, form.email.data),
                _("The supplier is linked to the shop."), url_for("backoffice.list_shops"), _shops_page, form)


@bp.post("/shops/<id:shop_id>/supplier/<id:user_id>/remove")
def remove_supplier(shop_id: int, user_id: int):
    """Unlink a supplier account from the shop."""
    return _act(lambda: shops.unassign_supplier(_user(), shop_id, user_id), _("The supplier was unlinked."),
                url_for("backoffice.list_shops"), _shops_page, ActionForm())


# --------------------------------------------------------------------------------------------------------- jobs


def _jobs_page(error=None, notice=None, status=200):
    page = request.args.get("page", 1, type=int) or 1
    return _page("jobs", "jobs", status=status, outbox=failures.failed_outbox(max(page, 1)),
                 imports=shops.failed_imports(_user()), rq_jobs=failures.failed_rq_jobs(),
                 redis=bool(current_app.config.get("REDIS_URL")), can_retry=shops.can_retry,
                 error=error, notice=notice)


@bp.get("/jobs")
def list_jobs():
    """List failed background jobs and imports with their errors."""
    return _jobs_page()


@bp.post("/jobs/outbox/<id:outbox_id>/retry")
def retry_outbox(outbox_id: int):
    """Run a failed background job again."""
    return _act(lambda: retry_outbox_message(outbox_id), _("The job was queued again."),
                url_for("backoffice.list_jobs"), _jobs_page, ActionForm())


@bp.post("/jobs/imports/<id:import_id>/retry")
def retry_import(import_id: int):
    """Import a failed URL import's price list again."""
    return _act(lambda: shops.retry_import(_user(), import_id), _("The import was queued again."),
                url_for("backoffice.list_jobs"), _jobs_page, ActionForm())


@bp.post("/jobs/rq/<job_id>/retry")
def retry_rq(job_id: str):
    """Put a failed RQ job back on its queue."""
    return _act(lambda: failures.retry_rq_job(job_id), _("The job was queued again."),
                url_for("backoffice.list_jobs"), _jobs_page, ActionForm())


# ----------------------------------------------------------------------------------------------------- webhooks


def _webhooks_page(error=None, notice=None, status=200, form=None):
    return _page("webhooks", "webhooks", status=status, hooks=webhooks.list_webhooks(_user()),
                 form=form or WebhookForm(formdata=None), events=webhooks.EVENTS, error=error, notice=notice)


@bp.get("/webhooks")
def list_webhooks():
    """List webhook subscriptions, with a form to add one."""
    return _webhooks_page()


@bp.post("/webhooks")
def create_webhook():
    """Subscribe a URL to events (its address must be public)."""
    form = WebhookForm()
    return _act(lambda: webhooks.create_webhook(_user(), form.url.data, form.events.data, form.secret.data),
                _("The webhook was added."), url_for("backoffice.list_webhooks"),
                lambda **kw: _webhooks_page(form=form if kw.get("error") else None, **kw), form)


def _webhook_page(webhook_id: int, error=None, notice=None, status=200):
    webhook = webhooks.get_webhook(_user(), webhook_id)
    page = webhooks.list_deliveries(_user(), webhook_id, request.args.get("page", 1, type=int) or 1)
    return _page("webhook", "deliveries", status=status, webhook=webhook, page=page, next_attempt_at=next_attempt_at,
                 events=webhooks.EVENTS, error=error, notice=notice)


@bp.get("/webhooks/<id:webhook_id>")
def show_webhook(webhook_id: int):
    """Show a subscription and its delivery log with response codes."""
    return _webhook_page(webhook_id)


@bp.post("/webhooks/<id:webhook_id>/test")
def test_webhook(webhook_id: int):
    """Send a test event to the subscription's URL."""
    return _act(lambda: webhooks.send_test_event(_user(), webhook_id), _("A test event was sent."),
                url_for("backoffice.show_webhook", webhook_id=webhook_id),
                lambda **kw: _webhook_page(webhook_id, **kw), ActionForm())


@bp.post("/webhooks/<id:webhook_id>/active")
def set_webhook_active(webhook_id: int):
    """Pause or resume a subscription."""
    form = SwitchForm()
    active = form.value.data == "1"
    return _act(lambda: webhooks.set_webhook_active(_user(), webhook_id, active),
                _("The webhook is active.") if active else _("The webhook is paused."),
                url_for("backoffice.list_webhooks"), _webhooks_page, form)


@bp.post("/webhooks/<id:webhook_id>/delete")
def delete_webhook(webhook_id: int):
    """Remove a subscription and its delivery log."""
    return _act(lambda: webhooks.delete_webhook(_user(), webhook_id), _("The webhook was removed."),
                url_for("backoffice.list_webhooks"), _webhooks_page, ActionForm())


@bp.post("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver")
def redeliver(webhook_id: int, delivery_id: int):
    """Send a delivery's event again."""
    return _act(lambda: webhooks.redeliver(_user(), delivery_id, webhook_id=webhook_id), _("The event was sent again."),
                url_for("backoffice.show_webhook", webhook_id=webhook_id),
                lambda **kw: _webhook_page(webhook_id, **kw), ActionForm())


# ---------------------------------------------------------------------------------------------------- audit log


@bp.get("/audit")
def list_audit():
    """Show who changed what and when, filtered by action, subject, person and dates."""
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Any"))] + [(a, a) for a in audit.known_actions()]
    valid = form.validate()
    filters = audit.AuditFilters()
    if valid:
        filters = audit.AuditFilters(action=form.action.data or "", target_type=form.target_type.data or "",
                                     target_id=form.target_id.data, actor=form.actor.data or "",
                                     date_from=form.date_from.data, date_to=form.date_to.data)
    page = audit.list_entries(_user(), filters, _page_number(form))
    return _page("audit", "audit", status=200 if valid else 400, form=form, page=page)


@bp.post("/products/<id:product_id>/photo")
def upload_product_photo(product_id: int):
    """Upload or replace a product's photo (size and type limits; Pillow decides what is an image)."""
    form = ProductPhotoForm()
    upload = request.files.get("photo")
    limit = current_app.config["MEDIA_MAX_BYTES"]
    data = upload.stream.read(limit + 1) if upload else b""
    return _act(lambda: catalog.set_product_photo(product_id, data, actor=_user()),
                _("The photo was saved."), url_for("backoffice.edit_product", product_id=product_id),
                lambda **kw: _product_page(product_id, **kw), form)


# ------------------------------------------------------------------------------------------------------ exports


def _json_filters(values: dict) -> dict:
    """The filters as the export job gets them (JSON: enums by value, dates as ISO strings)."""
    out = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        out[key] = value.value if hasattr(value, "value") else value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _export(kind: str, fmt: str, table, filters: dict):
    if exports.needs_job(table):
        return render_template("documents/export_start.html", kind=kind, fmt=fmt, count=table.count,
                               filters=json.dumps(filters))
    return Response(exports.render(table, fmt), mimetype=exports.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{exports.file_name(table, fmt)}"'})


@bp.get("/exports/orders.csv", defaults={"fmt": "csv"})
@bp.get("/exports/orders.xlsx", defaults={"fmt": "xlsx"})
def export_orders(fmt: str):
    """The order list with its current filters and sort, as CSV or XLSX (large ones: a job)."""
    _form, valid, filters = _order_filters()
    if not valid:
        abort(400)
    values = _json_filters({name: getattr(filters, name) for name in
                            ("status", "shopper_id", "shop_id", "date_from", "date_to", "q", "sort")})
    return _export("orders", fmt, exports.orders_table(_user(), filters), values)


@bp.get("/exports/users.csv", defaults={"fmt": "csv"})
@bp.get("/exports/users.xlsx", defaults={"fmt": "xlsx"})
def export_users(fmt: str):
    """The user list with its current filters, as CSV or XLSX."""
    _form, valid, filters = _user_filters()
    if not valid:
        abort(400)
    return _export("users", fmt, exports.users_table(_user(), **filters), _json_filters(filters))


@bp.get("/exports/products.csv", defaults={"fmt": "csv"})
@bp.get("/exports/products.xlsx", defaults={"fmt": "xlsx"})
def export_products(fmt: str):
    """Every product with each shop's offer of it (price, stock), as CSV or XLSX."""
    return _export("products", fmt, exports.products_table(_user()), {})


# ----------------------------------------------------------------------------------------- packing slips, legal


@bp.get("/orders/<id:order_id>/parts/<id:part_id>/packing-slip.pdf")
def packing_slip(order_id: int, part_id: int):
    """The packing slip (накладная) of one supplier's part of the order, as PDF."""
    name, pdf = documents.packing_slip(_user(), order_id, part_id)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


def _legal_page(shop_id: int, form: LegalDetailsForm, status: int = 200, error: str | None = None):
    details = legal.get_legal_details(_user(), shop_id)
    return render_template("backoffice/shop_legal.html", details=details, form=form, error=error,
                           action=url_for("backoffice.update_shop_legal", shop_id=shop_id)), status


@bp.get("/shops/<id:shop_id>/legal")
def shop_legal(shop_id: int):
    """Show a shop's legal details for editing."""
    details = legal.get_legal_details(_user(), shop_id)
    form = LegalDetailsForm(formdata=None, obj=details)
    form.vat_rate.data = "none" if details.vat_rate is None else str(details.vat_rate)
    return _legal_page(shop_id, form)


@bp.post("/shops/<id:shop_id>/legal")
def update_shop_legal(shop_id: int):
    """Save a shop's legal details (the same checks as the supplier's own form)."""
    form = LegalDetailsForm()
    if not form.validate():
        return _legal_page(shop_id, form, 400)
    try:
        legal.update_legal_details(_user(), shop_id, form.values())
    except legal.InvalidLegalDetails as error:
        db.session.rollback()
        for name, messages in error.errors.items():
            getattr(form, name).errors = list(messages)
        return _legal_page(shop_id, form, 422, error.message)
    flash(_("The legal details are saved."), "success")
    return redirect(url_for("backoffice.shop_legal", shop_id=shop_id), 303)


# ------------------------------------------------------------------------------------------------------ e-mails

# The e-mail's own HTML, framed by the preview page: its inline styles need 'unsafe-inline', nothing else runs.
PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"


def _preview_locale() -> str | None:
    wanted = request.args.get("lang")
    return wanted if wanted in current_app.config["STOREFRONT_LOCALES"] else None


@bp.get("/emails")
def list_emails():
    """Every e-mail the shop sends, each with a preview."""
    return render_template("backoffice/emails.html", previews=mail_previews.list_previews(_user()),
                           locales=current_app.config["STOREFRONT_LOCALES"])


@bp.get("/emails/<slug>")
def show_email(slug: str):
    """One e-mail with sample data: its subject, its text part and (framed) its HTML part."""
    rendered = mail_previews.render_preview(_user(), slug, _preview_locale())
    return render_template("backoffice/email.html", rendered=rendered, lang=_preview_locale(),
                           locales=current_app.config["STOREFRONT_LOCALES"])


@bp.get("/emails/<slug>/html")
def show_email_html(slug: str):
    """The HTML part alone, as a mail client gets it (inlined styles)."""
    rendered = mail_previews.render_preview(_user(), slug, _preview_locale())
    return Response(rendered.html, mimetype="text/html",
                    headers={"Content-Security-Policy": PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"})
