"""Orders rules: checkout review, atomic and idempotent order placement, the status machine, who sees what.

One service for the pages, the JSON API and the back-office / supplier portal. It never touches the request;
it raises domain errors, flushes, and leaves the commit to the caller. E-mails and the invoice are queued
through the outbox, so they go out only after that commit and survive a Redis outage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.accounts.models import Role, User
from storefront.accounts.services import get_contact
from storefront.audit.services import record
from storefront.cart.models import CartItem
from storefront.cart.services import (
    CartSummary,
    delivery_fee,
    get_cart,
    unavailable_reason,
)
from storefront.catalog.cache import invalidate_catalog_after_commit
from storefront.catalog.models import Offer, Product
from storefront.catalog.summary import refresh_product_summaries
from storefront.database import utcnow
from storefront.domain_errors import Conflict, DomainError, Forbidden, NotFound
from storefront.extensions import db
from storefront.jobs import enqueue_durable
from storefront.jobs.mail import send_mail
from storefront.orders.invoices import ensure_invoice
from storefront.orders.models import (
    Order,
    OrderEvent,
    OrderItem,
    OrderPart,
    OrderStatus,
)
from storefront.pagination import Page, paginate
from storefront.webhooks import services as webhooks

log = logging.getLogger(__name__)

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.ASSEMBLED, S.CANCELLED}),
    S.ASSEMBLED: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset({S.DELIVERED, S.CANCELLED})
STATUS_LABELS = {
    S.NEW: "New", S.CONFIRMED: "Confirmed", S.ASSEMBLED: "Assembled", S.SENT: "Sent", S.DELIVERED: "Delivered",
    S.CANCELLED: "Cancelled",
}
MAX_KEY = 64


# --- errors ----------------------------------------------------------------------------------------------


class EmptyCart(DomainError):
    code = "empty_cart"


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


class InvalidTransition(Conflict):
    code = "invalid_transition"


class StaleOrder(InvalidTransition):
    """The order moved since the form was shown: refuse rather than overwrite someone else's change."""

    code = "stale_order"


class OrderNotFound(NotFound):
    code = "order_not_found"


# --- transactions ----------------------------------------------------------------------------------------


def begin_write() -> None:
    """Take the database's write lock now on SQLite (BEGIN IMMEDIATE); PostgreSQL needs nothing here.

    Python's sqlite3 opens a transaction only at the first write, so reads before it see no lock; beginning
    IMMEDIATE makes check-then-write sequences on SQLite serial. The conditional UPDATEs below carry the stock
    check themselves, so this is belt and braces, not the only guard.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def order_link(order_id: int) -> str:
    """The order page's absolute URL when one can be built (a request, or SERVER_NAME), else ""."""
    try:
        return url_for("orders.show_order", order_id=order_id, _external=True)
    except RuntimeError:
        return ""


# --- checkout --------------------------------------------------------------------------------------------


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
            f"An idempotency key of 1 to {MAX_KEY} printable characters is required.", field="idempotency_key"
        )
    return key.strip()


def _existing_order(user: User, key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.user_id == user.id, Order.idempotency_key == key))


def place_order(user: User, contact_id: int, idempotency_key: str, expected_total: object = None) -> Order:
    """Turn the user's cart into an order in one transaction; the same key always gives back the same order.

    Stock is decremented with a conditional UPDATE in the same transaction as the order rows, so concurrent
    checkouts never sell more than there is. `expected_total` is the total the shopper confirmed: when prices
    moved since, nothing is written and PriceChanged says so.
    """
    key = _check_key(idempotency_key)
    begin_write()
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
        raise EmptyCart("Your cart is empty: add some goods before checking out.")
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
            "Prices have changed since you reviewed your order. Please check the new total and confirm again.",
            expected=_parse_total(expected_total), actual=total,
        )

    try:
        with db.session.begin_nested():  # a shortage or a duplicate key undoes every row written below
            order = _write_order(user, contact, key, by_shop, fees, items_total, total)
    except IntegrityError:
        # The same key was used by a concurrent request that committed first: that order is the answer.
        existing = _existing_order(user, key)
        if existing is None:
            raise
        return existing
    _after_placement(order)
    return order


def _check_sellable(items: list[CartItem]) -> None:
    reasons = [(item.offer, unavailable_reason(item.offer)) for item in items]
    blocked = [(offer, reason) for offer, reason in reasons if reason]
    if blocked:
        raise OffersUnavailable(
            " ".join(reason for _, reason in blocked) + " Remove it from your cart to continue.",
            offer_ids=[offer.id for offer, _ in blocked],
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
    parts = [f"“{s['name']}”: {s['available']} left, you asked for {s['requested']}" for s in short]
    return "Not enough stock — " + "; ".join(parts) + "."


def _write_order(user, contact, key, by_shop, fees, items_total, total) -> Order:
    order = Order(
        user_id=user.id, status=S.NEW, contact_id=contact.id, delivery_recipient=contact.recipient or user.name,
        delivery_address=contact.one_line(), delivery_phone=contact.phone, items_total=items_total,
        delivery_total=sum(fees.values(), Decimal("0.00")), total=total, idempotency_key=key,
    )
    db.session.add(order)
    db.session.flush()  # the unique (user, key) index answers a concurrent duplicate here, before stock moves
    for shop_id, group in by_shop.items():
        shop = group[0].offer.shop
        subtotal = sum((i.offer.price * i.quantity for i in group), Decimal("0.00"))
        part = OrderPart(order=order, shop_id=shop_id, shop_name=shop.name, status=S.NEW, subtotal=subtotal,
                         delivery_fee=fees[shop_id])
        db.session.add(part)
        db.session.flush()
        for item in group:
            offer = item.offer
            _take_stock(offer, item.quantity)
            db.session.add(OrderItem(
                order=order, part_id=part.id, offer_id=offer.id, shop_id=shop_id, product_name=offer.product.name,
                model=offer.model, price=offer.price, quantity=item.quantity,
            ))
    db.session.add(OrderEvent(order=order, from_status=None, to_status=S.NEW.value, actor_id=user.id,
                              note="Order placed."))
    db.session.execute(
        delete(CartItem).where(CartItem.user_id == user.id).execution_options(synchronize_session=False)
    )
    db.session.flush()
    return order


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


def _return_stock(items: list[OrderItem]) -> None:
    for item in items:
        if item.offer_id is not None:  # the offer may have been deleted since; nothing to return it to
            db.session.execute(
                update(Offer).where(Offer.id == item.offer_id).values(quantity=Offer.quantity + item.quantity)
                .execution_options(synchronize_session=False)
            )
    _stock_changed([item.offer_id for item in items])


def _stock_changed(offer_ids: list[int | None]) -> None:
    """Stock moved by bulk UPDATEs (the ORM did not see it): refresh these products' catalog summaries now and
    their cached pages once this transaction commits."""
    ids = sorted({offer_id for offer_id in offer_ids if offer_id is not None})
    if ids:
        product_ids = db.session.scalars(select(Offer.product_id).where(Offer.id.in_(ids))).all()
        refresh_product_summaries(product_ids)
        invalidate_catalog_after_commit(product_ids=product_ids)


def _after_placement(order: Order) -> None:
    from storefront.orders import jobs

    link = order_link(order.id)
    enqueue_durable(jobs.generate_invoice, queue="default", order_id=order.id)
    enqueue_durable(jobs.mail_order_placed, queue="mail", order_id=order.id, link=link)
    if current_app.config.get("ADMIN_EMAILS"):
        enqueue_durable(jobs.mail_invoice_to_admins, queue="mail", order_id=order.id)
    for part in order.parts:
        enqueue_durable(jobs.mail_supplier_part, queue="mail", part_id=part.id)
    _stock_changed([item.offer_id for item in order.items])
    webhooks.emit("order.created", webhook_data(order))


# --- the status machine ----------------------------------------------------------------------------------


def _status(value: OrderStatus | str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        raise InvalidTransition(f"“{value}” is not an order status.", field="status") from None


def _check_transition(current: OrderStatus, to: OrderStatus, what: str) -> None:
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"{what} is {STATUS_LABELS[current].lower()} and cannot become {STATUS_LABELS[to].lower()}.",
            field="status",
        )


def _set_status(model, row_id: int, current: OrderStatus, to: OrderStatus) -> None:
    """Move a row from `current` to `to` only if nobody moved it meanwhile (two clerks, one click each)."""
    values = {"status": to}
    if model is Order:
        values["updated_at"] = utcnow()
    result = db.session.execute(
        update(model).where(model.id == row_id, model.status == current).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition("The status was changed by someone else meanwhile; reload and try again.")


def _event(order: Order, frm: OrderStatus | None, to: OrderStatus, actor: User | None, note: str,
           part: OrderPart | None = None) -> None:
    db.session.add(OrderEvent(
        order_id=order.id, part_id=part.id if part else None, from_status=frm.value if frm else None,
        to_status=to.value, actor_id=actor.id if actor else None, note=(note or "").strip()[:2000],
    ))


def _notify(order: Order, subject: str, headline: str, note: str = "") -> None:
    send_mail(
        order.user.email, subject, "orders/status_changed", durable=True, name=order.user.name,
        order_id=order.id, headline=headline, note=note, status=order.status.value,
        status_label=STATUS_LABELS[order.status], link=order_link(order.id),
    )


def change_status(order: Order, to_status: OrderStatus | str, actor: User | None, note: str = "",
                  expected: OrderStatus | str | None = None) -> Order:
    """Move the whole order one step along the machine (staff; None = the system). Parts in step follow it.

    `expected` is the status the clerk saw: if the order moved since, StaleOrder and nothing is overwritten.
    """
    if actor is not None and actor.role != Role.STAFF:
        raise Forbidden("Only staff can change an order's status.")
    return _change_order_status(order, _status(to_status), actor, note, _status(expected) if expected else None)


def _change_order_status(order: Order, to: OrderStatus, actor: User | None, note: str,
                         expected: OrderStatus | None = None) -> Order:
    begin_write()
    db.session.refresh(order)
    current = order.status
    if expected is not None and current != expected:
        raise StaleOrder(f"Order #{order.id} was changed meanwhile: it is now {STATUS_LABELS[current].lower()}. "
                         "Nothing was changed; check it and choose again.")
    _check_transition(current, to, f"Order #{order.id}")
    parts = list(order.parts)
    if to == S.CANCELLED:
        gone = [p for p in parts if p.status in (S.SENT, S.DELIVERED)]
        if gone:
            raise InvalidTransition(
                f"Order #{order.id} cannot be cancelled: the part from {gone[0].shop_name} was already sent."
            )
    _set_status(Order, order.id, current, to)
    _event(order, current, to, actor, note)
    for part in parts:
        # Parts that were in step with the order follow it; a cancelled order cancels every live part.
        follows = part.status == current or (to == S.CANCELLED and part.status != S.CANCELLED)
        if follows and part.status != to:
            _set_status(OrderPart, part.id, part.status, to)
            _event(order, part.status, to, actor, "", part)
            if to == S.CANCELLED:
                _return_stock(list(part.items))
    db.session.flush()
    db.session.refresh(order)
    for part in parts:
        db.session.refresh(part)
    _order_changed(order, current, to, actor, note)
    _notify(order, f"Order #{order.id} is {STATUS_LABELS[to].lower()}",
            f"Your order #{order.id} is now {STATUS_LABELS[to].lower()}.", note)
    return order


def webhook_data(order: Order, from_status: OrderStatus | None = None) -> dict:
    """What webhooks say about an order (no shopper contact details: receivers ask the API for those)."""
    return {
        "order_id": order.id, "status": order.status.value, "previous_status": from_status.value if from_status else None,
        "total": str(order.total), "currency": current_app.config["STOREFRONT_CURRENCY"],
        "created_at": order.created_at.isoformat(),
        "parts": [{"shop_id": p.shop_id, "shop_name": p.shop_name, "status": p.status.value} for p in order.parts],
    }


def _order_changed(order: Order, frm: OrderStatus, to: OrderStatus, actor: User | None, note: str) -> None:
    """The order's own status moved: the audit log and the webhooks hear of it, in this transaction."""
    record(actor, "order.status_changed", "order", order.id, {"from": frm.value, "to": to.value, "note": note})
    webhooks.emit("order.status_changed", webhook_data(order, frm))
    if to == S.SENT:
        webhooks.emit("order.shipped", webhook_data(order, frm))


def cancel_order(user: User, order_id: int, note: str = "") -> Order:
    """The shopper cancels their own order while it is still new; the stock goes back on sale."""
    order = _own_order(user, order_id)
    if order.status != S.NEW:
        raise InvalidTransition(
            f"Order #{order.id} is already {STATUS_LABELS[order.status].lower()}: only a new order can be "
            "cancelled here. Please contact support."
        )
    return _change_order_status(order, S.CANCELLED, user, note or "Cancelled by the shopper.")


def change_part_status(part: OrderPart, to_status: OrderStatus | str, actor: User | None, note: str = "") -> OrderPart:
    """Move one supplier's part along the same machine (that shop's owners or staff); cancelling returns its stock."""
    to = _status(to_status)
    if actor is not None and actor.role != Role.STAFF and not (
        actor.role == Role.SUPPLIER and actor.shop_id is not None and actor.shop_id == part.shop_id
    ):
        raise Forbidden("You can only change the parts of orders that your shop fulfils.")
    begin_write()
    db.session.refresh(part)
    order = part.order
    current = part.status
    _check_transition(current, to, f"The part of order #{order.id} from {part.shop_name}")
    _set_status(OrderPart, part.id, current, to)
    _event(order, current, to, actor, note, part)
    record(actor, "order.part_status_changed", "order", order.id,
           {"shop": part.shop_name, "from": current.value, "to": to.value, "note": note})
    if to == S.CANCELLED:
        _return_stock(list(part.items))
    db.session.flush()
    db.session.refresh(part)
    db.session.refresh(order)
    label = STATUS_LABELS[to].lower()
    if to == S.CANCELLED and all(p.status == S.CANCELLED for p in order.parts) and S.CANCELLED in TRANSITIONS[order.status]:
        # Nothing is left to deliver: the order itself is cancelled (the parts' stock is already back).
        previous = order.status
        _set_status(Order, order.id, order.status, S.CANCELLED)
        _event(order, order.status, S.CANCELLED, actor, "Every supplier cancelled their part.")
        db.session.flush()
        db.session.refresh(order)
        _order_changed(order, previous, S.CANCELLED, actor, "Every supplier cancelled their part.")
    _notify(order, f"Order #{order.id}: {part.shop_name} — {label}",
            f"The part of your order #{order.id} from {part.shop_name} is now {label}.", note)
    return part


def allowed_transitions(status: OrderStatus) -> list[OrderStatus]:
    """The statuses `status` may move to, in the machine's order (for buttons and API docs)."""
    return [s for s in OrderStatus if s in TRANSITIONS[status]]


# --- who sees what ---------------------------------------------------------------------------------------


def _visible_to(user: User):
    if user.role == Role.STAFF:
        return None
    if user.role == Role.SUPPLIER:
        if user.shop_id is None:
            return Order.id.is_(None)  # a supplier without a shop sees nothing
        return Order.id.in_(select(OrderPart.order_id).where(OrderPart.shop_id == user.shop_id))
    return Order.user_id == user.id


def get_order_for(user: User, order_id: int) -> Order:
    """An order `user` may see: shoppers their own, suppliers those with their shop's lines, staff all.

    Anything else is "not found", so order ids reveal nothing.
    """
    query = select(Order).where(Order.id == order_id).options(
        selectinload(Order.parts).selectinload(OrderPart.items), selectinload(Order.events)
    )
    condition = _visible_to(user)
    if condition is not None:
        query = query.where(condition)
    order = db.session.scalar(query)
    if order is None:
        raise OrderNotFound("No such order.")
    return order


def _own_order(user: User, order_id: int) -> Order:
    order = db.session.scalar(select(Order).where(Order.id == order_id, Order.user_id == user.id))
    if order is None:
        raise OrderNotFound("No such order.")
    return order


def supplier_parts(user: User, order: Order) -> list[OrderPart]:
    """The parts of `order` a supplier may see and fulfil: only their own shop's (staff: all)."""
    if user.role == Role.STAFF:
        return list(order.parts)
    if user.role != Role.SUPPLIER or user.shop_id is None:
        return []
    return [part for part in order.parts if part.shop_id == user.shop_id]


def supplier_lines(user: User, order: Order) -> list[OrderItem]:
    """The lines of `order` that concern the supplier `user` (never another shop's)."""
    return [item for part in supplier_parts(user, order) for item in part.items]


def visible_parts(user: User, order: Order) -> list[OrderPart]:
    """The parts of an order `user` may look at: a supplier only their own, the shopper and staff all."""
    return supplier_parts(user, order) if user.role == Role.SUPPLIER else list(order.parts)


def invoice_for(user: User, order_id: int) -> Path:
    """The order's PDF invoice for its shopper or staff (rendered now if the job has not run yet)."""
    order = get_order_for(user, order_id)
    if user.role == Role.SUPPLIER:
        raise OrderNotFound("No such order.")  # the invoice lists other suppliers' lines too
    return ensure_invoice(order.id)


def list_orders(user: User, page: int = 1, per_page: int = 20) -> Page[Order]:
    """The orders `user` may see, newest first, one page at a time."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    condition = _visible_to(user)
    if condition is not None:
        query = query.where(condition)
    return paginate(query, max(int(page or 1), 1), per_page)


def timeline(order: Order, viewer: User | None = None) -> list[OrderEvent]:
    """The order's status history, oldest first, with who did it (a supplier sees only their parts' events)."""
    events = list(db.session.scalars(
        select(OrderEvent).options(joinedload(OrderEvent.actor), joinedload(OrderEvent.part))
        .where(OrderEvent.order_id == order.id).order_by(OrderEvent.created_at, OrderEvent.id)
    ))
    if viewer is None or viewer.role != Role.SUPPLIER:
        return events
    mine = {part.id for part in supplier_parts(viewer, order)}
    return [event for event in events if event.part_id is None or event.part_id in mine]
