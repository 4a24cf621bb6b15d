"""Stock held during checkout: others see less, the holder does not; placing keeps the held units; an expired
hold is ignored at once and put back by the job; two carts can never hold the same last unit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from storefront.cart import jobs as cart_jobs
from storefront.cart import reservations
from storefront.cart.models import CartItem, StockReservation
from storefront.cart.services import get_cart
from storefront.catalog.models import Offer
from storefront.database import utcnow
from storefront.orders import checkout
from storefront.periodic import discover
from tests.factories import OfferFactory
from tests.orders.order_helpers import login, shopper_with_cart
from tests.orders.test_orders_views import HX, checkout_form


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")
    return app


def stock(session, offer) -> int:
    session.expire_all()
    return session.get(Offer, offer.id).quantity


def expire_holds(session) -> None:
    session.query(StockReservation).update({"expires_at": utcnow() - timedelta(minutes=1)})
    session.commit()


def test_a_hold_takes_the_units_for_others_but_not_for_the_holder(session):
    offer = OfferFactory(quantity=3, price=Decimal("100.00"))
    ann, ann_contact = shopper_with_cart((offer, 2))
    bob, _ = shopper_with_cart((offer, 2))
    session.commit()
    hold = checkout.open_checkout(ann)
    session.commit()
    assert hold.held == {offer.id: 2} and hold.expires_at > utcnow()
    assert stock(session, offer) == 1  # the product page, the API and the catalog read this
    assert get_cart(ann).lines[0].available == 3 and get_cart(ann).problems == []
    assert get_cart(bob).lines[0].available == 1 and get_cart(bob).problems  # only 1 left for Bob
    assert checkout.open_checkout(bob).short == [offer.id]  # Bob cannot hold Ann's units
    session.commit()
    order = checkout.place_order(ann, ann_contact.id, "k1")
    session.commit()
    assert order.items[0].quantity == 2 and stock(session, offer) == 1  # the hold became the order
    assert session.query(StockReservation).count() == 0


def test_an_expired_hold_is_ignored_then_put_back_by_the_job(session):
    offer = OfferFactory(quantity=1)
    ann, _ = shopper_with_cart((offer, 1))
    bob, bob_contact = shopper_with_cart((offer, 1))
    session.commit()
    checkout.open_checkout(ann)
    session.commit()
    assert stock(session, offer) == 0
    expire_holds(session)
    order = checkout.place_order(bob, bob_contact.id, "k1")  # before the job ran: the expired hold gives way
    session.commit()
    assert order.items[0].quantity == 1 and stock(session, offer) == 0
    assert session.query(StockReservation).count() == 0

    other = OfferFactory(quantity=4)
    cat, _ = shopper_with_cart((other, 3))
    session.commit()
    checkout.open_checkout(cat)
    session.commit()
    assert stock(session, other) == 1
    expire_holds(session)
    assert (cart_jobs.release_expired_reservations, 60) in discover()
    assert cart_jobs.release_expired_reservations() == 3 and stock(session, other) == 4
    assert cart_jobs.release_expired_reservations() == 0


def test_holding_again_follows_the_cart_and_placing_returns_what_the_cart_let_go(session):
    offer = OfferFactory(quantity=5)
    ann, contact = shopper_with_cart((offer, 3))
    session.commit()
    checkout.open_checkout(ann)
    session.commit()
    assert stock(session, offer) == 2
    item = session.query(CartItem).one()
    item.quantity = 1
    session.commit()
    checkout.place_order(ann, contact.id, "k1")
    session.commit()
    assert stock(session, offer) == 4  # 1 ordered; the other 2 held units went back


def test_two_carts_never_hold_the_same_last_unit(session):
    offer = OfferFactory(quantity=1)
    carts = [shopper_with_cart((offer, 1))[0] for _ in range(2)]
    session.commit()
    holds = []
    for user in carts:
        holds.append(checkout.open_checkout(user))
        session.commit()
    assert [h.held for h in holds] == [{offer.id: 1}, {}] and stock(session, offer) == 0
    assert reservations.held(carts[1]) == {}


def test_the_page_door_holds_on_check_out_and_shows_the_time(client, session):
    offer = OfferFactory(quantity=2)
    ann, contact = shopper_with_cart((offer, 2))
    session.commit()
    login(client, ann)
    assert client.get("/orders/checkout").status_code == 200 and stock(session, offer) == 2  # GET holds nothing
    opened = client.post("/orders/checkout/hold")
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/orders/checkout")
    assert stock(session, offer) == 0
    page = client.get("/orders/checkout", headers=HX).get_data(as_text=True)
    assert 'data-testid="held-until"' in page and "held for you" in page
    assert client.post("/orders/checkout", data=checkout_form(client, contact.id)).status_code == 303
    assert stock(session, offer) == 0 and session.query(StockReservation).count() == 0


def test_a_guest_cart_is_held_on_the_pages_too(client, session):
    offer = OfferFactory(quantity=2)
    session.commit()
    client.post("/cart/add", data={"offer_id": offer.id, "quantity": 2})
    assert client.post("/orders/checkout/hold").status_code == 303
    assert stock(session, offer) == 0
    row = session.query(StockReservation).one()
    assert row.user_id is None and row.session_key and row.quantity == 2


def test_the_api_door_holds_releases_and_others_see_the_stock(client, session, auth_headers):
    offer = OfferFactory(quantity=3)
    ann, contact = shopper_with_cart((offer, 2))
    bob, _ = shopper_with_cart((offer, 2))
    session.commit()
    held = client.post("/api/v1/cart/reservation", headers=auth_headers(ann))
    assert held.status_code == 200 and held.json["held"] == [{"offer_id": offer.id, "quantity": 2}]
    assert held.json["expires_at"]
    bob_cart = client.get("/api/v1/cart", headers=auth_headers(bob)).json
    assert bob_cart["groups"][0]["lines"][0]["available"] == 1 and bob_cart["problems"]
    ann_cart = client.get("/api/v1/cart", headers=auth_headers(ann)).json
    assert ann_cart["groups"][0]["lines"][0]["available"] == 3 and ann_cart["problems"] == []
    short = client.post("/api/v1/cart/reservation", headers=auth_headers(bob)).json
    assert short["short"] == [offer.id] and short["held"] == []
    assert client.delete("/api/v1/cart/reservation", headers=auth_headers(ann)).status_code == 204
    assert stock(session, offer) == 3
    client.post("/api/v1/cart/reservation", headers=auth_headers(ann))
    placed = client.post("/api/v1/orders", json={"contact_id": contact.id},
                         headers={**auth_headers(ann), "Idempotency-Key": "k1"})
    assert placed.status_code == 201 and stock(session, offer) == 1
