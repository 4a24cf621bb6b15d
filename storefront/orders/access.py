"""Who sees which orders, and what of them: the queries and the supplier's view, built on `storefront.policy`.

Shoppers and staff get the order itself. A supplier gets a `SupplierOrder`: a detached copy holding only its
shop's parts, lines and events, with totals over those parts — no other shop's name, line or price and no
whole-order totals — so no page or serializer can show what it was never given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from storefront import policy
from storefront.accounts.models import Role, User
from storefront.domain_errors import Forbidden, NotFound
from storefront.extensions import db
from storefront.orders.invoices import ensure_invoice
from storefront.orders.models import Order, OrderEvent, OrderItem, OrderPart, OrderStatus
from storefront.orders.reports import OrderFilters, search_orders
from storefront.pagination import Page, paginate


class OrderNotFound(NotFound):
    code = "order_not_found"


# --- the supplier's view of an order -----------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    offer_id: int | None
    shop_id: int | None
    product_name: str
    model: str
    price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True)
class PartView:
    id: int
    shop_id: int | None
    shop_name: str
    status: OrderStatus
    subtotal: Decimal
    delivery_fee: Decimal
    items: list[LineView]


@dataclass(frozen=True)
class ActorView:
    name: str


@dataclass(frozen=True)
class EventView:
    part_id: int | None
    part: PartView | None
    from_status: str | None
    to_status: str
    actor: ActorView | None
    note: str
    created_at: datetime


@dataclass(frozen=True)
class SupplierOrder:
    """An order as one supplier may see it: only its parts; totals are those parts' totals."""

    id: int
    status: OrderStatus
    user_id: int
    created_at: datetime
    updated_at: datetime | None
    delivery_recipient: str
    delivery_address: str
    delivery_phone: str
    parts: list[PartView]
    events: list[EventView]

    @property
    def items(self) -> list[LineView]:
        return [item for part in self.parts for item in part.items]

    @property
    def items_total(self) -> Decimal:
        return sum((part.subtotal for part in self.parts), Decimal("0.00"))

    @property
    def delivery_total(self) -> Decimal:
        return sum((part.delivery_fee for part in self.parts), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.items_total + self.delivery_total


@dataclass(frozen=True)
class OrderHeader:
    """What a supplier needs of the order around its part: number, dates, status and where to deliver."""

    id: int
    status: OrderStatus
    created_at: datetime
    delivery_recipient: str
    delivery_address: str
    delivery_phone: str


@dataclass(frozen=True)
class SupplierPart:
    """One shop's part of an order as its supplier works on it: its lines, totals, and the order's header."""

    id: int
    order_id: int
    shop_id: int | None
    shop_name: str
    status: OrderStatus
    subtotal: Decimal
    delivery_fee: Decimal
    items: list[LineView]
    order: OrderHeader


def supplier_part(part: OrderPart) -> SupplierPart:
    """The detached copy of one part (its `order` is a header, so nothing leads on to the other parts)."""
    order = part.order
    header = OrderHeader(order.id, order.status, order.created_at, order.delivery_recipient,
                         order.delivery_address, order.delivery_phone)
    return SupplierPart(part.id, part.order_id, part.shop_id, part.shop_name, part.status, part.subtotal,
                        part.delivery_fee, [_line(item) for item in part.items], header)


def _line(item: OrderItem) -> LineView:
    return LineView(item.offer_id, item.shop_id, item.product_name, item.model, item.price, item.quantity)


def _part(part: OrderPart) -> PartView:
    return PartView(part.id, part.shop_id, part.shop_name, part.status, part.subtotal, part.delivery_fee,
                    [_line(item) for item in part.items])


def supplier_view(viewer: User, order: Order) -> SupplierOrder:
    """The detached copy of `order` holding only what `viewer` (a supplier) may see."""
    parts = [_part(part) for part in policy.visible_parts(viewer, order)]
    by_id = {part.id: part for part in parts}
    events = [
        EventView(event.part_id, by_id.get(event.part_id), event.from_status, event.to_status,
                  ActorView(event.actor.name) if event.actor is not None else None, event.note, event.created_at)
        for event in order.events
        if event.part_id is None or event.part_id in by_id
    ]
    return SupplierOrder(order.id, order.status, order.user_id, order.created_at, order.updated_at,
                         order.delivery_recipient, order.delivery_address, order.delivery_phone, parts, events)


def for_viewer(viewer: User, order: Order) -> Order | SupplierOrder:
    return supplier_view(viewer, order) if policy.sees_part_only(viewer) else order


# --- queries ---------------------------------------------------------------------------------------------------


def visible_condition(user: User):
    """The SQL form of `policy.can_view_order` (None: every order)."""
    if policy.sees_every_order(user):
        return None
    if not user.is_active:
        return Order.id.is_(None)
    if user.role is Role.SUPPLIER:
        shop_id = policy.supplier_shop_id(user)
        if shop_id is None:
            return Order.id.is_(None)  # a supplier without a shop sees nothing
        return Order.id.in_(select(OrderPart.order_id).where(OrderPart.shop_id == shop_id))
    return Order.user_id == user.id


def _with_condition(query, user: User):
    condition = visible_condition(user)
    return query if condition is None else query.where(condition)


def _load_order(user: User, order_id: int) -> Order:
    query = select(Order).where(Order.id == order_id).options(
        selectinload(Order.parts).selectinload(OrderPart.items),
        selectinload(Order.events).joinedload(OrderEvent.actor),
    )
    order = db.session.scalar(_with_condition(query, user))
    # The query narrows with the SQL form of the rule; the rule itself has the last word.
    if order is None or not policy.can_view_order(user, order):
        raise OrderNotFound(_("No such order."))
    return order


def get_order_for(user: User, order_id: int) -> Order | SupplierOrder:
    """An order `user` may see: shoppers their own, staff all, suppliers their part of those with their lines.

    Anything else is "not found", so order ids reveal nothing.
    """
    return for_viewer(user, _load_order(user, order_id))


def own_order(user: User, order_id: int) -> Order:
    """The shopper's own order (for what only its shopper may do)."""
    order = db.session.scalar(select(Order).where(Order.id == order_id, Order.user_id == user.id))
    if order is None or not policy.owns(user, order):
        raise OrderNotFound(_("No such order."))
    return order


def list_orders(user: User, page: int = 1, per_page: int = 20) -> Page[Order | SupplierOrder]:
    """The orders `user` may see, newest first, one page at a time (a supplier: its part of each)."""
    query = _with_condition(select(Order).order_by(Order.created_at.desc(), Order.id.desc()), user)
    if user.role is Role.SUPPLIER:
        query = query.options(selectinload(Order.parts).selectinload(OrderPart.items),
                              selectinload(Order.events).joinedload(OrderEvent.actor))
    found = paginate(query, max(int(page or 1), 1), per_page)
    return Page(items=[for_viewer(user, order) for order in found.items], page=found.page,
                page_size=found.page_size, total=found.total)


def order_list(user: User, filters: OrderFilters | None = None, page: int = 1,
               page_size: int = 20) -> Page[Order | SupplierOrder]:
    """The order list of either door: staff search every order with `filters`; anyone else gets the orders
    they may see, and asking them to filter or sort is Forbidden (it would probe other people's orders)."""
    filters = filters or OrderFilters()
    if policy.may_filter_orders(user):
        return search_orders(user, filters, page, page_size)
    if filters.narrows:
        raise Forbidden(_("Only staff can filter or sort the order list."))
    return list_orders(user, page, page_size)


# --- what of an order ------------------------------------------------------------------------------------------


def supplier_parts(user: User, order: Order) -> list[OrderPart]:
    """The parts of `order` a supplier may see and fulfil: only their own shop's (staff: all)."""
    if policy.is_staff(user):
        return list(order.parts)
    shop_id = policy.supplier_shop_id(user)
    return [part for part in order.parts if shop_id is not None and part.shop_id == shop_id]


def supplier_lines(user: User, order: Order) -> list[OrderItem]:
    """The lines of `order` that concern the supplier `user` (never another shop's)."""
    return [item for part in supplier_parts(user, order) for item in part.items]


def visible_parts(user: User, order: Order | SupplierOrder) -> list:
    """The parts of an order `user` may look at: a supplier only their own, the shopper and staff all."""
    if isinstance(order, SupplierOrder):
        return list(order.parts)
    return policy.visible_parts(user, order)


def timeline(order: Order | SupplierOrder, viewer: User | None = None) -> list:
    """The order's status history, oldest first, with who did it (a supplier sees only their parts' events)."""
    if isinstance(order, SupplierOrder):
        return list(order.events)
    events = list(db.session.scalars(
        select(OrderEvent).options(joinedload(OrderEvent.actor), joinedload(OrderEvent.part))
        .where(OrderEvent.order_id == order.id).order_by(OrderEvent.created_at, OrderEvent.id)
    ))
    if viewer is None or not policy.sees_part_only(viewer):
        return events
    mine = {part.id for part in policy.visible_parts(viewer, order)}
    return [event for event in events if event.part_id is None or event.part_id in mine]


def invoice_for(user: User, order_id: int) -> Path:
    """The order's PDF invoice for its shopper or staff (rendered now if the job has not run yet)."""
    order = _load_order(user, order_id)
    if not policy.may_download_invoice(user, order):
        raise OrderNotFound(_("No such order."))  # the invoice lists other suppliers' lines too
    return ensure_invoice(order.id)
