"""Who sees what of an order: the supplier's detached view, its totals, and the queries it costs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.orders import access, checkout
from storefront.orders.access import SupplierOrder
from tests.factories import OfferFactory, ShopFactory, StaffFactory, SupplierFactory
from tests.orders.order_helpers import shopper_with_cart
from tests.suppliers.supplier_helpers import count_statements


def _orders(count: int, shop_a, shop_b) -> None:
    for n in range(count):
        a = OfferFactory(shop=shop_a, price=Decimal("100.00"), quantity=5)
        b = OfferFactory(shop=shop_b, price=Decimal("700.00"), quantity=5)
        user, contact = shopper_with_cart((a, 1), (b, 1))
        checkout.place_order(user, contact.id, f"k{n}")


def test_a_supplier_gets_a_copy_with_only_its_part(session):
    shop_a, shop_b = ShopFactory(name="A"), ShopFactory(name="B")
    _orders(1, shop_a, shop_b)
    supplier = SupplierFactory(shop=shop_a)
    session.commit()
    [view] = access.list_orders(supplier).items
    assert isinstance(view, SupplierOrder)
    assert [part.shop_name for part in view.parts] == ["A"]
    assert {line.shop_id for line in view.items} == {shop_a.id}
    assert view.items_total == Decimal("100.00") and view.total == view.parts[0].subtotal + view.parts[0].delivery_fee
    assert not hasattr(view.parts[0], "order")  # nothing leads back to the whole order
    assert not isinstance(access.list_orders(StaffFactory()).items[0], SupplierOrder)


@pytest.mark.parametrize("count", [1, 6])
def test_the_supplier_order_list_costs_the_same_queries_for_one_order_or_many(session, count):
    shop_a, shop_b = ShopFactory(), ShopFactory()
    _orders(count, shop_a, shop_b)
    supplier = SupplierFactory(shop=shop_a)
    session.commit()
    session.expire_all()
    with count_statements() as statements:
        page = access.list_orders(supplier)
    assert page.total == count
    # count, the page, then parts, their lines, the events and their actors: never one query per order
    assert len(statements) <= 6, statements
