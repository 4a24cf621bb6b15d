"""Cart pages: view the cart, add from the catalog, change a quantity, remove a line, empty the cart.

Every change works as a plain form (redirect back with a flash) and through HTMX (the cart partial, or a short
notice for add-to-cart, plus the header badge swapped out-of-band).
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from storefront.accounts.navigation import safe_next
from storefront.cart import services
from storefront.cart.forms import AddToCartForm, ConfirmForm, QuantityForm, first_error
from storefront.cart.guest import badge_owner, cart_owner
from storefront.domain_errors import DomainError, NotFound
from storefront.extensions import db
from storefront.htmx import is_partial, render_page_or_partial
from storefront.templating import add_shared_shell_check

bp = Blueprint("cart", __name__, url_prefix="/cart")
# A guest whose cart is known to be empty has everybody's badge ("0"): pages may be shared with them.
bp.record_once(lambda state: add_shared_shell_check(state.app, lambda: badge_owner() is None))
log = logging.getLogger(__name__)


@bp.app_context_processor
def cart_badge_context() -> dict:
    if not has_request_context():  # e-mails rendered in jobs have no cart
        return {}
    try:
        return {"cart_count": services.cart_count(badge_owner())}
    except Exception:  # the badge must never take an error page down with it
        log.exception("could not count the cart")
        return {"cart_count": 0}


def _summary() -> services.CartSummary:
    owner = cart_owner()
    return services.get_cart(owner) if owner else services.CartSummary([])


def _cart_response(notice: str | None = None, error: str | None = None, status: int = 200):
    """After a change: the cart partial plus the badge out-of-band (HTMX), or back to the cart page."""
    if is_partial():
        cart = _summary()
        html = render_template("cart/_cart.html", cart=cart, notice=notice, error=error)
        badge = render_template("cart/_badge.html", cart_count=cart.count, oob=True)
        return html + badge, status
    if error:
        flash(error, "error")
    elif notice:
        flash(notice, "success")
    return redirect(url_for("cart.show_cart"), code=303)


@bp.get("/")
def show_cart():
    """Show the cart, grouped by supplier, with delivery fees and totals."""
    return render_page_or_partial("cart/index.html", "cart/_cart.html", cart=_summary())


@bp.post("/add")
def add_item():
    """Add an offer to the cart (the catalog's add-to-cart form posts here)."""
    form = AddToCartForm()
    error = None
    notice = None
    if not form.validate():
        error = first_error(form)
    else:
        try:
            item = services.add_item(cart_owner(create=True), form.offer_id.data, form.quantity.data)
            notice = _("Added to your cart: “%(product)s” × %(quantity)s.", product=item.offer.product.name,
                       quantity=form.quantity.data)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    if is_partial():
        # The product card swaps in a short notice; the badge changes out-of-band.
        html = render_template("cart/_added.html", notice=notice, error=error)
        badge = render_template("cart/_badge.html", cart_count=services.cart_count(cart_owner()), oob=True)
        return html + badge
    flash(error or notice, "error" if error else "success")
    return redirect(safe_next(form.next.data) or url_for("cart.show_cart"), code=303)


@bp.post("/items/<id:item_id>")
def update_item(item_id: int):
    """Change the quantity of one cart line."""
    form = QuantityForm()
    if not form.validate():
        return _cart_response(error=first_error(form))
    return _apply(lambda owner: services.set_quantity(owner, item_id, form.quantity.data), _("Quantity updated."))


@bp.post("/items/<id:item_id>/remove")
def remove_item(item_id: int):
    """Remove one line from the cart."""
    ConfirmForm().validate()  # CSRF is enforced app-wide; the form carries nothing else
    return _apply(lambda owner: services.remove_item(owner, item_id), _("Removed from your cart."))


@bp.post("/empty")
def empty_cart():
    """Empty the cart (an empty cart stays empty, without complaint)."""
    owner = cart_owner()
    if owner:
        services.empty_cart(owner)
    return _cart_response(notice=_("Your cart is empty."))


def _apply(change, notice: str):
    owner = cart_owner()
    try:
        if owner is None:
            raise services.CartItemNotFound(_("This line is not in your cart."))
        change(owner)
    except NotFound as exc:
        db.session.rollback()
        if not is_partial():
            abort(404, exc.message)
        return _cart_response(error=exc.message)
    except DomainError as exc:
        db.session.rollback()
        return _cart_response(error=exc.message)
    return _cart_response(notice=notice)
