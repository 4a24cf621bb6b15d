"""Guest orders after checkout: the signed link to the order page, and adopting them into an account.

The link in a guest's confirmation e-mail is an itsdangerous token of (order id, e-mail), expiring after
GUEST_ORDER_LINK_DAYS; it opens that order only (`policy.opens_guest_order`). When an account proves it owns
the address (its e-mail is verified), the guest orders placed with it become that account's orders.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from storefront import policy
from storefront.accounts.models import User
from storefront.audit.services import record
from storefront.domain_errors import NotFound
from storefront.extensions import db
from storefront.orders.models import Order

SALT = "storefront.orders.guest-order"


class GuestLinkInvalid(NotFound):
    code = "order_not_found"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def guest_token(order: Order) -> str:
    return _serializer().dumps({"o": order.id, "e": order.guest_email})


def order_for_token(token: str) -> Order:
    """The guest order a genuine, unexpired link names; 404 otherwise (expired links say so)."""
    max_age = int(current_app.config["GUEST_ORDER_LINK_DAYS"]) * 86400
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise GuestLinkInvalid(_("This link to your order has expired. Your order is still on its way: "
                                 "contact support with its number."), code="token_expired") from None
    except BadSignature:
        raise GuestLinkInvalid(_("This link to an order is not valid.")) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("o"), int):
        raise GuestLinkInvalid(_("This link to an order is not valid."))
    order = db.session.get(Order, payload["o"])
    if not policy.opens_guest_order(order, payload.get("e")):
        raise GuestLinkInvalid(_("This link to an order is not valid."))
    return order


def attach_guest_orders(user: User) -> int:
    """Make the guest orders placed with this account's (verified) address its own. Returns how many."""
    if not policy.is_verified(user):
        return 0
    ids = db.session.scalars(select(Order.id).where(Order.user_id.is_(None), Order.guest_email == user.email)).all()
    if ids:
        db.session.execute(update(Order).where(Order.id.in_(ids), Order.user_id.is_(None)).values(user_id=user.id)
                           .execution_options(synchronize_session=False))
        record(user, "order.guest_orders_attached", "user", user.id, {"orders": list(ids)})
    return len(ids)
