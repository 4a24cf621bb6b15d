"""Payment on both doors: the method at checkout (page and API), staff recording (back-office and staff API),
suppliers recording their part paid on delivery (portal and partner API)."""

from __future__ import annotations

from decimal import Decimal

from storefront.orders import checkout
from storefront.orders.models import Order
from tests.api.conftest import assert_error
from tests.factories import StaffFactory, SupplierFactory
from tests.orders.order_helpers import login, shopper_with_cart, two_shop_offers
from tests.orders.test_orders_views import HX, checkout_form


def _placed(session, method="bank_transfer"):
    a1, _, b1 = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1), (b1, 1))
    session.commit()
    order = checkout.place_order(user, contact.id, "k1", payment_method=method)
    session.commit()
    return order, a1.shop, b1.shop


def test_the_checkout_page_offers_the_methods_and_keeps_the_choice(client, session):
    a1, _, _ = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1))
    session.commit()
    login(client, user)
    html = client.get("/orders/checkout").get_data(as_text=True)
    assert 'value="bank_transfer"' in html and 'value="cash_on_delivery"' in html and "Card on delivery" in html
    bad = client.post("/orders/checkout", data={**checkout_form(client, contact.id), "payment_method": "barter"})
    assert bad.status_code == 400 and "not a payment method" in bad.get_data(as_text=True)
    form = {**checkout_form(client, contact.id), "payment_method": "card_on_delivery"}
    assert client.post("/orders/checkout", data=form).status_code == 303
    order = session.query(Order).one()
    assert (order.payment_method, order.payment_status) == ("card_on_delivery", "unpaid")
    page = client.get(f"/orders/{order.id}/thanks")
    assert page.status_code == 200


def test_the_api_places_with_a_method_and_shows_the_payment(client, session, auth_headers):
    a1, _, _ = two_shop_offers()
    user, contact = shopper_with_cart((a1, 1))
    session.commit()
    headers = {**auth_headers(user), "Idempotency-Key": "k-api"}
    refused = client.post("/api/v1/orders", json={"contact_id": contact.id, "payment_method": "barter"},
                          headers=headers)
    assert_error(refused, 400, "invalid_payment_method")
    placed = client.post("/api/v1/orders", json={"contact_id": contact.id, "payment_method": "cash_on_delivery"},
                         headers=headers)
    assert placed.status_code == 201, placed.json
    payment = placed.json["payment"]
    assert (payment["method"], payment["status"], payment["paid"], payment["due"]) == (
        "cash_on_delivery", "unpaid", "0.00", "3300.00")
    assert "on delivery" in payment["terms"] and placed.json["payments"] == []


def test_staff_record_a_payment_on_the_back_office_page(client, session):
    order, _, _ = _placed(session)
    login(client, StaffFactory())
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert 'id="order-payments"' in page and "Unpaid" in page and "within" in page  # the terms
    partial = client.post(f"/staff/orders/{order.id}/payments", data={"kind": "payment", "amount": "1000.00",
                                                                     "reference": "п/п 7"}, headers=HX)
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and html.lstrip().startswith("{#") is False
    assert 'id="order-payments"' in html and "Partly paid" in html and "п/п 7" in html
    too_much = client.post(f"/staff/orders/{order.id}/payments", data={"kind": "payment", "amount": "99999"})
    assert too_much.status_code == 409 and "still due" in too_much.get_data(as_text=True)
    plain = client.post(f"/staff/orders/{order.id}/payments", data={"kind": "payment", "amount": "4600.00"})
    assert plain.status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).payment_status == "paid"


def test_staff_record_payments_and_refunds_through_the_api(client, session, auth_headers):
    order, _, _ = _placed(session)
    staff, shopper = StaffFactory(), order.user
    session.commit()
    url = f"/api/v1/orders/{order.id}/payments"
    assert_error(client.post(url, json={"amount": "10.00"}, headers=auth_headers(shopper)), 403)
    paid = client.post(url, json={"amount": "5600.00", "reference": "п/п 9"}, headers=auth_headers(staff))
    assert paid.status_code == 201, paid.json
    assert paid.json["payment"]["status"] == "paid" and paid.json["payments"][0]["reference"] == "п/п 9"
    assert_error(client.post(url, json={"amount": "0.01"}, headers=auth_headers(staff)), 409, "payment_refused")
    assert_error(client.post(url, json={"amount": "-1"}, headers=auth_headers(staff)), 400, "invalid_amount")
    refund = client.post(url, json={"kind": "refund", "amount": "5600.00"}, headers=auth_headers(staff))
    assert refund.json["payment"]["status"] == "refunded" and refund.json["payment"]["paid"] == "0.00"
    mine = client.get(f"/api/v1/orders/{order.id}", headers=auth_headers(shopper)).json
    assert mine["payment"]["status"] == "refunded" and len(mine["payments"]) == 2


def test_a_supplier_records_its_part_on_the_portal(client, session):
    order, shop_a, _ = _placed(session, "cash_on_delivery")
    owner = SupplierFactory(shop=shop_a)
    session.commit()
    login(client, owner)
    page = client.get(f"/supplier/orders/{order.id}").get_data(as_text=True)
    assert 'id="part-payments"' in page and "Cash on delivery" in page
    over = client.post(f"/supplier/orders/{order.id}/payments", data={"amount": "3300.01"}, headers=HX)
    assert "left to pay" in over.get_data(as_text=True)
    done = client.post(f"/supplier/orders/{order.id}/payments", data={"amount": "3300.00"}, headers=HX)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Payment recorded" in html and "2300" not in html  # not the other part
    session.expire_all()
    assert session.get(Order, order.id).payment_status == "partly_paid"


def test_a_supplier_records_its_part_through_the_partner_api(client, session, auth_headers):
    order, shop_a, shop_b = _placed(session, "card_on_delivery")
    owner_a, owner_b = SupplierFactory(shop=shop_a), SupplierFactory(shop=shop_b)
    session.commit()
    url = f"/api/v1/partner/orders/{order.id}/payments"
    before = client.get(url, headers=auth_headers(owner_a)).json
    assert (before["total"], before["due"], before["payments"]) == ("3300.00", "3300.00", [])
    recorded = client.post(url, json={"amount": "3300.00"}, headers=auth_headers(owner_a))
    assert recorded.status_code == 201 and recorded.json["due"] == "0.00"
    assert_error(client.post(url, json={"amount": "2300.01"}, headers=auth_headers(owner_b)), 409, "payment_refused")
    assert client.post(url, json={"amount": "2300.00"}, headers=auth_headers(owner_b)).status_code == 201
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.payment_status == "paid" and order.paid_amount == Decimal("5600.00")
    stranger = SupplierFactory(shop=None)
    session.commit()
    assert_error(client.get(url, headers=auth_headers(stranger)), 404)
