"""Issue 20's behaviour bugs, each pinned: out-of-stock cards, checkout's button order, the users table's role
form, the webhook form's events, a cart quantity above the stock (page and API)."""

import re

from storefront.accounts.api_tokens import issue_token_pair
from storefront.accounts.models import Role, User
from storefront.extensions import db
from storefront.webhooks.models import Webhook
from tests.api.conftest import bearer
from tests.factories import (
    CartItemFactory,
    CategoryFactory,
    ContactFactory,
    OfferFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    UserFactory,
)
from tests.orders.order_helpers import login

HX = {"HX-Request": "true"}


def test_out_of_stock_cards_show_no_quantity_box(client, session):
    product = ProductFactory(name="Пусто", category=CategoryFactory())
    OfferFactory(product=product, shop=ShopFactory(accepting_orders=True), quantity=0)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    card = html[html.index('class="product-card"'):]
    card = card[:card.index("</li>")]
    assert "Пусто" in card and 'name="quantity"' not in card and "<form" not in card
    assert 'class="sold-out"' in card and "Out of stock" in card


def test_the_new_strings_speak_russian(app, client, session):
    product = ProductFactory(name="Пусто", category=CategoryFactory())
    OfferFactory(product=product, shop=ShopFactory(accepting_orders=True), quantity=0)
    session.commit()
    app.config["STOREFRONT_LOCALE"] = "ru"
    html = client.get(f"/product/{product.id}").get_data(as_text=True)
    assert 'aria-label="Фотографии"' in html and "Нет в наличии" in html and ">Меню</summary>" in html


def test_checkout_places_the_button_after_the_address_form(client, session):
    user = UserFactory()
    CartItemFactory(user=user, offer=OfferFactory(quantity=5), quantity=1)
    session.commit()
    login(client, user)
    html = client.get("/orders/checkout").get_data(as_text=True)
    button = re.search(r'<button type="submit" form="place-order" id="place-order-button" disabled>', html)
    assert button and button.start() > html.index('class="add-contact"')  # not above the form that enables it
    ContactFactory(user=user)
    session.commit()
    html = client.get("/orders/checkout").get_data(as_text=True)
    assert '<button type="submit" form="place-order" id="place-order-button">' in html


def test_the_users_filter_reacts_only_to_its_own_fields_and_the_notice_names_the_new_role(client, session):
    staff, ann = StaffFactory(), UserFactory(email="ann@example.com")
    session.commit()
    login(client, staff)
    html = client.get("/staff/users").get_data(as_text=True)
    # `from:select` listened to every <select> on the page, the rows' role dropdowns too.
    assert "from:select" not in html and 'change from:find select' in html
    answer = client.post(f"/staff/users/{ann.id}/role", data={"role": "staff"}, headers=HX).get_data(as_text=True)
    assert "The role is now Staff." in answer and re.search(r'<option value="staff" selected>', answer)
    db.session.expire_all()
    assert db.session.get(User, ann.id).role is Role.STAFF


def test_webhook_events_are_not_each_required_but_one_is(client, session):
    staff = StaffFactory()
    session.commit()
    login(client, staff)
    html = client.get("/staff/webhooks").get_data(as_text=True)
    checkboxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    assert checkboxes and not any("required" in box for box in checkboxes)
    none = client.post("/staff/webhooks", data={"url": "https://erp.example.com/hook"})
    assert "Choose at least one event." in none.get_data(as_text=True) and db.session.query(Webhook).count() == 0
    first_event = re.search(r'name="events"[^>]*value="([^"]+)"', html).group(1)
    client.post("/staff/webhooks", data={"url": "https://93.184.216.34/hook", "events": [first_event]})
    assert [hook.events for hook in db.session.query(Webhook)] == [[first_event]]


def test_a_quantity_above_the_stock_is_refused_out_loud_on_the_page_and_in_the_api(client, session):
    user = UserFactory()
    item = CartItemFactory(user=user, offer=OfferFactory(quantity=3, product=ProductFactory(name="Чайник")),
                           quantity=1)
    session.commit()
    login(client, user)
    page = client.get("/cart/").get_data(as_text=True)
    field = re.search(rf'<input id="qty-{item.id}"[^>]*>', page).group(0)
    assert "max=" not in field  # a max made htmx drop the request without a word
    answer = client.post(f"/cart/items/{item.id}", data={"quantity": 99}, headers=HX).get_data(as_text=True)
    assert 'role="alert">Only 3 of “Чайник” in stock.' in answer and "3 in stock" in answer
    token = issue_token_pair(user).access_token
    session.commit()
    api = client.patch(f"/api/v1/cart/items/{item.id}", json={"quantity": 99}, headers=bearer(token))
    body = api.get_json()
    assert api.status_code == 409 and body["code"] == "out_of_stock" and "Only 3" in body["message"]
    assert body["errors"]["items"] == [{"offer_id": item.offer_id, "available": 3, "requested": 99}]
    db.session.expire_all()
    assert db.session.get(type(item), item.id).quantity == 1
