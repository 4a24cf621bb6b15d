"""Guest checkout on both doors: the same checkout rules, the signed link in the e-mail, adoption at sign-up."""

from __future__ import annotations

import re

from storefront.accounts import tokens
from storefront.catalog.models import Offer
from storefront.orders.models import Order
from tests.api.conftest import assert_error
from tests.factories import UserFactory
from tests.orders.order_helpers import body_of, mail_to, two_shop_offers
from tests.orders.test_orders_views import hidden

GUEST = {"email": "Guest@Example.com", "name": "Гость Гостев", "phone": "+7 900 111-22-33",
         "address": "Москва, Тверская, 7"}


def _link_in(mail) -> str:
    match = re.search(r"https?://\S+/orders/guest/(\S+)", body_of(mail))
    assert match, body_of(mail)
    return match.group(1)


def test_a_guest_checks_out_on_the_pages_and_follows_the_mailed_link(client, session, mail_dir):
    a1, _, b1 = two_shop_offers()
    session.commit()
    client.post("/cart/add", data={"offer_id": a1.id, "quantity": 2})
    client.post("/cart/add", data={"offer_id": b1.id, "quantity": 1})
    page = client.get("/orders/checkout")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="email"' in html and "as a guest" in html
    form = {"idempotency_key": hidden(html, "idempotency_key"), "expected_total": hidden(html, "expected_total"),
            "seen": hidden(html, "seen"), "payment_method": "cash_on_delivery"}
    missing = client.post("/orders/checkout", data=form)
    assert missing.status_code == 400 and session.query(Order).count() == 0
    placed = client.post("/orders/checkout", data={**form, **GUEST})
    assert placed.status_code == 303 and "/orders/guest/" in placed.headers["Location"]
    again = client.post("/orders/checkout", data={**form, **GUEST})  # a double click: the same order
    assert again.status_code in (303, 409)
    order = session.query(Order).one()
    assert (order.user_id, order.guest_email, order.delivery_address) == (None, "guest@example.com", GUEST["address"])
    assert session.get(Offer, a1.id).quantity == 8
    thanks = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your order" in thanks and f"#{order.id}" in thanks
    [mail] = mail_to(mail_dir, "guest@example.com")
    token = _link_in(mail)
    assert "Payment:" in body_of(mail) and "on delivery" in body_of(mail)
    shown = client.get(f"/orders/guest/{token}")
    assert shown.status_code == 200 and "Москва, Тверская, 7" in shown.get_data(as_text=True)
    assert client.get(f"/orders/guest/{token[:-3]}xyz").status_code == 404
    assert client.get(f"/orders/{order.id}").status_code in (302, 401)  # the account page needs a log-in


def test_a_guest_orders_through_the_api_with_the_same_rules(client, session, mail_dir):
    a1, _, b1 = two_shop_offers()
    session.commit()
    body = {**GUEST, "lines": [{"offer_id": a1.id, "quantity": 1}, {"offer_id": b1.id, "quantity": 1}],
            "payment_method": "bank_transfer"}
    headers = {"Idempotency-Key": "guest-1"}
    assert_error(client.post("/api/v1/guest/orders", json=body), 422)  # the key is required
    short = client.post("/api/v1/guest/orders", json={**body, "lines": [{"offer_id": b1.id, "quantity": 6}]},
                        headers=headers)
    assert_error(short, 409, "out_of_stock")
    assert short.json["errors"]["items"] == [{"offer_id": b1.id, "available": 5, "requested": 6}]
    assert_error(client.post("/api/v1/guest/orders", json={**body, "email": "nobody"}, headers=headers), 422,
                 "invalid_email")
    assert_error(client.post("/api/v1/guest/orders", json={**body, "expected_total": "1.00"}, headers=headers),
                 409, "price_changed")
    placed = client.post("/api/v1/guest/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    assert order["total"] == "5600.00" and order["payment"]["method"] == "bank_transfer"
    replay = client.post("/api/v1/guest/orders", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json["order"]["id"] == order["id"]
    assert session.query(Order).count() == 1 and session.get(Offer, b1.id).quantity == 4
    read = client.get(f"/api/v1/guest/orders/{placed.json['token']}")
    assert read.status_code == 200 and read.json["order"]["id"] == order["id"]
    assert_error(client.get("/api/v1/guest/orders/forged"), 404)
    [mail] = mail_to(mail_dir, "guest@example.com")
    # The e-mail's link is signed when the mail is written (a timed token: not byte-equal to the API's); it
    # opens the same order.
    from_mail = client.get(f"/api/v1/guest/orders/{_link_in(mail)}")
    assert from_mail.status_code == 200 and from_mail.json["order"]["id"] == order["id"]


def test_verifying_an_account_with_the_guest_address_adopts_its_orders(client, session, app):
    a1, _, _ = two_shop_offers()
    session.commit()
    body = {**GUEST, "lines": [{"offer_id": a1.id, "quantity": 1}]}
    order_id = client.post("/api/v1/guest/orders", json=body, headers={"Idempotency-Key": "g1"}).json["order"]["id"]
    other = client.post("/api/v1/guest/orders", json={**body, "email": "else@example.com"},
                        headers={"Idempotency-Key": "g2"}).json["order"]["id"]
    user = UserFactory(email="guest@example.com", is_verified=False)
    session.commit()
    token = tokens.make_token(tokens.VERIFY, {"uid": user.id, "email": user.email})
    assert client.post("/api/v1/auth/verify", json={"token": token}).status_code == 200
    session.expire_all()
    assert session.get(Order, order_id).user_id == user.id
    assert session.get(Order, other).user_id is None
