"""Checkout: the review of the cart, and atomic, idempotent order placement serialised per cart.

It never touches the request: it raises domain errors, flushes, and leaves the commit to the caller. The
e-mails and the invoice are queued through the outbox, so they go out only after that commit and survive a
Redis outage; the link in the shopper's e-mail comes from the caller (`order_link`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storefront import policy
from storefront.accounts.models import User
from storefront.accounts.services import get_contact, normalise_email
from storefront.cart import reservations
from storefront.cart.models import CartItem
from storefront.cart.services import (
    CartSummary,
    Owner,
    cart_count,
    check_quantity,
    delivery_fee,
    get_cart,
    unavailable_reason,
)
from storefront.catalog.models import Offer, Product
from storefront.catalog.stock import stock_changed
from storefront.domain_errors import Conflict, DomainError
from storefront.extensions import db
from storefront.jobs import enqueue_durable
from storefront.orders.locks import lock_cart, lock_guest_cart
from storefront.orders.models import Order, OrderEvent, OrderItem, OrderPart, OrderStatus
from storefront.orders.status import OrderLink, no_link, webhook_data
from storefront.orders.stock import warn_low_stock
from storefront.payments.providers import PaymentProvider, offered
from storefront.realtime import events as live
from storefront.webhooks import services as webhooks

MAX_KEY = 64
MAX_GUEST_LINES = 200


@dataclass(frozen=True)
class GuestBuyer:
    """Who a guest order is for: no account, just where to deliver and where to write."""

    email: str
    name: str
    phone: str
    address: str


class InvalidGuest(DomainError):
    code = "invalid_guest"


class EmptyCart(Conflict):
    """Nothing to check out — also what a checkout that lost the race to another one of the same cart sees."""

    code = "empty_cart"


class CheckoutInProgress(Conflict):
    """The cart changed under this checkout (another checkout of it got there first): nothing was written."""

    code = "checkout_in_progress"


class InvalidIdempotencyKey(DomainError):
    code = "invalid_idempotency_key"


class OutOfStock(Conflict):
    """Some lines want more than is in stock; `items` says which (offer_id, name, available, requested)."""

    code = "out_of_stock"

    def __init__(self, message: str, *, items: list[dict], **kwargs):
        super().__init__(message, **kwargs)
        self.items = items
        # The API's error body: which offers are short, by how much (names are in the message).
        self.errors = {"items": [{key: item[key] for key in ("offer_id", "available", "requested")} for item in items]}


class OffersUnavailable(Conflict):
    code = "offer_unavailable"

    def __init__(self, message: str, *, offer_ids: list[int], **kwargs):
        super().__init__(message, **kwargs)
        self.offer_ids = offer_ids


class PriceChanged(Conflict):
    """The total the shopper saw is not the total now: show the new one and ask again."""

    code = "price_changed"

    def __init__(self, message: str, *, expected: Decimal | None, actual: Decimal, **kwargs):
        super().__init__(message, **kwargs)
        self.expected = expected
        self.actual = actual


@dataclass
class CheckoutReview:
    """The cart re-read from the database, with what changed since the shopper last saw it."""

    cart: CartSummary
    changed_prices: dict[int, Decimal] = field(default_factory=dict)  # offer id → the price the shopper saw
    held_until: object = None  # when the cart's held units go back on sale (None: nothing held)

    @property
    def problems(self) -> list[str]:
        return self.cart.problems

    @property
    def can_place(self) -> bool:
        return not self.cart.is_empty and not self.problems


def open_checkout(owner: Owner) -> reservations.Hold:
    """Open the checkout: hold the cart's units for RESERVATION_MINUTES, under the cart's checkout lock.

    Accounts need a verified e-mail, as for placing the order (an unproven account must not lock up stock).
    """
    if isinstance(owner, User):
        policy.require_verified(owner)
        lock_cart(owner)
    else:
        lock_guest_cart(owner)
    return reservations.hold_cart(owner)


def review_checkout(user: Owner, seen_prices: dict[int, Decimal] | None = None, *,
                    hold: bool = False) -> CheckoutReview:
    """The cart with current prices and stock; `seen_prices` (offer id → price shown before) marks changes.

    `hold` (opening the checkout): hold the cart's units for RESERVATION_MINUTES first, so others see them gone.
    """
    if hold:
        open_checkout(user)
    cart = get_cart(user)
    changed = {}
    for line in cart.lines:
        seen = (seen_prices or {}).get(line.offer_id)
        if seen is not None and seen != line.price:
            changed[line.offer_id] = seen
    return CheckoutReview(cart, changed, reservations.held_until(user))


def _parse_total(value: object) -> Decimal | None:
    try:
        total = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return total if total.is_finite() else None  # NaN never equals anything, and sNaN raises on compare


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key.strip()) > MAX_KEY or not key.strip().isprintable():
        raise InvalidIdempotencyKey(
            _("An idempotency key of 1 to %(max)s printable characters is required.", max=MAX_KEY),
            field="idempotency_key",
        )
    return key.strip()


def _existing_order(user: User, key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.user_id == user.id, Order.idempotency_key == key))


def _existing_guest_order(email: str, key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.guest_email == email, Order.idempotency_key == key))


def _cart_items(owner: Owner) -> list[CartItem]:
    return list(
        db.session.scalars(
            select(CartItem)
            .options(
                joinedload(CartItem.offer).joinedload(Offer.shop),
                joinedload(CartItem.offer).joinedload(Offer.product).joinedload(Product.category),
            )
            .where(CartItem.user_id == owner.id if isinstance(owner, User) else CartItem.session_key == owner)
            .order_by(CartItem.id)
            .execution_options(populate_existing=True)  # prices and stock as they are now, not as first loaded
        ).unique()
    )


@dataclass
class _Line:
    offer: Offer
    quantity: int
    cart_item: CartItem | None = None


def place_order(user: User, contact_id: int, idempotency_key: str, expected_total: object = None, *,
                payment_method: str | None = None, order_link: OrderLink = no_link) -> Order:
    """Turn the user's cart into an order in one transaction; the same key always gives back the same order.

    Checkouts of one cart run one at a time (`lock_cart`), so two of them with different keys cannot both
    order the same lines: the second reads the cart the first emptied (409 `empty_cart`). Stock is decremented
    with a conditional UPDATE in the same transaction as the order rows, so concurrent checkouts of different
    carts never sell more than there is; units the checkout held (`cart.reservations`) become the order's.
    `expected_total` is the total the shopper confirmed: when prices moved since, nothing is written and
    PriceChanged says so. `payment_method` is one of PAYMENT_METHODS (None: the first).
    """
    policy.require_verified(user)
    key = _check_key(idempotency_key)
    method = offered(payment_method)
    lock_cart(user)  # before anything is read: what follows sees the cart as the previous checkout left it
    existing = _existing_order(user, key)
    if existing is not None:
        return existing  # a double click, a resubmitted form or a retried API call
    contact = get_contact(user, contact_id)
    items = _cart_items(user)
    buyer = {"user_id": user.id, "contact_id": contact.id, "delivery_recipient": contact.recipient or user.name,
             "delivery_address": contact.one_line(), "delivery_phone": contact.phone}
    return _place(user, user, buyer, [_Line(i.offer, i.quantity, i) for i in items], key, expected_total, method,
                  order_link, lambda: _existing_order(user, key))


def clean_guest(email: object, name: object, phone: object, address: object) -> GuestBuyer:
    """A guest's details, checked as an account's would be (InvalidGuest names the field)."""
    email = normalise_email(str(email or ""))  # InvalidEmail (400, field "email") as on the register page
    values = {}
    missing = {"name": _("Enter your name."), "phone": _("Enter a phone number."),
               "address": _("Enter the delivery address.")}
    for field_name, value, limit in (("name", name, 120), ("phone", phone, 32), ("address", address, 500)):
        text = " ".join(str(value or "").split())
        if not text:
            raise InvalidGuest(missing[field_name], field=field_name)
        if len(text) > limit or not text.isprintable():
            raise InvalidGuest(_("At most %(limit)d characters, please.", limit=limit), field=field_name)
        values[field_name] = text
    return GuestBuyer(email, values["name"], values["phone"], values["address"])


def place_guest_order(guest: GuestBuyer, idempotency_key: str, expected_total: object = None, *,
                      session_key: str | None = None, lines: list[dict] | None = None,
                      payment_method: str | None = None, order_link: OrderLink = no_link) -> Order:
    """A guest's order: the same placement as an account's, from the guest's cart (`session_key`, pages) or
    from the lines sent (`lines` of {offer_id, quantity}, the API). The key is scoped to the guest's e-mail.
    """
    policy.require_guest_checkout(guest)
    key = _check_key(idempotency_key)
    method = offered(payment_method)
    if session_key:
        lock_guest_cart(session_key)
    else:
        lock_guest_cart(guest.email)  # serialises one address's API retries, as the cart lock does
    existing = _existing_guest_order(guest.email, key)
    if existing is not None:
        return existing
    if session_key:
        wanted = [_Line(i.offer, i.quantity, i) for i in _cart_items(session_key)]
    else:
        wanted = _guest_lines(lines or [])
    buyer = {"user_id": None, "guest_email": guest.email, "guest_name": guest.name, "contact_id": None,
             "delivery_recipient": guest.name, "delivery_address": guest.address, "delivery_phone": guest.phone}
    return _place(session_key, None, buyer, wanted, key, expected_total, method, order_link,
                  lambda: _existing_guest_order(guest.email, key))


def _guest_lines(lines: list[dict]) -> list[_Line]:
    if len(lines) > MAX_GUEST_LINES:
        raise InvalidGuest(_("At most %(limit)d lines per order.", limit=MAX_GUEST_LINES), field="lines")
    quantities: dict[int, int] = {}
    for line in lines:
        quantities[int(line["offer_id"])] = quantities.get(int(line["offer_id"]), 0) + check_quantity(line["quantity"])
    offers = {offer.id: offer for offer in db.session.scalars(
        select(Offer).options(joinedload(Offer.shop), joinedload(Offer.product).joinedload(Product.category))
        .where(Offer.id.in_(list(quantities))).execution_options(populate_existing=True)).unique()}
    missing = [offer_id for offer_id in quantities if offer_id not in offers]
    if missing:
        raise OffersUnavailable(_("Some of these offers do not exist."), offer_ids=missing, status=404,
                                code="offer_not_found")
    return [_Line(offers[offer_id], quantity) for offer_id, quantity in quantities.items()]


def _place(owner: Owner | None, actor: User | None, buyer: dict, lines: list[_Line], key: str,
           expected_total: object, method: PaymentProvider, order_link: OrderLink, existing) -> Order:
    if not lines:
        raise EmptyCart(_("Your cart is empty: add some goods before checking out."))
    _check_sellable([line.offer for line in lines])
    mine = reservations.held(owner)
    short = [line.offer for line in lines if line.quantity > line.offer.quantity + mine.get(line.offer.id, 0)]
    if short and reservations.release_expired([offer.id for offer in short]):
        for offer in short:  # expired holds of others went back: read the stock again
            db.session.refresh(offer, ["quantity"])
    _check_stock([(line.offer, line.quantity, mine.get(line.offer.id, 0)) for line in lines])

    by_shop: dict[int, list[_Line]] = {}
    for line in lines:
        by_shop.setdefault(line.offer.shop_id, []).append(line)
    items_total = sum((line.offer.price * line.quantity for line in lines), Decimal("0.00"))
    fees = {shop_id: delivery_fee(sum((i.offer.price * i.quantity for i in group), Decimal("0.00")))
            for shop_id, group in by_shop.items()}
    total = items_total + sum(fees.values(), Decimal("0.00"))
    if expected_total is not None and _parse_total(expected_total) != total:
        raise PriceChanged(
            _("Prices have changed since you reviewed your order. Please check the new total and confirm again."),
            expected=_parse_total(expected_total), actual=total,
        )

    try:
        with db.session.begin_nested():  # a shortage, a duplicate key or a lost race undoes every row below
            order = _write_order(owner, actor, buyer, key, by_shop, fees, items_total, total, lines, method)
    except IntegrityError:
        # The same key was used by a concurrent request that committed first: that order is the answer.
        found = existing()
        if found is None:
            raise
        return found
    _after_placement(order, order_link)
    return order


def _check_sellable(offers: list[Offer]) -> None:
    reasons = [(offer, unavailable_reason(offer)) for offer in offers]
    blocked = [(offer, reason) for offer, reason in reasons if reason]
    if blocked:
        raise OffersUnavailable(
            " ".join(reason for _offer, reason in blocked) + " " + _("Remove it from your cart to continue."),
            offer_ids=[offer.id for offer, _reason in blocked],
        )


def _check_stock(wanted: list[tuple[Offer, int, int]]) -> None:
    """(offer, wanted, units this cart holds): short when the stock plus the cart's own hold is not enough."""
    short = [
        {"offer_id": offer.id, "name": offer.product.name, "available": offer.quantity + own, "requested": quantity}
        for offer, quantity, own in wanted
        if quantity > offer.quantity + own
    ]
    if short:
        raise OutOfStock(_shortage_message(short), items=short)


def _shortage_message(short: list[dict]) -> str:
    parts = [_("“%(product)s”: %(left)s left, you asked for %(wanted)s", product=s["name"], left=s["available"],
               wanted=s["requested"]) for s in short]
    return _("Not enough stock — %(lines)s.", lines="; ".join(parts))


def _write_order(owner: Owner | None, actor: User | None, buyer: dict, key: str, by_shop, fees, items_total,
                 total, lines: list[_Line], method: PaymentProvider) -> Order:
    order = Order(
        status=OrderStatus.NEW, items_total=items_total, delivery_total=sum(fees.values(), Decimal("0.00")),
        total=total, idempotency_key=key, payment_method=method.code, **buyer,
    )
    db.session.add(order)
    db.session.flush()  # the unique (buyer, key) index answers a concurrent duplicate here, before stock moves
    # Offers are locked (by their UPDATE) in id order: two carts sharing offers then wait for each other
    # instead of deadlocking, whatever order their lines were added in.
    for line in sorted(lines, key=lambda line: line.offer.id):
        held = reservations.claim(owner, line.offer.id) if owner else 0
        if held >= line.quantity:
            reservations.give_back(line.offer.id, held - line.quantity)  # the cart shrank since it was held
        else:
            _take_stock(line.offer, line.quantity - held)
    for shop_id, group in by_shop.items():
        shop = group[0].offer.shop
        subtotal = sum((i.offer.price * i.quantity for i in group), Decimal("0.00"))
        part = OrderPart(order=order, shop_id=shop_id, shop_name=shop.name, status=OrderStatus.NEW,
                         subtotal=subtotal, delivery_fee=fees[shop_id])
        db.session.add(part)
        db.session.flush()
        for item in group:
            offer = item.offer
            db.session.add(OrderItem(
                order=order, part_id=part.id, offer_id=offer.id, shop_id=shop_id, product_name=offer.product.name,
                model=offer.model, price=offer.price, quantity=item.quantity,
            ))
    db.session.add(OrderEvent(order=order, from_status=None, to_status=OrderStatus.NEW.value,
                              actor_id=actor.id if actor else None,
                              note="Order placed." if actor else "Order placed as a guest."))
    cart_items = [line.cart_item for line in lines if line.cart_item is not None]
    if cart_items:
        _take_cart_lines(owner, cart_items)
    db.session.flush()
    return order


def _take_cart_lines(owner: Owner, lines: list[CartItem]) -> None:
    """Delete exactly the lines that were ordered — every one of them, or the order is not written.

    Fewer rows than read means another transaction removed them after we read them (a checkout that bypassed
    the lock, a "remove" click): this order would sell lines that are no longer in the cart, so refuse.
    Lines added meanwhile stay in the cart for the next order.
    """
    ids = [line.id for line in lines]
    result = db.session.execute(
        delete(CartItem).where(CartItem.user_id == owner.id if isinstance(owner, User) else CartItem.session_key == owner,
                               CartItem.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):
        raise CheckoutInProgress(_("Your cart changed while this order was being placed (is another checkout of it "
                                   "running?). Nothing was ordered; check your orders and cart, then try again."))


def _take_stock(offer: Offer, quantity: int) -> None:
    """Decrement stock only if enough is left, in one statement: the database, not Python, does the check.

    When short, expired holds of the offer are put back first: an expired hold never blocks an order.
    """
    left = reservations.take_or_release(offer.id, quantity)
    if left is None:
        available = db.session.scalar(select(Offer.quantity).where(Offer.id == offer.id)) or 0
        short = [{"offer_id": offer.id, "name": offer.product.name, "available": available, "requested": quantity}]
        raise OutOfStock(_shortage_message(short), items=short)
    warn_low_stock(offer, left, quantity)


def _after_placement(order: Order, order_link: OrderLink) -> None:
    from storefront.orders import jobs

    enqueue_durable(jobs.generate_invoice, queue="default", order_id=order.id)
    enqueue_durable(jobs.mail_order_placed, queue="mail", order_id=order.id, link=order_link(order.id))
    if current_app.config.get("ADMIN_EMAILS"):
        enqueue_durable(jobs.mail_invoice_to_admins, queue="mail", order_id=order.id)
    for part in order.parts:
        enqueue_durable(jobs.mail_supplier_part, queue="mail", part_id=part.id)
    taken: dict[int, int] = {}
    for item in order.items:
        if item.offer_id is not None:
            taken[item.offer_id] = taken.get(item.offer_id, 0) - item.quantity
    stock_changed(taken)
    webhooks.emit("order.created", webhook_data(order))
    live.order_changed(order.id, order.user_id)  # the shopper's other tabs: a new row in the list
    live.cart_changed(order.user_id, cart_count(order.user))  # lines added meanwhile stay in the cart
