"""Read-models over orders for staff: the filtered, sorted order table and the dashboard's figures.

Staff only (checked here, on the viewer, with `policy.require_staff`). No rules about what may happen to an
order live here — that is `storefront.orders.status`; this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from storefront import policy
from storefront.accounts.models import User
from storefront.database import Money, utcnow
from storefront.extensions import db
from storefront.orders.models import Order, OrderPart, OrderStatus
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate

SORTS = {
    "-created": (Order.created_at.desc(), Order.id.desc()),
    "created": (Order.created_at.asc(), Order.id.asc()),
    "-total": (Order.total.desc(), Order.id.desc()),
    "total": (Order.total.asc(), Order.id.asc()),
    "status": (Order.status.asc(), Order.created_at.desc(), Order.id.desc()),
    "-id": (Order.id.desc(),),
    "id": (Order.id.asc(),),
}
DEFAULT_SORT = "-created"
MAX_QUERY = 200


def _require_staff(viewer: User) -> None:
    policy.require_staff(viewer, _("Only staff can see every order."))


@dataclass(frozen=True)
class OrderFilters:
    status: OrderStatus | None = None
    shopper_id: int | None = None
    shop_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    q: str = ""  # an order number ("42", "#42") or part of the shopper's e-mail
    sort: str = DEFAULT_SORT

    @property
    def narrows(self) -> bool:
        """Whether any filter or a sort other than the default is asked for (a staff tool)."""
        values = (self.status, self.shopper_id, self.shop_id, self.date_from, self.date_to, self.q)
        return any(value not in (None, "") for value in values) or self.sort != DEFAULT_SORT


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def search_orders(viewer: User, filters: OrderFilters = OrderFilters(), page: int = 1,
                  page_size: int = DEFAULT_PAGE_SIZE) -> Page[Order]:
    """Every order matching the filters, in the chosen order (unknown sorts fall back to newest first)."""
    _require_staff(viewer)
    statement = select(Order).join(User, User.id == Order.user_id).options(
        selectinload(Order.user), selectinload(Order.parts)
    )
    if filters.status is not None:
        statement = statement.where(Order.status == filters.status)
    if filters.shopper_id is not None:
        statement = statement.where(Order.user_id == filters.shopper_id)
    if filters.shop_id is not None:
        statement = statement.where(
            Order.id.in_(select(OrderPart.order_id).where(OrderPart.shop_id == filters.shop_id))
        )
    if filters.date_from is not None:
        statement = statement.where(Order.created_at >= _day_start(filters.date_from))
    if filters.date_to is not None:
        statement = statement.where(Order.created_at < _day_start(filters.date_to + timedelta(days=1)))
    term = (filters.q or "").strip()[:MAX_QUERY]
    if term:
        number = term.lstrip("#").strip()
        by_email = func.lower(User.email).contains(term.lower(), autoescape=True)
        if number.isdigit() and len(number) <= 9:
            statement = statement.where(or_(Order.id == int(number), by_email))
        else:
            statement = statement.where(by_email)
    return paginate(statement.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT])), page, page_size)


# ---------------------------------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class DayFigures:
    day: date
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class OrderFigures:
    orders_today: int
    revenue_today: Decimal
    orders_week: int
    revenue_week: Decimal
    by_status: dict[OrderStatus, int]
    days: list[DayFigures]


def _totals(start: datetime, end: datetime) -> tuple[int, Decimal]:
    """(orders placed, revenue of the ones not cancelled) between start and end."""
    in_range = (Order.created_at >= start, Order.created_at < end)
    count = db.session.scalar(select(func.count()).select_from(Order).where(*in_range)) or 0
    revenue = db.session.scalar(
        select(type_coerce(func.coalesce(func.sum(Order.total), 0), Money))
        .where(*in_range, Order.status != OrderStatus.CANCELLED)
    )
    return count, Decimal(revenue or 0).quantize(Decimal("0.01"))


def order_figures(viewer: User, now: datetime | None = None, days: int = 14) -> OrderFigures:
    """Orders and revenue today and this week (from Monday, UTC), orders by status, and the last `days` days."""
    _require_staff(viewer)
    now = now or utcnow()
    today = _day_start(now.date())
    week = today - timedelta(days=now.weekday())
    tomorrow = today + timedelta(days=1)
    orders_today, revenue_today = _totals(today, tomorrow)
    orders_week, revenue_week = _totals(week, tomorrow)
    counts = dict(db.session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    series = []
    for back in range(days - 1, -1, -1):
        start = today - timedelta(days=back)
        count, revenue = _totals(start, start + timedelta(days=1))
        series.append(DayFigures(start.date(), count, revenue))
    return OrderFigures(orders_today, revenue_today, orders_week, revenue_week,
                        {status: counts.get(status, 0) for status in OrderStatus}, series)
