"""Cart rules: add, change, remove and empty lines; totals grouped by supplier; the guest cart merged at log-in.

A cart belongs to a signed-in `User` or to a guest, identified by a random session key (a `str`). Pages and the
JSON API call these same functions; they never touch the request. They flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from storefront.accounts.models import User
from storefront.cart import reservations
from storefront.cart.models import CartItem
from storefront.catalog.models import Offer, Product
from storefront.domain_errors import Conflict, DomainError, NotFound
from storefront.extensions import db
from storefront.realtime import events as live

Owner = User | str  # a signed-in user, or a guest cart's session key
MAX_QUANTITY = 9999  # per line: bounds absurd input long before any stock check


class InvalidQuantity(DomainError):
    code = "invalid_quantity"


class CartItemNotFound(NotFound):
    code = "cart_item_not_found"


class OfferUnavailable(Conflict):
    """The offer does not exist, is deactivated, is in a hidden category, or its shop is not taking orders."""

    code = "offer_unavailable"


class NotEnoughStock(Conflict):
    code = "out_of_stock"

    def __init__(self, message: str, *, offer_id: int, available: int, requested: int, **kwargs):
        super().__init__(message, field="quantity", **kwargs)
        self.offer_id = offer_id
        self.available = available
        self.requested = requested
        # The API's error shape says how many there are, as checkout's out_of_stock does.
        self.errors = {"quantity": [message],
                       "items": [{"offer_id": offer_id, "available": available, "requested": requested}]}


# --- the "can this be bought right now" rule ---------------------------------------------------------------


def unavailable_reason(offer: Offer) -> str | None:
    """Why `offer` cannot be bought now, or None when it can. The rule is `Offer.is_sellable`; this explains it."""
    if offer.is_sellable:
        return None
    name = offer.product.name
    if not offer.is_active:
        return _("“%(product)s” is no longer sold by %(shop)s.", product=name, shop=offer.shop.name)
    if not offer.shop.accepting_orders:
        return _("%(shop)s is not taking orders at the moment, so “%(product)s” cannot be bought.",
                 shop=offer.shop.name, product=name)
    return _("“%(product)s” is not on sale at the moment.", product=name)  # the product or its category is off the catalog


def _load_offer(offer_id: int) -> Offer:
    offer = db.session.scalar(
        select(Offer)
        .options(joinedload(Offer.shop), joinedload(Offer.product).joinedload(Product.category))
        .where(Offer.id == offer_id)
    )
    if offer is None:
        raise OfferUnavailable(_("This offer does not exist."), field="offer_id", status=404, code="offer_not_found")
    return offer


def check_quantity(quantity: object) -> int:
    """A whole number of units from 1 to MAX_QUANTITY, else InvalidQuantity."""
    if isinstance(quantity, bool):
        raise InvalidQuantity(_("Enter a whole number of units."), field="quantity")
    try:
        number = int(str(quantity).strip())
    except (TypeError, ValueError):
        raise InvalidQuantity(_("Enter a whole number of units."), field="quantity") from None
    if number < 1:
        raise InvalidQuantity(_("The quantity must be at least 1 (use Remove to drop a line)."), field="quantity")
    if number > MAX_QUANTITY:
        raise InvalidQuantity(_("At most %(count)s units per line.", count=MAX_QUANTITY), field="quantity")
    return number


def _available(owner: Owner, offer: Offer) -> int:
    """The units this cart may have: what is on sale plus what its checkout holds (storefront.cart.reservations)."""
    return offer.quantity + reservations.held(owner).get(offer.id, 0)


def _check_stock(offer: Offer, wanted: int, in_cart: int = 0, available: int | None = None) -> None:
    available = offer.quantity if available is None else available
    if wanted <= available:
        return
    name = offer.product.name
    more = max(available - in_cart, 0)
    if available == 0:
        message = _("“%(product)s” is out of stock.", product=name)
    elif in_cart and more:
        message = _("Only %(stock)s of “%(product)s” in stock and your cart already holds %(in_cart)s: you can add "
                    "%(more)s more.", stock=available, product=name, in_cart=in_cart, more=more)
    elif in_cart:
        message = _("Only %(stock)s of “%(product)s” in stock and your cart already holds %(in_cart)s.",
                    stock=available, product=name, in_cart=in_cart)
    else:
        message = _("Only %(stock)s of “%(product)s” in stock.", stock=available, product=name)
    raise NotEnoughStock(message, offer_id=offer.id, available=available, requested=wanted)


# --- owners ----------------------------------------------------------------------------------------------


def _owned_by(owner: Owner):
    if isinstance(owner, User):
        return CartItem.user_id == owner.id
    if not owner:
        raise ValueError("a guest cart needs a session key")
    return CartItem.session_key == owner


def _owner_values(owner: Owner) -> dict:
    return {"user_id": owner.id} if isinstance(owner, User) else {"session_key": owner}


def _get_item(owner: Owner, item_id: int) -> CartItem:
    item = db.session.scalar(select(CartItem).where(CartItem.id == item_id, _owned_by(owner)))
    if item is None:
        raise CartItemNotFound(_("This line is not in your cart."))
    return item


# --- changes ---------------------------------------------------------------------------------------------


def add_item(owner: Owner, offer_id: int, quantity: object = 1) -> CartItem:
    """Put `quantity` more units of an offer in the cart; the line never holds more than the stock."""
    quantity = check_quantity(quantity)
    offer = _load_offer(offer_id)
    reason = unavailable_reason(offer)
    if reason:
        raise OfferUnavailable(reason, field="offer_id")
    item = db.session.scalar(select(CartItem).where(_owned_by(owner), CartItem.offer_id == offer.id))
    in_cart = item.quantity if item else 0
    _check_stock(offer, in_cart + quantity, in_cart, _available(owner, offer))
    if item is None:
        item = CartItem(offer_id=offer.id, quantity=quantity, **_owner_values(owner))
        db.session.add(item)
    else:
        item.quantity = in_cart + quantity
    db.session.flush()
    _badge_changed(owner)
    return item


def set_quantity(owner: Owner, item_id: int, quantity: object) -> CartItem:
    """Change a line's quantity (1 … stock)."""
    quantity = check_quantity(quantity)
    item = _get_item(owner, item_id)
    offer = _load_offer(item.offer_id)
    _check_stock(offer, quantity, available=_available(owner, offer))
    item.quantity = quantity
    db.session.flush()
    _badge_changed(owner)
    return item


def remove_item(owner: Owner, item_id: int) -> None:
    db.session.delete(_get_item(owner, item_id))
    db.session.flush()
    _badge_changed(owner)


def empty_cart(owner: Owner) -> int:
    """Remove every line (and let go of the checkout's hold); an already empty cart is fine. Returns lines."""
    reservations.release(owner)
    result = db.session.execute(delete(CartItem).where(_owned_by(owner)).execution_options(synchronize_session=False))
    db.session.expire_all()  # loaded CartItem objects may be gone now
    _badge_changed(owner)
    return result.rowcount or 0


def fit_to_stock(owner: Owner) -> list[str]:
    """Accept what can be had: lower quantities to the stock, drop lines that cannot be bought. Returns notes."""
    notes = []
    mine = reservations.held(owner)
    for item in _items(owner):
        offer = item.offer
        reason = unavailable_reason(offer)
        available = offer.quantity + mine.get(offer.id, 0)
        if reason or available == 0:
            notes.append(reason or _("“%(product)s” is out of stock and was removed.", product=offer.product.name))
            db.session.delete(item)
        elif item.quantity > available:
            notes.append(_("“%(product)s”: quantity lowered from %(old)s to %(new)s.", product=offer.product.name,
                           old=item.quantity, new=available))
            item.quantity = available
    db.session.flush()
    if notes:
        _badge_changed(owner)
    return notes


def merge_guest_cart(session_key: str | None, user: User) -> int:
    """Move a guest's lines into `user`'s cart at log-in (quantities add up, capped by stock). Returns lines moved."""
    if not session_key:
        return 0
    moved = 0
    guest_items = db.session.scalars(select(CartItem).where(CartItem.session_key == session_key)).all()
    for guest in guest_items:
        mine = db.session.scalar(select(CartItem).where(CartItem.user_id == user.id, CartItem.offer_id == guest.offer_id))
        stock = guest.offer.quantity
        if mine is None:
            mine = CartItem(user_id=user.id, offer_id=guest.offer_id, quantity=0)
            db.session.add(mine)
        # Merging is not the shopper's input: quietly keep within the stock, but never drop a line to zero.
        mine.quantity = max(min(mine.quantity + guest.quantity, stock, MAX_QUANTITY), mine.quantity or 1)
        db.session.delete(guest)
        moved += 1
    db.session.flush()
    if moved:
        _badge_changed(user)
    return moved


# --- reading ---------------------------------------------------------------------------------------------


@dataclass
class CartLine:
    item_id: int
    offer_id: int
    product_id: int
    product_name: str
    model: str
    price: Decimal
    quantity: int
    available: int
    problem: str | None = None  # why this line cannot be checked out as it is
    photo: str | None = None  # the product's picture (a media asset hash)

    @property
    def line_total(self) -> Decimal:
        return self.price * self.quantity


@dataclass
class CartGroup:
    """One supplier's lines, with its subtotal and delivery fee."""

    shop_id: int
    shop_name: str
    lines: list[CartLine] = field(default_factory=list)
    delivery_fee: Decimal = Decimal("0.00")

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.delivery_fee


@dataclass
class CartSummary:
    groups: list[CartGroup]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def items_total(self) -> Decimal:
        return sum((group.subtotal for group in self.groups), Decimal("0.00"))

    @property
    def delivery_total(self) -> Decimal:
        return sum((group.delivery_fee for group in self.groups), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.items_total + self.delivery_total

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self.lines if line.problem]


def delivery_fee(subtotal: Decimal) -> Decimal:
    """One supplier's delivery fee: flat, free from the configured subtotal."""
    config = current_app.config
    if subtotal >= Decimal(config["CART_FREE_DELIVERY_FROM"]):
        return Decimal("0.00")
    return Decimal(config["CART_DELIVERY_FEE"]).quantize(Decimal("0.01"))


def _items(owner: Owner) -> list[CartItem]:
    return list(
        db.session.scalars(
            select(CartItem)
            .options(
                joinedload(CartItem.offer).joinedload(Offer.shop),
                joinedload(CartItem.offer).joinedload(Offer.product).joinedload(Product.category),
            )
            .where(_owned_by(owner))
            .order_by(CartItem.id)
            .execution_options(populate_existing=True)  # prices and stock as they are now, never a stale copy
        )
    )


def line_problem(offer: Offer, quantity: int, available: int | None = None) -> str | None:
    """Why this line cannot be ordered as it is; `available` counts the cart's own hold (default: the stock)."""
    reason = unavailable_reason(offer)
    if reason:
        return reason
    available = offer.quantity if available is None else available
    if quantity > available:
        if available == 0:
            return _("“%(product)s” is out of stock.", product=offer.product.name)
        return _("Only %(stock)s of “%(product)s” in stock (you asked for %(wanted)s).", stock=available,
                 product=offer.product.name, wanted=quantity)
    return None


def get_cart(owner: Owner) -> CartSummary:
    """The cart with current prices, grouped by supplier (in the order lines were added)."""
    groups: dict[int, CartGroup] = {}
    mine = reservations.held(owner)
    for item in _items(owner):
        offer = item.offer
        available = offer.quantity + mine.get(offer.id, 0)  # others' holds are already off the stock
        group = groups.setdefault(offer.shop_id, CartGroup(offer.shop_id, offer.shop.name))
        group.lines.append(
            CartLine(
                item_id=item.id, offer_id=offer.id, product_id=offer.product_id, product_name=offer.product.name,
                model=offer.model, price=offer.price, quantity=item.quantity, available=available,
                problem=line_problem(offer, item.quantity, available), photo=offer.product.photo_hash,
            )
        )
    for group in groups.values():
        group.delivery_fee = delivery_fee(group.subtotal)
    return CartSummary(list(groups.values()))


def _badge_changed(owner: Owner) -> None:
    """The owner's other tabs show the new count once this commits (a guest's on its session's own channel)."""
    if isinstance(owner, User):
        live.cart_changed(owner.id, cart_count(owner))
    elif owner:
        live.guest_cart_changed(owner, cart_count(owner))


def cart_count(owner: Owner | None) -> int:
    """Units in the cart, for the header badge (no owner yet: 0)."""
    if owner is None or owner == "":
        return 0
    return int(db.session.scalar(select(func.coalesce(func.sum(CartItem.quantity), 0)).where(_owned_by(owner))) or 0)

