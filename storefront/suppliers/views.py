"""Supplier portal pages: dashboard, order acceptance, price-list import (file or URL) with live progress,
import history, export, and the shop's own part of each order."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from storefront.accounts.models import Role
from storefront.domain_errors import DomainError
from storefront.extensions import db
from storefront.htmx import error_status, is_partial, render_page_or_partial
from storefront.orders import links
from storefront.orders.labels import status_label
from storefront.orders.models import OrderStatus
from storefront.orders.status import STATUS_LABELS
from storefront.security import roles_required, verified_required
from storefront.suppliers import services
from storefront.suppliers.forms import (
    AcceptingForm,
    ExportForm,
    ImportForm,
    PartStatusForm,
)

bp = Blueprint("suppliers", __name__, url_prefix="/supplier")
UPLOAD_ENDPOINTS = {"suppliers.create_import"}
UPLOAD_SLACK = 64 * 1024  # multipart headers and the other fields around the file


def supplier_only(view):
    return roles_required(Role.SUPPLIER)(verified_required(view))


def _user():
    return current_user._get_current_object()


@bp.url_value_preprocessor
def allow_price_list_uploads(endpoint, _values):
    # Runs before CSRFProtect reads the form: a supplier's price list may exceed the site-wide
    # MAX_CONTENT_LENGTH, up to its own cap. Anyone else keeps the site-wide limit.
    if endpoint in UPLOAD_ENDPOINTS and current_user.is_authenticated and current_user.role == Role.SUPPLIER:
        request.max_content_length = current_app.config["SUPPLIER_MAX_PRICELIST_BYTES"] + UPLOAD_SLACK


IMPORT_STATE_LABELS = {"queued": _l("queued"), "running": _l("running"), "succeeded": _l("succeeded"),
                       "failed": _l("failed")}


@bp.app_context_processor
def supplier_labels():
    return {"part_status_labels": STATUS_LABELS, "import_state_labels": IMPORT_STATE_LABELS}


# -------------------------------------------------------------------------------------------------- dashboard


@bp.get("/")
@supplier_only
def dashboard():
    """Show the shop, its goods, the latest imports and the orders waiting for it."""
    try:
        data = services.dashboard(_user())
    except services.NoShop as error:
        return render_template("suppliers/no_shop.html", message=error.message), 404
    return render_page_or_partial("suppliers/dashboard.html", "suppliers/_dashboard.html", data=data,
                                  accepting_form=AcceptingForm(formdata=None))


@bp.post("/accepting")
@supplier_only
def toggle_accepting():
    """Switch order acceptance on or off."""
    form = AcceptingForm()
    if not form.validate():
        return _accepting_answer(services.shop_of(_user()), _("The form expired; please try again."), "error")
    shop = services.set_accepting_orders(_user(), form.accepting.data == "1")
    notice = _("Orders are accepted.") if shop.accepting_orders else _("Order acceptance is off: your goods cannot be bought.")
    return _accepting_answer(shop, notice, "success")


def _accepting_answer(shop, message: str, category: str):
    if is_partial():
        return render_template("suppliers/_accepting.html", shop=shop, form=AcceptingForm(formdata=None),
                               message=message, category=category)
    flash(message, category)
    return redirect(url_for("suppliers.dashboard"), 303)


# ---------------------------------------------------------------------------------------------------- imports


def _import_form_page(form: ImportForm, status: int = 200, error: str | None = None):
    limit = current_app.config["SUPPLIER_MAX_PRICELIST_BYTES"]
    html = render_page_or_partial("suppliers/import_new.html", "suppliers/_import_form.html", form=form,
                                  error=error, limit=limit)
    return html, error_status(status)


@bp.get("/imports/new")
@supplier_only
def new_import():
    """Show the import form: upload a YAML price list or give its URL."""
    services.shop_of(_user())
    return _import_form_page(ImportForm(formdata=None))


@bp.post("/imports")
@supplier_only
def create_import():
    """Queue an import of the uploaded file or of the given URL, then show its progress."""
    form = ImportForm()
    if not form.validate():
        return _import_form_page(form, 400)
    try:
        if form.file.data and form.file.data.filename:
            limit = current_app.config["SUPPLIER_MAX_PRICELIST_BYTES"]
            raw = form.file.data.stream.read(limit + 1)
            job = services.start_file_import(_user(), form.file.data.filename, raw)
        else:
            job = services.start_url_import(_user(), form.url.data)
    except DomainError as error:
        db.session.rollback()
        return _import_form_page(form, error.status if error.status < 500 else 400, error.message)
    target = url_for("suppliers.show_import", import_id=job.id)
    if is_partial():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, 303)


@bp.get("/imports/<id:import_id>")
@supplier_only
def show_import(import_id: int):
    """Show one import: live progress while it runs, then its counts and every problem."""
    job = services.get_import(_user(), import_id)
    return render_page_or_partial("suppliers/import.html", "suppliers/_import_status.html", job=job,
                                  finished=services.is_finished(job))


@bp.get("/imports")
@supplier_only
def list_imports():
    """List the shop's past imports, newest first."""
    page = services.list_imports(_user(), request.args.get("page", 1, type=int))
    return render_page_or_partial("suppliers/imports.html", "suppliers/_imports.html", page=page)


# ----------------------------------------------------------------------------------------------------- export


@bp.get("/export")
@supplier_only
def export_page():
    """Offer the shop's price list for download (large shops: prepared by a job)."""
    user = _user()
    return render_page_or_partial("suppliers/export.html", "suppliers/_export.html",
                                  goods=services.active_goods(user), needs_job=services.export_needs_job(user),
                                  form=ExportForm(formdata=None))


@bp.get("/export/price-list.yaml")
@supplier_only
def download_price_list():
    """Download the shop's price list now (small shops)."""
    if services.export_needs_job(_user()):
        flash(_("Your price list is large: prepare the file first, then download it."), "info")
        return redirect(url_for("suppliers.export_page"), 303)
    name, text = services.export_now(_user())
    return Response(text, mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/export")
@supplier_only
def start_export():
    """Queue an export job, then show its progress."""
    form = ExportForm()
    if not form.validate():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("suppliers.export_page"), 303)
    token = services.start_export(_user())
    return redirect(url_for("suppliers.show_export", token=token), 303)


@bp.get("/export/<token>")
@supplier_only
def show_export(token: str):
    """Show an export job: its percentage while it runs, then the download link."""
    status = services.export_status(_user(), token)
    return render_page_or_partial("suppliers/export_job.html", "suppliers/_export_job.html", token=token,
                                  state=status.state, progress=status.progress)


@bp.get("/export/<token>/file")
@supplier_only
def download_export(token: str):
    """Download a prepared export."""
    path, name = services.export_download(_user(), token)
    return send_file(path, mimetype="application/x-yaml", as_attachment=True, download_name=name)


# ----------------------------------------------------------------------------------------------------- orders


@bp.get("/orders")
@supplier_only
def list_orders():
    """List the orders that contain the shop's goods (only the shop's part of each)."""
    raw_status = request.args.get("status", "")
    status = OrderStatus(raw_status) if raw_status in {s.value for s in OrderStatus} else None
    page = services.list_order_parts(_user(), request.args.get("page", 1, type=int), status=status)
    return render_page_or_partial("suppliers/orders.html", "suppliers/_orders.html", page=page, status=status,
                                  statuses=list(OrderStatus))


def _part_page(part, form=None, error=None, notice=None, status=200):
    html = render_page_or_partial(
        "suppliers/order.html", "suppliers/_order_part.html", part=part, order=part.order,
        next_statuses=services.next_statuses(part), form=form or PartStatusForm(formdata=None),
        error=error, notice=notice,
    )
    return html, error_status(status)


@bp.get("/orders/<id:order_id>")
@supplier_only
def show_order(order_id: int):
    """Show the shop's part of an order: its lines, totals, status and the next steps."""
    return _part_page(services.get_order_part(_user(), order_id))


@bp.post("/orders/<id:order_id>/status")
@supplier_only
def change_order_status(order_id: int):
    """Move the shop's part of the order to the chosen next status."""
    form = PartStatusForm()
    if not form.validate():
        return _part_page(services.get_order_part(_user(), order_id), form, _("Choose a valid next status."), status=400)
    try:
        part = services.change_part_status(_user(), order_id, form.status.data, form.note.data or "",
                                           order_link=links.order_page)
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        return _part_page(services.get_order_part(_user(), order_id), form, error.message, status=error.status)
    notice = _("Your part of order #%(id)s is now %(status)s.", id=order_id, status=status_label(part.status).lower())
    if is_partial():
        return _part_page(services.get_order_part(_user(), order_id), notice=notice)
    flash(notice, "success")
    return redirect(url_for("suppliers.show_order", order_id=order_id), 303)
