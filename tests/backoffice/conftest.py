"""Back-office fixtures: a signed-in staff client and a small shop with orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import (
    OrderEventFactory,
    OrderFactory,
    OrderItemFactory,
    OrderPartFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)
from tests.orders.order_helpers import login


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")
    return app


@pytest.fixture
def staff(session):
    user = StaffFactory(name="Stella Staff", email="stella@example.com")
    session.commit()
    return user


@pytest.fixture
def staff_client(client, staff):
    login(client, staff)
    return client


def make_order(shopper=None, shop=None, total="1000.00", status=None, created_at=None, email=None):
    """An order with one part and one line (committed by the caller)."""
    from storefront.orders.models import OrderStatus

    shopper = shopper or UserFactory(**({"email": email} if email else {}))
    shop = shop or ShopFactory()
    kwargs = {"user": shopper, "total": Decimal(total), "items_total": Decimal(total),
              "status": status or OrderStatus.NEW}
    if created_at is not None:
        kwargs["created_at"] = created_at
    order = OrderFactory(**kwargs)
    part = OrderPartFactory(order=order, shop=shop, status=status or OrderStatus.NEW, subtotal=Decimal(total))
    OrderItemFactory(part=part, price=Decimal(total))
    OrderEventFactory(order=order, to_status="new")
    return order
