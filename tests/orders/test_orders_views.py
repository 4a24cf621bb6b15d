"""Orders pages: checkout (full page and HTMX), thank-you, history, order page with live status, cancel, invoice."""

import re
from decimal import Decimal

import pytest

from storefront.cart.models import CartItem
from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.orders import services
from storefront.orders.models import Order, OrderStatus
from tests.factories import (
    ContactFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)
from tests.orders.order_helpers import login, shopper_with_cart, two_shop_offers

HX = {"HX-Request": "true"}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def checkout_form(client, contact_id: int) -> dict:
    html = client.get("/orders/checkout").get_data(as_text=True)
    return {"contact_id": contact_id, "idempotency_key": hidden(html, "idempotency_key"),
            "expected_total": hidden(html, "expected_total"), "seen": hidden(html, "seen")}


def count(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


@pytest.fixture
def shopper(session, client):
    a1, a2, b1 = two_shop_offers()
    user, contact = shopper_with_cart((a1, 2), (a2, 1), (b1, 1))
    session.commit()
    login(client, user)
    return user, contact, (a1, a2, b1)


def test_checkout_page_full_and_partial(client, shopper):
    _, contact, _ = shopper
    page = client.get("/orders/checkout")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Электролайн" in html and "Технопарк" in html and "Тверская" in html
    assert hidden(html, "expected_total") == "8800.00"
    assert re.fullmatch(r"[0-9a-f]{32}", hidden(html, "idempotency_key"))
    assert f'value="{contact.id}" required\n          checked' in html or "checked" in html
    partial = client.get("/orders/checkout", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="checkout"') and "<html" not in partial


def test_checkout_is_for_verified_shoppers_or_guests(app, client, session):
    guest = client.get("/orders/checkout")  # anonymous: the guest checkout (see test_guest_checkout.py)
    assert guest.status_code == 200 and "Your cart is empty" in guest.get_data(as_text=True)
    user, _ = shopper_with_cart(verified=False)
    session.commit()
    login(client, user)
    response = client.get("/orders/checkout")
    assert response.status_code == 302 and "confirm" in response.headers["Location"]
    assert client.post("/orders/checkout", data={}).status_code == 302
    assert client.post("/orders/checkout/hold").status_code == 302
    assert client.get("/orders/checkout", headers=HX).headers.get("HX-Redirect")


def test_place_order_then_thank_you(app, client, shopper):
    user, contact, _ = shopper
    response = client.post("/orders/checkout", data=checkout_form(client, contact.id))
    assert response.status_code == 303
    with app.app_context():
        order = db.session.query(Order).one()
        assert order.total == Decimal("8800.00") and order.user_id == user.id
    assert response.headers["Location"].endswith(f"/orders/{order.id}/thanks")
    thanks = client.get(f"/orders/{order.id}/thanks")
    html = thanks.get_data(as_text=True)
    assert thanks.status_code == 200 and f"#{order.id}" in html and "Thank you" in html
    partial = client.get(f"/orders/{order.id}/thanks", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="thanks"')
    assert count(app, CartItem) == 0


def test_htmx_place_order_redirects_the_page(app, client, shopper):
    _, contact, _ = shopper
    response = client.post("/orders/checkout", data=checkout_form(client, contact.id), headers=HX)
    assert response.status_code == 204 and re.search(r"/orders/\d+/thanks$", response.headers["HX-Redirect"])


def test_double_submit_places_one_order(app, client, shopper):
    _, contact, (a1, _, _) = shopper
    form = checkout_form(client, contact.id)
    first = client.post("/orders/checkout", data=form)
    second = client.post("/orders/checkout", data=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Order) == 1
    with app.app_context():
        assert db.session.get(Offer, a1.id).quantity == 8


def test_changed_price_is_shown_and_must_be_confirmed(app, client, shopper):
    _, contact, (_, _, b1) = shopper
    form = checkout_form(client, contact.id)
    with app.app_context():
        db.session.get(Offer, b1.id).price = Decimal("2500.00")
        db.session.commit()
    response = client.post("/orders/checkout", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Prices have changed" in html
    assert "price-changed" in html and "Confirm the new total" in html
    assert hidden(html, "expected_total") == "9300.00"
    assert hidden(html, "idempotency_key") == form["idempotency_key"]
    assert count(app, Order) == 0
    partial = client.post("/orders/checkout", data=form, headers=HX)
    assert partial.status_code == 200 and "Prices have changed" in partial.get_data(as_text=True)
    confirmed = client.post("/orders/checkout", data={**form, "expected_total": "9300.00"})
    assert confirmed.status_code == 303 and count(app, Order) == 1


def test_forged_total_writes_nothing(app, client, shopper):
    _, contact, _ = shopper
    form = {**checkout_form(client, contact.id), "expected_total": "1.00"}
    assert client.post("/orders/checkout", data=form).status_code == 409
    assert count(app, Order) == 0


def test_shortage_is_shown_and_accepting_it_fixes_the_cart(app, client, shopper):
    _user, contact, (a1, _, _) = shopper
    with app.app_context():
        db.session.get(Offer, a1.id).quantity = 1
        db.session.commit()
    page = client.get("/orders/checkout").get_data(as_text=True)
    assert "Only 1 of" in page and "Accept available quantities" in page
    response = client.post("/orders/checkout", data=checkout_form(client, contact.id))
    assert response.status_code == 409 and "Not enough stock" in response.get_data(as_text=True)
    assert count(app, Order) == 0
    adjusted = client.post("/orders/checkout/adjust", headers=HX).get_data(as_text=True)
    assert adjusted.lstrip().startswith('<section id="checkout"') and "lowered from 2 to 1" in adjusted
    assert client.post("/orders/checkout/adjust").status_code == 303
    assert client.post("/orders/checkout", data=checkout_form(client, contact.id)).status_code == 303


def test_someone_elses_contact_and_bad_input_write_nothing(app, client, shopper, session):
    stranger = ContactFactory()
    session.commit()
    form = checkout_form(client, contact_id=stranger.id)
    response = client.post("/orders/checkout", data=form)
    assert response.status_code == 404 and "No such delivery contact" in response.get_data(as_text=True)
    missing = client.post("/orders/checkout", data={**form, "contact_id": ""})
    assert missing.status_code == 400 and "Choose a delivery address" in missing.get_data(as_text=True)
    assert client.post("/orders/checkout", data={**form, "idempotency_key": ""}).status_code == 400
    assert count(app, Order) == 0


def test_empty_cart_at_checkout(app, client, session):
    user, contact = shopper_with_cart()
    session.commit()
    login(client, user)
    assert "Your cart is empty" in client.get("/orders/checkout").get_data(as_text=True)
    form = {"contact_id": contact.id, "idempotency_key": "k", "expected_total": "0"}
    response = client.post("/orders/checkout", data=form)
    assert response.status_code == 409 and "Your cart is empty" in response.get_data(as_text=True)


def test_add_a_delivery_address_inline(app, client, shopper):
    user, _, _ = shopper
    fields = {"recipient": "Анна", "city": "Казань", "street": "Баумана", "house": "5", "phone": "+7 843 000-00-00"}
    html = client.post("/orders/checkout/contact", data=fields, headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="checkout"') and "Казань, Баумана, 5" in html
    plain = client.post("/orders/checkout/contact", data={**fields, "city": "Самара"})
    assert plain.status_code == 303 and "contact=" in plain.headers["Location"]
    bad = client.post("/orders/checkout/contact", data={**fields, "phone": "call me"})
    assert bad.status_code == 400 and "Enter a phone number" in bad.get_data(as_text=True)
    with app.app_context():
        from storefront.accounts.models import Contact

        assert db.session.query(Contact).filter_by(user_id=user.id).count() == 3


@pytest.fixture
def placed(app, client, shopper, session):
    user, contact, offers = shopper
    order = services.place_order(user, contact.id, "placed")
    session.commit()
    return order, user, offers


def test_history_full_and_partial_newest_first_only_mine(app, client, placed, session):
    order, user, (a1, _, _) = placed
    other, other_contact = shopper_with_cart((a1, 1))
    session.commit()
    services.place_order(other, other_contact.id, "x")
    session.add(CartItem(user_id=user.id, offer_id=a1.id, quantity=1))
    session.commit()
    newer = services.place_order(user, placed[1].contacts[0].id, "second")
    session.commit()
    html = client.get("/orders/").get_data(as_text=True)
    assert "<html" in html and html.index(f"#{newer.id}<") < html.index(f"#{order.id}<")
    assert html.count('class="order-row"') == 2 and "New" in html
    partial = client.get("/orders/?page=1", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="orders-list"')


LIVE_TRIGGER = 'hx-trigger="every 5s, live:order from:body"'


def test_order_page_full_and_live_partial(app, client, placed, session):
    order, _, _ = placed
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "<html" in html and "Москва, Тверская, 1" in html and "Электролайн" in html and "Технопарк" in html
    assert f"/orders/{order.id}/invoice.pdf" in html and "Cancel the order" in html
    partial = client.get(f"/orders/{order.id}", headers=HX).get_data(as_text=True)
    # It polls every 5 s (while the live socket is down) and refreshes on a live push.
    assert partial.lstrip().startswith('<section id="order-status"') and LIVE_TRIGGER in partial
    services.change_status(session.get(Order, order.id), "confirmed", StaffFactory(name="Ольга"))
    session.commit()
    partial = client.get(f"/orders/{order.id}", headers=HX).get_data(as_text=True)
    assert "Confirmed" in partial and "Cancel the order" not in partial and LIVE_TRIGGER in partial
    services.change_status(session.get(Order, order.id), "cancelled", StaffFactory())
    session.commit()
    final = client.get(f"/orders/{order.id}", headers=HX).get_data(as_text=True)
    assert "Cancelled" in final and "hx-trigger" not in final  # polling stops at a final state


def test_another_shoppers_order_is_404_everywhere(app, client, placed, session):
    order, _, _ = placed
    login(client, UserFactory())
    session.commit()
    for url in [f"/orders/{order.id}", f"/orders/{order.id}/thanks", f"/orders/{order.id}/invoice.pdf"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/orders/{order.id}/cancel").status_code == 404
    assert client.get(f"/orders/{order.id}", headers=HX).status_code == 404
    with app.app_context():
        assert db.session.get(Order, order.id).status == OrderStatus.NEW


def test_staff_and_the_right_supplier_see_the_order(app, client, placed, session):
    order, _, (a1, _, _) = placed
    staff = StaffFactory()
    supplier = SupplierFactory(shop=a1.shop)
    session.commit()
    login(client, staff)
    assert client.get(f"/orders/{order.id}").status_code == 200
    login(client, supplier)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Электролайн" in html and "Кофемолка" not in html and "invoice.pdf" not in html


def test_cancel_full_and_partial(app, client, placed, session):
    order, _, (a1, _, _) = placed
    html = client.post(f"/orders/{order.id}/cancel", headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="order-status"') and "is cancelled" in html
    with app.app_context():
        assert db.session.get(Offer, a1.id).quantity == 10
    again = client.post(f"/orders/{order.id}/cancel", headers=HX).get_data(as_text=True)
    assert "only a new order can be cancelled" in again
    plain = client.post(f"/orders/{order.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "only a new order can be cancelled" in plain


def test_invoice_download(app, client, placed):
    order, _, _ = placed
    response = client.get(f"/orders/{order.id}/invoice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"invoice-{order.id}.pdf" in response.headers["Content-Disposition"]


def test_invoice_is_rendered_on_demand_if_the_job_has_not_run(app, client, placed, session, invoice_dir):
    order, _, _ = placed
    for path in invoice_dir.glob("*.pdf"):
        path.unlink()
    session.get(Order, order.id).invoice_path = None
    session.commit()
    assert client.get(f"/orders/{order.id}/invoice.pdf").data.startswith(b"%PDF")
    with app.app_context():
        assert db.session.get(Order, order.id).invoice_path


def test_orders_state_changes_need_the_csrf_token(csrf_app, client, placed):
    order, _, _ = placed
    assert client.post("/orders/checkout", data={"contact_id": 1, "idempotency_key": "k"}).status_code == 400
    assert client.post(f"/orders/{order.id}/cancel").status_code == 400
    assert client.post("/orders/checkout/contact", data={"city": "x"}).status_code == 400
    assert client.post("/orders/checkout/adjust").status_code == 400
    with csrf_app.app_context():
        assert db.session.get(Order, order.id).status == OrderStatus.NEW
