"""Who may see or do what, written once: services call these with the actor; pages and the API only say who it is.

Core level: it knows users, roles and the ids on objects (`order.user_id`, `part.shop_id`), never a request,
so every door — page, API resource, socket, job — gets the same answer from the same rule. Refusals are
domain errors, which pages show as their usual message and the API as 4xx JSON.

The rules:
- staff: the staff role on an account that is still active (a disabled clerk keeps no powers);
- verified: placing orders, price-list imports, exports, order-part actions and the shop's order acceptance need
  a confirmed e-mail address. Log-in itself stays open to unverified accounts (they must reach the "confirm
  your e-mail" page and the API's resend call); the actions answer 403 `email_unverified`;
- a supplier owns the shop its account is linked to, and sees of an order only that shop's parts, lines and
  events — never the other suppliers' nor the whole order's totals;
- a shopper owns their orders, contacts, cart lines and conversations; staff see every order; nobody else does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from storefront.accounts.models import Role, User
from storefront.domain_errors import Forbidden


class EmailUnverified(Forbidden):
    """The account has not confirmed its e-mail address yet (the page door sends it to the confirm notice)."""

    code = "email_unverified"


class _HasShop(Protocol):
    shop_id: int | None


class _Owned(Protocol):
    user_id: int


P = TypeVar("P", bound=_HasShop)

UNVERIFIED_MESSAGE = _l("Confirm your e-mail address first: we have sent you a link (you can ask for a new one).")


# --- who the actor is ------------------------------------------------------------------------------------------


def is_staff(user: User | None) -> bool:
    """Staff, and still active: deactivating a clerk's account ends their powers even on a live session."""
    return user is not None and user.role is Role.STAFF and bool(user.is_active)


def require_staff(user: User | None, message: str | None = None) -> None:
    """The one staff check every service uses (role and is_active); Forbidden otherwise."""
    if not is_staff(user):
        raise Forbidden(message or _("Only staff can do that."))


def is_verified(user: User | None) -> bool:
    return user is not None and bool(user.is_active) and bool(user.is_verified)


def require_verified(user: User | None, message: str = UNVERIFIED_MESSAGE) -> None:
    """Actions that need a proven address (see the module docstring): 403 `email_unverified` otherwise."""
    if not is_verified(user):
        raise EmailUnverified(message)


# --- suppliers and their shop --------------------------------------------------------------------------------


def supplier_shop_id(user: User | None) -> int | None:
    """The shop a supplier account works for, or None (not a supplier, or not linked to a shop yet)."""
    if user is None or user.role is not Role.SUPPLIER or not user.is_active:
        return None
    return user.shop_id


def owns_shop(user: User | None, shop_id: int | None) -> bool:
    """The supplier linked to this shop (staff manage shops through the back-office rules, not this one)."""
    own = supplier_shop_id(user)
    return own is not None and shop_id is not None and own == shop_id


def require_part_actor(user: User | None, part: _HasShop) -> None:
    """Staff move any order part; a verified supplier only its own shop's part (Forbidden / email_unverified)."""
    if is_staff(user):
        return
    if not owns_shop(user, part.shop_id):
        raise Forbidden(_("You can only change the parts of orders that your shop fulfils."))
    require_verified(user)


# --- shoppers and what is theirs -----------------------------------------------------------------------------


def owns(user: User | None, thing: _Owned) -> bool:
    """A shopper's own order, contact, cart line (anything with `user_id`)."""
    return user is not None and bool(user.is_active) and thing.user_id == user.id


def owns_conversation(user: User | None, shopper_id: int | None) -> bool:
    return user is not None and bool(user.is_active) and shopper_id == user.id


def can_view_conversation(user: User | None, shopper_id: int | None) -> bool:
    """Staff read every conversation; anyone else only their own."""
    return is_staff(user) or owns_conversation(user, shopper_id)


# --- orders ------------------------------------------------------------------------------------------------------


def sees_every_order(user: User | None) -> bool:
    return is_staff(user)


def may_filter_orders(user: User | None) -> bool:
    """Filtering and sorting the whole order table is a staff tool; everyone else gets their own list."""
    return is_staff(user)


def can_view_order(user: User | None, order) -> bool:
    """Staff every order; the shopper their own; a supplier those with a part from its shop."""
    if user is None or not user.is_active:
        return False
    if sees_every_order(user):
        return True
    if user.role is Role.SUPPLIER:
        shop_id = supplier_shop_id(user)
        return shop_id is not None and any(part.shop_id == shop_id for part in order.parts)
    return order.user_id == user.id


def sees_part_only(user: User | None) -> bool:
    """A supplier account sees of any order only its own shop's parts (it shops, if at all, as a shopper)."""
    return user is not None and user.role is Role.SUPPLIER


def visible_parts(user: User | None, order, parts: Iterable[P] | None = None) -> list[P]:
    """The parts of `order` the viewer may see: a supplier only its shop's, the shopper and staff all."""
    parts = list(order.parts if parts is None else parts)
    if not sees_part_only(user):
        return parts
    shop_id = supplier_shop_id(user)
    return [part for part in parts if shop_id is not None and part.shop_id == shop_id]


def may_download_invoice(user: User | None, order) -> bool:
    """The invoice lists every supplier's lines: its shopper and staff only."""
    return is_staff(user) or (user is not None and order.user_id == user.id)
