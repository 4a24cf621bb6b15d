"""/api/v1/cart and /api/v1/orders: the cart, idempotent checkout, out_of_stock, isolation, cancel, invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storefront.catalog.models import Offer
from storefront.orders.models import Order, OrderStatus
from tests.api.conftest import assert_error
from tests.factories import (
    CartItemFactory,
    ContactFactory,
    OfferFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")  # never into the app's instance/
    return app


def _two_shops():
    shop_a, shop_b = ShopFactory(name="Электролайн"), ShopFactory(name="Технопарк")
    a = OfferFactory(shop=shop_a, product__name="Смартфон", price=Decimal("3000.00"), quantity=10)
    b = OfferFactory(shop=shop_b, product__name="Кофемолка", price=Decimal("2000.00"), quantity=5)
    return a, b


def _shopper_with_cart(*lines):
    user = UserFactory()
    contact = ContactFactory(user=user, city="Москва", street="Тверская", house="1")
    for offer, quantity in lines:
        CartItemFactory(user=user, offer=offer, quantity=quantity)
    return user, contact


def _place(client, headers, contact_id, key="key-1", **extra):
    return client.post("/api/v1/orders", json={"contact_id": contact_id, **extra},
                       headers={**headers, "Idempotency-Key": key})


def test_cart_add_change_remove_and_empty(client, session, auth_headers):
    a, b = _two_shops()
    user = UserFactory()
    session.commit()
    headers = auth_headers(user)
    assert client.get("/api/v1/cart", headers=headers).json["groups"] == []
    added = client.post("/api/v1/cart/items", json={"offer_id": a.id, "quantity": 2}, headers=headers)
    assert added.status_code == 201, added.json
    client.post("/api/v1/cart/items", json={"offer_id": a.id, "quantity": 1}, headers=headers)
    cart = client.post("/api/v1/cart/items", json={"offer_id": b.id, "quantity": 1}, headers=headers).json
    assert [g["shop_name"] for g in cart["groups"]] == ["Электролайн", "Технопарк"]
    line = cart["groups"][0]["lines"][0]
    assert (line["offer_id"], line["quantity"], line["price"], line["line_total"]) == (a.id, 3, "3000.00", "9000.00")
    assert cart["count"] == 4 and cart["items_total"] == "11000.00"
    assert Decimal(cart["total"]) == Decimal(cart["items_total"]) + Decimal(cart["delivery_total"])

    patched = client.patch(f"/api/v1/cart/items/{line['id']}", json={"quantity": 5}, headers=headers)
    assert patched.status_code == 200 and patched.json["groups"][0]["lines"][0]["quantity"] == 5
    assert client.delete(f"/api/v1/cart/items/{line['id']}", headers=headers).status_code == 204
    assert [g["shop_name"] for g in client.get("/api/v1/cart", headers=headers).json["groups"]] == ["Технопарк"]
    assert client.delete("/api/v1/cart", headers=headers).status_code == 204
    assert client.get("/api/v1/cart", headers=headers).json["count"] == 0
    assert client.delete("/api/v1/cart", headers=headers).status_code == 204  # empty already: still fine


def test_cart_bad_input(client, session, auth_headers):
    offer = OfferFactory(quantity=3)
    paused = OfferFactory(shop=ShopFactory(accepting_orders=False))
    other_line = CartItemFactory(offer=offer)
    user = UserFactory()
    session.commit()
    headers = auth_headers(user)
    for quantity in (0, -1, 1.5, "2", None):
        response = client.post("/api/v1/cart/items", json={"offer_id": offer.id, "quantity": quantity}, headers=headers)
        assert "quantity" in assert_error(response, 422)["errors"]
    short = client.post("/api/v1/cart/items", json={"offer_id": offer.id, "quantity": 4}, headers=headers)
    assert "Only 3" in assert_error(short, 409, "out_of_stock")["message"]
    assert_error(client.post("/api/v1/cart/items", json={"offer_id": 999999, "quantity": 1}, headers=headers),
                 404, "offer_not_found")
    blocked = client.post("/api/v1/cart/items", json={"offer_id": paused.id, "quantity": 1}, headers=headers)
    assert "not taking orders" in assert_error(blocked, 409, "offer_unavailable")["message"]
    url = f"/api/v1/cart/items/{other_line.id}"  # someone else's line
    assert_error(client.patch(url, json={"quantity": 1}, headers=headers), 404, "cart_item_not_found")
    assert_error(client.delete(url, headers=headers), 404, "cart_item_not_found")
    assert_error(client.get("/api/v1/cart"), 401)
    assert client.get("/api/v1/cart", headers=headers).json["count"] == 0  # nothing was written


def test_place_order_and_replay_with_the_same_key(client, session, auth_headers):
    a, b = _two_shops()
    user, contact = _shopper_with_cart((a, 2), (b, 1))
    session.commit()
    headers = auth_headers(user)
    placed = _place(client, headers, contact.id, key="checkout-1")
    assert placed.status_code == 201, placed.json
    order = placed.json
    assert order["status"] == "new" and order["can_cancel"] is True
    assert order["items_total"] == "8000.00" and order["delivery_address"].startswith("Москва")
    assert {p["shop_name"]: [(i["product_name"], i["quantity"], i["price"]) for i in p["items"]]
            for p in order["parts"]} == {"Электролайн": [("Смартфон", 2, "3000.00")],
                                          "Технопарк": [("Кофемолка", 1, "2000.00")]}
    assert [e["to_status"] for e in order["events"]] == ["new"]
    assert client.get("/api/v1/cart", headers=headers).json["count"] == 0

    replay = _place(client, headers, contact.id, key="checkout-1")  # the cart is empty now: still the same order
    assert replay.status_code == 201 and replay.json["id"] == order["id"]
    assert session.query(Order).count() == 1
    assert session.get(Offer, a.id).quantity == 8 and session.get(Offer, b.id).quantity == 4

    listed = client.get("/api/v1/orders", headers=headers).json
    assert [o["id"] for o in listed["items"]] == [order["id"]] and listed["total"] == 1
    assert client.get(f"/api/v1/orders/{order['id']}", headers=headers).json == order


def test_place_order_bad_input(client, session, auth_headers):
    offer = OfferFactory(quantity=5, price=Decimal("100.00"))
    user, contact = _shopper_with_cart((offer, 1))
    theirs = ContactFactory()
    empty_user, empty_contact = _shopper_with_cart()
    session.commit()
    headers, empty_headers = auth_headers(user), auth_headers(empty_user)
    no_key = client.post("/api/v1/orders", json={"contact_id": contact.id}, headers=headers)
    assert "Idempotency-Key" in assert_error(no_key, 422)["errors"]
    assert_error(_place(client, headers, contact.id, key="\t"), 400, "invalid_idempotency_key")
    assert_error(_place(client, headers, theirs.id), 404, "contact_not_found")
    forged = _place(client, headers, contact.id, expected_total="1.00")
    assert_error(forged, 409, "price_changed")
    assert_error(_place(client, empty_headers, empty_contact.id), 409, "empty_cart")  # also what a lost race sees
    assert session.query(Order).count() == 0 and session.get(Offer, offer.id).quantity == 5


def test_shortage_is_409_out_of_stock_with_items(client, session, auth_headers):
    offer = OfferFactory(quantity=5)
    user, contact = _shopper_with_cart((offer, 4))
    session.commit()
    offer.quantity = 2  # sold elsewhere since it went into the cart
    session.commit()
    body = assert_error(_place(client, auth_headers(user), contact.id), 409, "out_of_stock")
    assert body["errors"] == {"items": [{"offer_id": offer.id, "available": 2, "requested": 4}]}
    assert session.query(Order).count() == 0 and session.get(Offer, offer.id).quantity == 2


def test_other_shoppers_orders_are_404_and_staff_see_all(client, session, auth_headers):
    offer = OfferFactory(quantity=10)
    owner, contact = _shopper_with_cart((offer, 1))
    other, staff = UserFactory(), StaffFactory()
    session.commit()
    mine, as_staff = auth_headers(other), auth_headers(staff)
    order_id = _place(client, auth_headers(owner), contact.id).json["id"]
    for url in (f"/api/v1/orders/{order_id}", f"/api/v1/orders/{order_id}/invoice.pdf"):
        assert_error(client.get(url, headers=mine), 404, "order_not_found")
    assert_error(client.post(f"/api/v1/orders/{order_id}/cancel", json={}, headers=mine), 404, "order_not_found")
    assert client.get("/api/v1/orders", headers=mine).json["total"] == 0
    assert_error(client.get("/api/v1/orders?status=new", headers=mine), 403)  # filters are for staff

    assert client.get(f"/api/v1/orders/{order_id}", headers=as_staff).status_code == 200
    for query, expected in ((f"status=new&shopper_id={owner.id}", [order_id]), ("status=cancelled", []),
                            (f"shop_id={offer.shop_id}", [order_id]), ("date_from=2000-01-01", [order_id]),
                            ("date_to=2000-01-01", [])):
        listed = client.get(f"/api/v1/orders?{query}", headers=as_staff).json
        assert [o["id"] for o in listed["items"]] == expected, query


def test_cancel_rules(client, session, auth_headers):
    offer = OfferFactory(quantity=10)
    user, contact = _shopper_with_cart((offer, 3))
    session.commit()
    headers = auth_headers(user)
    order_id = _place(client, headers, contact.id).json["id"]
    assert session.get(Offer, offer.id).quantity == 7
    cancelled = client.post(f"/api/v1/orders/{order_id}/cancel", json={"note": "Передумал"}, headers=headers)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["can_cancel"] is False
    order_events = [(e["from_status"], e["to_status"], e["note"]) for e in cancelled.json["events"] if not e["part_id"]]
    assert order_events[-1] == ("new", "cancelled", "Передумал")
    session.expire_all()
    assert session.get(Offer, offer.id).quantity == 10  # the stock went back
    again = client.post(f"/api/v1/orders/{order_id}/cancel", json={}, headers=headers)
    assert_error(again, 409, "invalid_transition")

    CartItemFactory(user=session.merge(user), offer=offer, quantity=1)
    session.commit()
    second = _place(client, headers, contact.id, key="key-2").json["id"]
    session.get(Order, second).status = OrderStatus.CONFIRMED
    session.commit()
    confirmed = client.post(f"/api/v1/orders/{second}/cancel", json={}, headers=headers)
    assert "only a new order" in assert_error(confirmed, 409, "invalid_transition")["message"]


def test_invoice_pdf(client, session, auth_headers):
    offer = OfferFactory(quantity=10, product__name="Кофемолка")
    user, contact = _shopper_with_cart((offer, 1))
    session.commit()
    headers = auth_headers(user)
    order_id = _place(client, headers, contact.id).json["id"]
    response = client.get(f"/api/v1/orders/{order_id}/invoice.pdf", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert_error(client.get(f"/api/v1/orders/{order_id}/invoice.pdf"), 401)
