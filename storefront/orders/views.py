"""Orders pages: checkout, the thank-you page, order history, the order page with live status, invoices."""

from __future__ import annotations

from functools import wraps
from uuid import uuid4

from flask import (
    Blueprint,
    abort,
    current_app,
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
from storefront.cart.guest import cart_owner
from storefront.cart.services import fit_to_stock
from storefront.domain_errors import DomainError, NotFound
from storefront.extensions import db, limiter
from storefront.htmx import error_status, is_partial, render_page_or_partial
from storefront.orders import access, links, services
from storefront.orders.forms import (
    CancelForm,
    GuestCheckoutForm,
    PlaceOrderForm,
    decode_prices,
    encode_prices,
)
from storefront.orders.guests import guest_token, order_for_token
from storefront.orders.labels import event_note, status_label
from storefront.payments.providers import method_label, payment_terms
from storefront.payments.providers import methods as payment_methods
from storefront.payments.services import status_label as payment_status_label
from storefront.payments.services import summary as payment_summary
from storefront.security import verified_required

bp = Blueprint("orders", __name__, url_prefix="/orders")
bp.add_app_template_filter(status_label, "status_label")  # every page shows statuses in words, translated
bp.add_app_template_filter(event_note, "event_note")
PER_PAGE = 20


def _guest_limit() -> str:
    return current_app.config["GUEST_CHECKOUT_RATE_LIMIT"]


def _user():
    return current_user._get_current_object()


# --- checkout ---------------------------------------------------------------------------------------------
# A signed-in shopper checks out with a saved contact; a guest (not logged in) with e-mail, name, phone and
# address. Both go through the same checkout service. "Check out" in the cart is a POST that holds the cart's
# units for RESERVATION_MINUTES (GET never changes anything), then shows this page.


def _payment_choices() -> list[tuple[str, str]]:
    return [(code, method_label(code)) for code in payment_methods()]


def _owner():
    """The checkout's cart: the user's, or this browser's guest cart (None: a guest with no cart yet)."""
    return _user() if current_user.is_authenticated else cart_owner()


def _checkout_page(review=None, form=None, contact_form=None, error=None, notice=None, status=200):
    guest = not current_user.is_authenticated
    owner = _owner()
    review = review or (services.review_checkout(owner) if owner else None)
    contacts = [] if guest else list_contacts(_user())
    form = form or (GuestCheckoutForm if guest else PlaceOrderForm)(formdata=None)
    form.payment_method.choices = _payment_choices()
    if not form.payment_method.data and form.payment_method.choices:
        form.payment_method.data = form.payment_method.choices[0][0]
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid4().hex
    if review is not None:
        form.expected_total.data = str(review.cart.total)
        form.seen.data = encode_prices({line.offer_id: line.price for line in review.cart.lines})
    if not guest and form.contact_id.data is None and contacts:
        wanted = request.args.get("contact", type=int)
        form.contact_id.data = wanted if any(c.id == wanted for c in contacts) else contacts[0].id
    html = render_page_or_partial(
        "orders/checkout.html", "orders/_checkout.html", review=review, contacts=contacts, form=form,
        contact_form=contact_form or ContactForm(formdata=None), error=error, notice=notice, guest=guest,
    )
    return html, error_status(status)


def guest_or_verified(view):
    """Guests check out as guests; a signed-in account must have confirmed its e-mail (as before)."""
    guarded = verified_required(view)

    @wraps(view)
    def wrapped(*args, **kwargs):
        return view(*args, **kwargs) if not current_user.is_authenticated else guarded(*args, **kwargs)

    return wrapped


@bp.get("/checkout")
@guest_or_verified
def checkout():
    """Show the checkout: delivery address (or a guest's details), the lines at today's prices, totals, payment."""
    return _checkout_page()


@bp.post("/checkout/hold")
@guest_or_verified
@limiter.limit(_guest_limit, exempt_when=lambda: current_user.is_authenticated)
def hold_cart():
    """Open the checkout: hold the cart's units for RESERVATION_MINUTES, then show the checkout."""
    owner = _owner()
    review = services.review_checkout(owner, hold=True) if owner else None
    if not is_partial():
        return redirect(url_for("orders.checkout"), code=303)
    return _checkout_page(review)


@bp.post("/checkout")
@guest_or_verified
@limiter.limit(_guest_limit, exempt_when=lambda: current_user.is_authenticated)
def place_order():
    """Place the order from the cart (once per idempotency key)."""
    guest = not current_user.is_authenticated
    form = GuestCheckoutForm() if guest else PlaceOrderForm()
    form.payment_method.choices = _payment_choices()
    if not form.validate():
        return _checkout_page(form=form, error=first_error(form), status=400)
    owner = _owner()
    try:
        if guest:
            buyer = services.clean_guest(form.email.data, form.name.data, form.phone.data, form.address.data)
            order = services.place_guest_order(
                buyer, form.idempotency_key.data, form.expected_total.data or None, session_key=owner or None,
                payment_method=form.payment_method.data or None, order_link=links.guest_order_page,
            )
        else:
            order = services.place_order(
                owner, form.contact_id.data, form.idempotency_key.data, form.expected_total.data or None,
                payment_method=form.payment_method.data or None, order_link=links.order_page,
            )
    except services.PriceChanged as exc:
        db.session.rollback()
        review = services.review_checkout(owner, decode_prices(form.seen.data)) if owner else None
        return _checkout_page(review, form, error=exc.message, status=409)
    except DomainError as exc:
        db.session.rollback()
        return _checkout_page(form=form, error=exc.message, status=exc.status)
    if guest:
        target = url_for("orders.show_guest_order", token=guest_token(order), placed=1)
    else:
        target = url_for("orders.show_thanks", order_id=order.id)
    if is_partial():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


@bp.get("/guest/<token>")
def show_guest_order(token: str):
    """A guest's order, opened by the signed link of their confirmation e-mail (no log-in)."""
    try:
        order = order_for_token(token)
    except NotFound:
        abort(404)
    return render_page_or_partial(
        "orders/guest_order.html", "orders/_guest_order.html", order=order, labels=services.STATUS_LABELS,
        placed=request.args.get("placed") == "1", payment_terms=payment_terms(order),
        payment_label=method_label(order.payment_method), payment_status=payment_status_label(order.payment_status),
    )


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
    payment = None if isinstance(order, access.SupplierOrder) else payment_summary(order)
    return render_page_or_partial("orders/detail.html", "orders/_status.html", payment=payment,
                                  **_status_context(order))


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
