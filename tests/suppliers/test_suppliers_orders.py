"""A supplier's part of orders: only its own lines, prices and totals; confirm and ship through the orders machine."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from storefront.domain_errors import NotFound
from storefront.extensions import db
from storefront.orders.models import OrderEvent, OrderStatus
from storefront.orders.services import InvalidTransition
from storefront.suppliers import services
from tests.factories import (
    OrderFactory,
    OrderItemFactory,
    OrderPartFactory,
    ShopFactory,
    SupplierFactory,
)
from tests.orders.order_helpers import login

HX = {"HX-Request": "true"}


@pytest.fixture
def order_of_two(session):
    """One order with a part from "Электролиния" (ours) and one from "Конкурент" (not ours)."""
    ours, theirs = ShopFactory(name="Электролиния"), ShopFactory(name="Конкурент")
    order = OrderFactory()
    mine = OrderPartFactory(order=order, shop=ours, subtotal=Decimal("3500.00"), delivery_fee=Decimal("300.00"))
    other = OrderPartFactory(order=order, shop=theirs, subtotal=Decimal("99999.00"))
    OrderItemFactory(part=mine, offer__product__name="Наш товар", price=Decimal("3500.00"), quantity=1)
    OrderItemFactory(part=other, offer__product__name="Чужой товар", price=Decimal("99999.00"), quantity=1)
    supplier = SupplierFactory(shop=ours)
    rival = SupplierFactory(shop=theirs)
    lonely = SupplierFactory(shop=ShopFactory(name="Без заказов"))
    session.commit()
    return {"order": order, "mine": mine, "other": other, "supplier": supplier, "rival": rival, "lonely": lonely}


def test_service_lists_only_the_shops_own_parts(order_of_two):
    page = services.list_order_parts(order_of_two["supplier"])
    assert [part.id for part in page.items] == [order_of_two["mine"].id]
    part = services.get_order_part(order_of_two["supplier"], order_of_two["order"].id)
    assert [item.product_name for item in part.items] == ["Наш товар"]
    assert services.list_order_parts(order_of_two["lonely"]).total == 0
    with pytest.raises(NotFound):
        services.get_order_part(order_of_two["lonely"], order_of_two["order"].id)


def test_confirm_and_ship_are_recorded_in_the_orders_events(order_of_two, session):
    supplier, order_id = order_of_two["supplier"], order_of_two["order"].id
    assert services.next_statuses(order_of_two["mine"]) == [OrderStatus.CONFIRMED, OrderStatus.CANCELLED]
    services.confirm_part(supplier, order_id)
    part = services.ship_part(supplier, order_id, "Трек 123")
    session.commit()
    assert part.status == OrderStatus.SENT
    events = session.scalars(select(OrderEvent).where(OrderEvent.part_id == part.id).order_by(OrderEvent.id)).all()
    assert [(e.from_status, e.to_status, e.actor_id) for e in events] == [
        ("new", "confirmed", supplier.id), ("confirmed", "assembled", supplier.id), ("assembled", "sent", supplier.id)]
    session.refresh(order_of_two["other"])
    assert order_of_two["other"].status == OrderStatus.NEW  # the other supplier's part is untouched
    with pytest.raises(InvalidTransition):
        services.confirm_part(supplier, order_id)


def test_a_supplier_cannot_move_another_shops_part(order_of_two):
    with pytest.raises(NotFound):
        services.change_part_status(order_of_two["lonely"], order_of_two["order"].id, "confirmed")


def test_orders_pages_show_only_the_shops_lines(client, order_of_two):
    login(client, order_of_two["supplier"])
    listing = client.get("/supplier/orders").get_data(as_text=True)
    assert f"#{order_of_two['order'].id}" in listing and "₽3,500" in listing
    assert "99,999" not in listing
    partial = client.get("/supplier/orders", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="supplier-orders"')
    assert "No orders in this state" in client.get("/supplier/orders?status=sent").get_data(as_text=True)
    page = client.get(f"/supplier/orders/{order_of_two['order'].id}").get_data(as_text=True)
    assert "Наш товар" in page and "Чужой товар" not in page and "Конкурент" not in page
    assert "99,999" not in page and "₽3,500" in page
    assert "Mark as confirmed" in page and "Mark as cancelled" in page and "Mark as sent" not in page
    part = client.get(f"/supplier/orders/{order_of_two['order'].id}", headers=HX).get_data(as_text=True)
    assert part.lstrip().startswith('<section id="order-part"') and "<html" not in part


def test_status_buttons_move_the_part(client, order_of_two, session):
    login(client, order_of_two["supplier"])
    url = f"/supplier/orders/{order_of_two['order'].id}"
    response = client.post(f"{url}/status", data={"status": "confirmed"})
    assert response.status_code == 303
    partial = client.post(f"{url}/status", data={"status": "assembled"}, headers=HX).get_data(as_text=True)
    assert 'data-testid="part-status">Assembled<' in partial and "Mark as sent" in partial
    refused = client.post(f"{url}/status", data={"status": "new"})
    assert refused.status_code == 409 and "cannot become new" in refused.get_data(as_text=True)
    assert client.post(f"{url}/status", data={"status": "bogus"}).status_code == 400
    # The shopper sees the supplier's part status on their order page.
    login(client, order_of_two["order"].user)
    shopper_page = client.get(f"/orders/{order_of_two['order'].id}").get_data(as_text=True)
    assert "Электролиния: <span class=\"status status-assembled\">" in shopper_page


def test_another_suppliers_order_is_404(client, order_of_two):
    login(client, order_of_two["lonely"])
    order_id = order_of_two["order"].id
    assert client.get(f"/supplier/orders/{order_id}").status_code == 404
    assert client.post(f"/supplier/orders/{order_id}/status", data={"status": "confirmed"}).status_code == 404
    db.session.refresh(order_of_two["mine"])
    assert order_of_two["mine"].status == OrderStatus.NEW


def test_dashboard_counts_waiting_orders(client, order_of_two):
    login(client, order_of_two["supplier"])
    page = client.get("/supplier/").get_data(as_text=True)
    assert 'data-testid="waiting-orders">1<' in page and f"Order #{order_of_two['order'].id}" in page
