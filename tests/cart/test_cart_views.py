"""Cart pages: each as a full page and as an HTMX partial with the badge swapped out-of-band; CSRF; login merge."""

import re

from storefront.cart.models import CartItem
from storefront.extensions import db
from tests.factories import PASSWORD, CartItemFactory, OfferFactory, UserFactory
from tests.orders.order_helpers import login

HX = {"HX-Request": "true"}


def badge_count(html: str) -> int:
    match = re.search(r'id="cart-badge".*?data-testid="cart-count">(\d+)<', html, re.DOTALL)
    assert match, "no cart badge in the response"
    return int(match.group(1))


def oob_badge(html: str) -> int:
    assert re.search(r'id="cart-badge"[^>]*hx-swap-oob="true"', html), "the badge is not swapped out-of-band"
    return badge_count(html)


def test_cart_page_full_and_partial(app, client, session):
    user = UserFactory()
    CartItemFactory(user=user, offer=OfferFactory(product__name="Кофемолка", shop__name="Зерно"), quantity=2)
    session.commit()
    login(client, user)
    page = client.get("/cart/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Кофемолка" in html and "Зерно" in html and "Check out" in html
    assert badge_count(html) == 2
    partial = client.get("/cart/", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="cart"') and "<html" not in partial


def test_empty_cart_page(client):
    html = client.get("/cart/").get_data(as_text=True)
    assert "Your cart is empty" in html and badge_count(html) == 0


def test_guest_adds_with_a_plain_form_and_sees_the_badge(app, client, session):
    offer = OfferFactory(product__name="Чайник", quantity=5)
    session.commit()
    response = client.post("/cart/add", data={"offer_id": offer.id, "quantity": "2"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    html = client.get("/cart/").get_data(as_text=True)
    assert "Added to your cart: “Чайник” × 2." in html
    assert badge_count(html) == 2
    with client.session_transaction() as flask_session:
        key = flask_session["cart_key"]
    with app.app_context():
        assert db.session.query(CartItem).filter_by(session_key=key).one().quantity == 2


def test_a_guests_first_page_makes_its_cart_key_so_every_tab_gets_the_live_badge(app, client, session):
    offer = OfferFactory(quantity=5)
    session.commit()
    html = client.get("/cart/").get_data(as_text=True)
    assert re.search(r'id="cart-badge"[^>]*data-live-topic="cart"', html)
    with client.session_transaction() as flask_session:
        key = flask_session["cart_key"]  # before anything was added: tabs opened now share its channel
    client.post("/cart/add", data={"offer_id": offer.id, "quantity": "1"})
    with client.session_transaction() as flask_session:
        assert flask_session["cart_key"] == key  # the add kept it
    with app.app_context():
        assert db.session.query(CartItem).filter_by(session_key=key).one().quantity == 1


def test_plain_add_returns_to_a_safe_next_only(client, session):
    offer = OfferFactory()
    session.commit()
    back = client.post("/cart/add", data={"offer_id": offer.id, "quantity": 1, "next": "/product/1"})
    assert back.headers["Location"].endswith("/product/1")
    offsite = client.post("/cart/add", data={"offer_id": offer.id, "quantity": 1, "next": "https://evil.example/"})
    assert offsite.headers["Location"].endswith("/cart/")


def test_htmx_add_returns_a_notice_and_the_badge_out_of_band(client, session):
    offer = OfferFactory(product__name="Чайник", quantity=5)
    session.commit()
    response = client.post("/cart/add", data={"offer_id": offer.id, "quantity": 3}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'class="cart-added"' in html and "Чайник" in html
    assert oob_badge(html) == 3


def test_add_errors_are_clear_and_write_nothing(app, client, session):
    offer = OfferFactory(quantity=2, product__name="Чайник")
    paused = OfferFactory(shop__accepting_orders=False, shop__name="Пауза")
    session.commit()
    cases = [
        ({"offer_id": offer.id, "quantity": 3}, "Only 2 of “Чайник” in stock."),
        ({"offer_id": offer.id, "quantity": 0}, "at least 1"),
        ({"offer_id": offer.id, "quantity": -2}, "at least 1"),
        ({"offer_id": offer.id, "quantity": "1.5"}, "whole number"),
        ({"offer_id": offer.id, "quantity": "lots"}, "whole number"),
        ({"offer_id": 987654, "quantity": 1}, "does not exist"),
        ({"offer_id": paused.id, "quantity": 1}, "Пауза is not taking orders"),
    ]
    for data, message in cases:
        html = client.post("/cart/add", data=data, headers=HX).get_data(as_text=True)
        assert "cart-added-error" in html and message in html, (data, html)
        assert oob_badge(html) == 0
        plain = client.post("/cart/add", data=data, follow_redirects=True).get_data(as_text=True)
        assert message in plain
    with app.app_context():
        assert db.session.query(CartItem).count() == 0


def test_change_quantity_full_and_partial(app, client, session):
    user = UserFactory()
    item = CartItemFactory(user=user, offer=OfferFactory(quantity=5), quantity=1)
    session.commit()
    login(client, user)
    html = client.post(f"/cart/items/{item.id}", data={"quantity": 4}, headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="cart"') and oob_badge(html) == 4
    too_many = client.post(f"/cart/items/{item.id}", data={"quantity": 9}, headers=HX).get_data(as_text=True)
    assert "Only 5" in too_many and oob_badge(too_many) == 4
    plain = client.post(f"/cart/items/{item.id}", data={"quantity": 2})
    assert plain.status_code == 303
    assert badge_count(client.get("/cart/").get_data(as_text=True)) == 2


def test_remove_full_and_partial_and_never_another_users_line(app, client, session):
    user, other = UserFactory(), UserFactory()
    mine = CartItemFactory(user=user, quantity=1)
    also_mine = CartItemFactory(user=user, quantity=1)
    theirs = CartItemFactory(user=other, quantity=1)
    session.commit()
    login(client, user)
    html = client.post(f"/cart/items/{mine.id}/remove", headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="cart"') and oob_badge(html) == 1
    assert client.post(f"/cart/items/{also_mine.id}/remove").status_code == 303
    assert client.post(f"/cart/items/{theirs.id}/remove").status_code == 404
    assert client.post(f"/cart/items/{theirs.id}", data={"quantity": 1}).status_code == 404
    hx_other = client.post(f"/cart/items/{theirs.id}/remove", headers=HX).get_data(as_text=True)
    assert "not in your cart" in hx_other
    with app.app_context():
        assert db.session.get(CartItem, theirs.id) is not None
        assert db.session.query(CartItem).filter_by(user_id=user.id).count() == 0


def test_empty_cart_full_and_partial_even_when_already_empty(app, client, session):
    user = UserFactory()
    CartItemFactory(user=user, quantity=2)
    session.commit()
    login(client, user)
    html = client.post("/cart/empty", headers=HX).get_data(as_text=True)
    assert "Your cart is empty" in html and oob_badge(html) == 0
    again = client.post("/cart/empty", headers=HX)
    assert again.status_code == 200 and "flash-error" not in again.get_data(as_text=True)
    assert client.post("/cart/empty").status_code == 303
    assert client.post("/cart/empty", follow_redirects=True).status_code == 200  # a guest with no cart at all


def test_state_changes_need_the_csrf_token(csrf_app, client, session):
    offer = OfferFactory()
    item = CartItemFactory(quantity=1)
    session.commit()
    assert client.post("/cart/add", data={"offer_id": offer.id, "quantity": 1}).status_code == 400
    assert client.post("/cart/add", data={"offer_id": offer.id}, headers=HX).status_code == 400
    assert client.post(f"/cart/items/{item.id}", data={"quantity": 1}).status_code == 400
    assert client.post(f"/cart/items/{item.id}/remove").status_code == 400
    assert client.post("/cart/empty").status_code == 400
    with csrf_app.app_context():
        assert db.session.query(CartItem).count() == 1


def test_csrf_token_from_the_page_is_accepted(csrf_app, client, session):
    offer = OfferFactory()
    session.commit()
    html = client.get("/cart/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    response = client.post("/cart/add", data={"offer_id": offer.id, "quantity": 1}, headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200 and oob_badge(response.get_data(as_text=True)) == 1


def test_guest_cart_joins_the_account_when_logging_in(app, client, session):
    user = UserFactory(email="buyer@example.com")
    offer = OfferFactory(quantity=5)
    session.commit()
    client.post("/cart/add", data={"offer_id": offer.id, "quantity": 2})
    response = client.post("/login", data={"email": "buyer@example.com", "password": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(CartItem).filter_by(user_id=user.id).one().quantity == 2
        assert db.session.query(CartItem).filter(CartItem.session_key.isnot(None)).count() == 0
    assert badge_count(client.get("/cart/").get_data(as_text=True)) == 2
