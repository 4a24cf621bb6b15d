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
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storefront import policy
from storefront.accounts.models import User
from storefront.accounts.services import get_contact
from storefront.cart.models import CartItem
from storefront.cart.services import CartSummary, cart_count, delivery_fee, get_cart, unavailable_reason
from storefront.catalog.models import Offer, Product
from storefront.domain_errors import Conflict, DomainError
from storefront.extensions import db
from storefront.jobs import enqueue_durable
from storefront.orders.locks import lock_cart
from storefront.orders.models import Order, OrderEvent, OrderItem, OrderPart, OrderStatus
from storefront.orders.status import OrderLink, no_link, webhook_data
from storefront.orders.stock import stock_changed
from storefront.realtime import events as live
from storefront.webhooks import services as webhooks

MAX_KEY = 64


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

    @property
    def problems(self) -> list[str]:
        return self.cart.problems

    @property
    def can_place(self) -> bool:
        return not self.cart.is_empty and not self.problems


def review_checkout(user: User, seen_prices: dict[int, Decimal] | None = None) -> CheckoutReview:
    """The cart with current prices and stock; `seen_prices` (offer id → price shown before) marks changes."""
    cart = get_cart(user)
    changed = {}
    for line in cart.lines:
        seen = (seen_prices or {}).get(line.offer_id)
        if seen is not None and seen != line.price:
            changed[line.offer_id] = seen
    return CheckoutReview(cart, changed)


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


def place_order(user: User, contact_id: int, idempotency_key: str, expected_total: object = None, *,
                order_link: OrderLink = no_link) -> Order:
    """Turn the user's cart into an order in one transaction; the same key always gives back the same order.

    Checkouts of one cart run one at a time (`lock_cart`), so two of them with different keys cannot both
    order the same lines: the second reads the cart the first emptied (409 `empty_cart`). Stock is decremented
    with a conditional UPDATE in the same transaction as the order rows, so concurrent checkouts of different
    carts never sell more than there is. `expected_total` is the total the shopper confirmed: when prices moved
    since, nothing is written and PriceChanged says so.
    """
    policy.require_verified(user)
    key = _check_key(idempotency_key)
    lock_cart(user)  # before anything is read: what follows sees the cart as the previous checkout left it
    existing = _existing_order(user, key)
    if existing is not None:
        return existing  # a double click, a resubmitted form or a retried API call
    contact = get_contact(user, contact_id)
    items = list(
        db.session.scalars(
            select(CartItem)
            .options(
                joinedload(CartItem.offer).joinedload(Offer.shop),
                joinedload(CartItem.offer).joinedload(Offer.product).joinedload(Product.category),
            )
            .where(CartItem.user_id == user.id)
            .order_by(CartItem.id)
            .execution_options(populate_existing=True)  # prices and stock as they are now, not as first loaded
        ).unique()
    )
    if not items:
        raise EmptyCart(_("Your cart is empty: add some goods before checking out."))
    _check_sellable(items)
    _check_stock([(item.offer, item.quantity) for item in items])

    by_shop: dict[int, list[CartItem]] = {}
    for item in items:
        by_shop.setdefault(item.offer.shop_id, []).append(item)
    items_total = sum((item.offer.price * item.quantity for item in items), Decimal("0.00"))
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
            order = _write_order(user, contact, key, by_shop, fees, items_total, total, items)
    except IntegrityError:
        # The same key was used by a concurrent request that committed first: that order is the answer.
        existing = _existing_order(user, key)
        if existing is None:
            raise
        return existing
    _after_placement(order, order_link)
    return order


def _check_sellable(items: list[CartItem]) -> None:
    reasons = [(item.offer, unavailable_reason(item.offer)) for item in items]
    blocked = [(offer, reason) for offer, reason in reasons if reason]
    if blocked:
        raise OffersUnavailable(
            " ".join(reason for _offer, reason in blocked) + " " + _("Remove it from your cart to continue."),
            offer_ids=[offer.id for offer, _reason in blocked],
        )


def _check_stock(wanted: list[tuple[Offer, int]]) -> None:
    short = [
        {"offer_id": offer.id, "name": offer.product.name, "available": offer.quantity, "requested": quantity}
        for offer, quantity in wanted
        if quantity > offer.quantity
    ]
    if short:
        raise OutOfStock(_shortage_message(short), items=short)


def _shortage_message(short: list[dict]) -> str:
    parts = [_("“%(product)s”: %(left)s left, you asked for %(wanted)s", product=s["name"], left=s["available"],
               wanted=s["requested"]) for s in short]
    return _("Not enough stock — %(lines)s.", lines="; ".join(parts))


def _write_order(user, contact, key, by_shop, fees, items_total, total, lines: list[CartItem]) -> Order:
    order = Order(
        user_id=user.id, status=OrderStatus.NEW, contact_id=contact.id,
        delivery_recipient=contact.recipient or user.name, delivery_address=contact.one_line(),
        delivery_phone=contact.phone, items_total=items_total, delivery_total=sum(fees.values(), Decimal("0.00")),
        total=total, idempotency_key=key,
    )
    db.session.add(order)
    db.session.flush()  # the unique (user, key) index answers a concurrent duplicate here, before stock moves
    # Offers are locked (by their UPDATE) in id order: two carts sharing offers then wait for each other
    # instead of deadlocking, whatever order their lines were added in.
    for item in sorted(lines, key=lambda line: line.offer_id):
        _take_stock(item.offer, item.quantity)
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
    db.session.add(OrderEvent(order=order, from_status=None, to_status=OrderStatus.NEW.value, actor_id=user.id,
                              note="Order placed."))
    _take_cart_lines(user, lines)
    db.session.flush()
    return order


def _take_cart_lines(user: User, lines: list[CartItem]) -> None:
    """Delete exactly the lines that were ordered — every one of them, or the order is not written.

    Fewer rows than read means another transaction removed them after we read them (a checkout that bypassed
    the lock, a "remove" click): this order would sell lines that are no longer in the cart, so refuse.
    Lines added meanwhile stay in the cart for the next order.
    """
    ids = [line.id for line in lines]
    result = db.session.execute(
        delete(CartItem).where(CartItem.user_id == user.id, CartItem.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):
        raise CheckoutInProgress(_("Your cart changed while this order was being placed (is another checkout of it "
                                   "running?). Nothing was ordered; check your orders and cart, then try again."))


def _take_stock(offer: Offer, quantity: int) -> None:
    """Decrement stock only if enough is left, in one statement: the database, not Python, does the check."""
    result = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.quantity >= quantity)
        .values(quantity=Offer.quantity - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        available = db.session.scalar(select(Offer.quantity).where(Offer.id == offer.id)) or 0
        short = [{"offer_id": offer.id, "name": offer.product.name, "available": available, "requested": quantity}]
        raise OutOfStock(_shortage_message(short), items=short)


def _after_placement(order: Order, order_link: OrderLink) -> None:
    from storefront.orders import jobs

    enqueue_durable(jobs.generate_invoice, queue="default", order_id=order.id)
    enqueue_durable(jobs.mail_order_placed, queue="mail", order_id=order.id, link=order_link(order.id))
    if current_app.config.get("ADMIN_EMAILS"):
        enqueue_durable(jobs.mail_invoice_to_admins, queue="mail", order_id=order.id)
    for part in order.parts:
        enqueue_durable(jobs.mail_supplier_part, queue="mail", part_id=part.id)
    stock_changed([item.offer_id for item in order.items])
    webhooks.emit("order.created", webhook_data(order))
    live.order_changed(order.id, order.user_id)  # the shopper's other tabs: a new row in the list
    live.cart_changed(order.user_id, cart_count(order.user))  # lines added meanwhile stay in the cart
