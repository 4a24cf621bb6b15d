"""Orders pages: checkout, the thank-you page, order history, the order page with live status, invoices."""

from __future__ import annotations

from uuid import uuid4

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from storefront.accounts.forms import ContactForm
from storefront.accounts.services import add_contact, list_contacts
from storefront.cart.forms import first_error
from storefront.cart.services import fit_to_stock
from storefront.domain_errors import DomainError, NotFound
from storefront.extensions import db
from storefront.htmx import error_status, is_partial, render_page_or_partial
from storefront.orders import access, links, services
from storefront.orders.forms import (
    CancelForm,
    PlaceOrderForm,
    decode_prices,
    encode_prices,
)
from storefront.orders.labels import event_note, status_label
from storefront.security import verified_required

bp = Blueprint("orders", __name__, url_prefix="/orders")
bp.add_app_template_filter(status_label, "status_label")  # every page shows statuses in words, translated
bp.add_app_template_filter(event_note, "event_note")
PER_PAGE = 20


def _user():
    return current_user._get_current_object()


# --- checkout --------------------------------------------------------------------------------------------


def _checkout_page(review=None, form=None, contact_form=None, error=None, notice=None, status=200):
    user = _user()
    review = review or services.review_checkout(user)
    contacts = list_contacts(user)
    form = form or PlaceOrderForm(formdata=None)
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid4().hex
    form.expected_total.data = str(review.cart.total)
    form.seen.data = encode_prices({line.offer_id: line.price for line in review.cart.lines})
    if form.contact_id.data is None and contacts:
        wanted = request.args.get("contact", type=int)
        form.contact_id.data = wanted if any(c.id == wanted for c in contacts) else contacts[0].id
    html = render_page_or_partial(
        "orders/checkout.html", "orders/_checkout.html", review=review, contacts=contacts, form=form,
        contact_form=contact_form or ContactForm(formdata=None), error=error, notice=notice,
    )
    return html, error_status(status)


@bp.get("/checkout")
@verified_required
def checkout():
    """Show the checkout: delivery address, the lines at today's prices, totals, and the place-order button."""
    return _checkout_page()


@bp.post("/checkout")
@verified_required
def place_order():
    """Place the order from the cart (once per idempotency key)."""
    form = PlaceOrderForm()
    if not form.validate():
        return _checkout_page(form=form, error=first_error(form), status=400)
    user = _user()
    try:
        order = services.place_order(
            user, form.contact_id.data, form.idempotency_key.data, form.expected_total.data or None,
            order_link=links.order_page,
        )
    except services.PriceChanged as exc:
        db.session.rollback()
        review = services.review_checkout(user, decode_prices(form.seen.data))
        return _checkout_page(review, form, error=exc.message, status=409)
    except DomainError as exc:
        db.session.rollback()
        return _checkout_page(form=form, error=exc.message, status=exc.status)
    target = url_for("orders.show_thanks", order_id=order.id)
    if is_partial():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


@bp.post("/checkout/contact")
@verified_required
def add_checkout_contact():
    """Add a delivery address without leaving the checkout."""
    contact_form = ContactForm()
    if contact_form.validate():
        try:
            contact = add_contact(_user(), contact_form.to_data())
        except DomainError as exc:
            db.session.rollback()
            field = getattr(contact_form, exc.field or "", None)
            (field.errors if field is not None else contact_form.form_errors).append(exc.message)
        else:
            if not is_partial():
                flash(_("Delivery address added."), "success")
                return redirect(url_for("orders.checkout", contact=contact.id), code=303)
            form = PlaceOrderForm(formdata=None, contact_id=contact.id)
            return _checkout_page(form=form, notice=_("Delivery address added."))
    return _checkout_page(contact_form=contact_form, error=_("Please check the delivery address."), status=400)


@bp.post("/checkout/adjust")
@verified_required
def adjust_cart():
    """Accept the shortages: lower quantities to what is in stock and drop what cannot be bought."""
    notes = fit_to_stock(_user())
    notice = " ".join(notes) or _("Your cart already fits the stock.")
    if not is_partial():
        flash(notice, "success")
        return redirect(url_for("orders.checkout"), code=303)
    return _checkout_page(notice=notice)


# --- orders ----------------------------------------------------------------------------------------------


def _order_or_404(order_id: int):
    try:
        return services.get_order_for(_user(), order_id)
    except NotFound:
        abort(404)


@bp.get("/<id:order_id>/thanks")
@login_required
def show_thanks(order_id: int):
    """Thank the shopper and give the order number (their own order only: it shows their e-mail and total)."""
    try:
        order = access.own_order(_user(), order_id)
    except NotFound:
        abort(404)
    return render_page_or_partial("orders/thanks.html", "orders/_thanks.html", order=order)


@bp.get("/")
@login_required
def list_orders():
    """List the orders this user may see, newest first."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    result = services.list_orders(_user(), page=page, per_page=PER_PAGE)
    return render_page_or_partial(
        "orders/index.html", "orders/_list.html", orders=result.items, total=result.total, page=result.page,
        pages=result.pages,
        labels=services.STATUS_LABELS,
    )


def _status_context(order) -> dict:
    user = _user()
    return {
        "order": order, "parts": services.visible_parts(user, order), "events": services.timeline(order, user),
        "labels": services.STATUS_LABELS, "final": order.status in services.FINAL,
        "can_cancel": order.user_id == user.id and order.status == services.S.NEW, "cancel_form": CancelForm(),
    }


@bp.get("/<id:order_id>")
@login_required
def show_order(order_id: int):
    """Show one order; an HTMX request gets the live status partial, which polls itself until a final state."""
    order = _order_or_404(order_id)
    return render_page_or_partial("orders/detail.html", "orders/_status.html", **_status_context(order))


@bp.post("/<id:order_id>/cancel")
@login_required
def cancel_order(order_id: int):
    """Cancel one's own order while it is still new."""
    form = CancelForm()
    error = None
    if not form.validate():
        error = first_error(form)
    else:
        try:
            services.cancel_order(_user(), order_id, form.note.data or "", order_link=links.order_page)
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    if not is_partial():
        flash(error or _("Order #%(id)s is cancelled.", id=order_id), "error" if error else "success")
        return redirect(url_for("orders.show_order", order_id=order_id), code=303)
    order = _order_or_404(order_id)
    notice = None if error else _("Order #%(id)s is cancelled.", id=order_id)
    return render_template("orders/_status.html", error=error, notice=notice, **_status_context(order))


@bp.get("/<id:order_id>/invoice.pdf")
@login_required
def download_invoice(order_id: int):
    """Download the order's PDF invoice."""
    try:
        path = services.invoice_for(_user(), order_id)
    except NotFound:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"invoice-{order_id}.pdf")
