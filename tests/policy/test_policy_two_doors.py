"""Two doors, one policy (issue 16): each rule performed through the pages and through the API, same outcome.

Rules: a verified e-mail for placing orders, imports, exports, order-part actions and the shop's order
acceptance; staff only (and active); a supplier sees only its own parts of an order; a shopper sees only their
own orders, contacts, cart lines and conversations. Each test runs one action through the `page` door (the
session cookie, via the one login helper) and the `api` door (a bearer token), and normalises the answer to
what happened — refused or done — checking the database, not only the status.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from flask import url_for

from storefront.catalog.models import Shop
from storefront.extensions import db
from storefront.models import CartItem, Contact, ImportJob, Order, OrderPart, OrderStatus
from storefront.orders import checkout
from storefront.support.models import Conversation, Message
from storefront.templating import format_money
from tests.factories import (
    CartItemFactory,
    ContactFactory,
    OfferFactory,
    ShopFactory,
    StaffFactory,
    SupplierFactory,
    UserFactory,
)
from tests.orders.order_helpers import login, shopper_with_cart

DOORS = ("page", "api")
PRICE_LIST = b"""shop: Policy shop
categories:
  - id: 1
    name: Phones
goods:
  - id: 10
    category: 1
    model: policy/phone
    name: Policy phone
    price: 100
    price_rrc: 120
    quantity: 3
    parameters: {}
"""


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")  # never into the app's instance/
    app.config["SUPPLIER_EXPORT_DIR"] = str(tmp_path / "exports")
    return app


class Door:
    """Sends one request as `user` through the page (session cookie) or the API (bearer token)."""

    def __init__(self, name: str, client, auth_headers):
        self.name, self.client, self._auth_headers = name, client, auth_headers

    def as_(self, user):
        if self.name == "page":
            login(self.client, user)
            self.headers = {}
        else:
            self.headers = self._auth_headers(user)
        return self

    def send(self, method: str, url: str, **kwargs):
        return self.client.open(url, method=method, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)


@pytest.fixture(params=DOORS)
def door(request, client, auth_headers):
    return Door(request.param, client, auth_headers)


def _fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


# --- verified e-mail only ------------------------------------------------------------------------------------


def _unverified(door: Door, response) -> bool:
    """The refusal each door gives an unverified account: the confirm-your-e-mail page, or 403 JSON."""
    if door.name == "page":
        return response.status_code in (302, 303) and response.location.endswith(url_for("accounts.confirm_notice"))
    return response.status_code == 403 and response.json["code"] == "email_unverified"


def _supplier_with_order(verified: bool):
    shop = ShopFactory(name="Электролайн", accepting_orders=False)
    supplier = SupplierFactory(shop=shop, is_verified=verified, verified_at=None)
    buyer, contact = shopper_with_cart((OfferFactory(shop=shop, quantity=5), 1))
    return supplier, shop, buyer, contact


@pytest.mark.parametrize("verified", [False, True], ids=["unverified", "verified"])
def test_placing_an_order_needs_a_verified_email(door, session, verified):
    user, contact = shopper_with_cart((OfferFactory(quantity=5), 1), verified=verified)
    session.commit()
    door.as_(user)
    if door.name == "page":
        response = door.send("POST", "/orders/checkout", data={"contact_id": contact.id, "idempotency_key": "k1"})
    else:
        response = door.send("POST", "/api/v1/orders", json={"contact_id": contact.id},
                             headers={"Idempotency-Key": "k1"})
    orders = session.query(Order).filter_by(user_id=user.id).count()
    if verified:
        assert response.status_code in (201, 303), response.get_data(as_text=True)
        assert orders == 1
    else:
        assert _unverified(door, response), response.get_data(as_text=True)
        assert orders == 0 and session.query(CartItem).filter_by(user_id=user.id).count() == 1


# A verified URL import would fetch from the network; the file import shows the verified side of the rule.
@pytest.mark.parametrize(("source", "verified"), [("file", False), ("url", False), ("file", True)],
                         ids=["file-unverified", "url-unverified", "file-verified"])
def test_starting_an_import_needs_a_verified_email(door, session, verified, source):
    supplier, shop, _, _ = _supplier_with_order(verified)
    session.commit()
    door.as_(supplier)
    url = "/supplier/imports" if door.name == "page" else "/api/v1/partner/price-list"
    if source == "file":
        response = door.send("POST", url, data={"file": (io.BytesIO(PRICE_LIST), "price-list.yaml")},
                             content_type="multipart/form-data")
    elif door.name == "page":
        response = door.send("POST", url, data={"url": "https://example.com/price-list.yaml"})
    else:
        response = door.send("POST", url, json={"url": "https://example.com/price-list.yaml"})
    imports = session.query(ImportJob).filter_by(shop_id=shop.id).count()
    if verified:
        assert response.status_code in (202, 303), response.get_data(as_text=True)
        assert imports == 1
    else:
        assert _unverified(door, response), response.get_data(as_text=True)
        assert imports == 0


@pytest.mark.parametrize("verified", [False, True], ids=["unverified", "verified"])
def test_opening_the_shop_needs_a_verified_email(door, session, verified):
    supplier, shop, _, _ = _supplier_with_order(verified)
    session.commit()
    door.as_(supplier)
    if door.name == "page":
        response = door.send("POST", "/supplier/accepting", data={"accepting": "1"})
    else:
        response = door.send("PATCH", "/api/v1/partner/state", json={"accepting_orders": True})
    if verified:
        assert response.status_code in (200, 303), response.get_data(as_text=True)
    else:
        assert _unverified(door, response), response.get_data(as_text=True)
    assert _fresh(Shop, shop.id).accepting_orders is verified


@pytest.mark.parametrize("verified", [False, True], ids=["unverified", "verified"])
def test_exporting_needs_a_verified_email(door, session, verified):
    supplier, _, _, _ = _supplier_with_order(verified)
    session.commit()
    door.as_(supplier)
    url = "/supplier/export/price-list.yaml" if door.name == "page" else "/api/v1/partner/price-list"
    response = door.send("GET", url)
    if verified:
        assert response.status_code == 200 and response.mimetype == "application/x-yaml"
    else:
        assert _unverified(door, response), response.get_data(as_text=True)
        assert response.mimetype != "application/x-yaml"


@pytest.mark.parametrize("verified", [False, True], ids=["unverified", "verified"])
def test_order_part_actions_need_a_verified_email(door, session, verified):
    supplier, shop, buyer, contact = _supplier_with_order(verified)
    shop.accepting_orders = True
    order = checkout.place_order(buyer, contact.id, "part-action")
    session.commit()
    door.as_(supplier)
    if door.name == "page":
        response = door.send("POST", f"/supplier/orders/{order.id}/status", data={"status": "confirmed"})
    else:
        response = door.send("POST", f"/api/v1/partner/orders/{order.id}/confirm")
    part = _fresh(OrderPart, order.parts[0].id)
    if verified:
        assert response.status_code in (200, 303), response.get_data(as_text=True)
        assert part.status is OrderStatus.CONFIRMED
    else:
        assert _unverified(door, response), response.get_data(as_text=True)
        assert part.status is OrderStatus.NEW


# --- staff only, and active ----------------------------------------------------------------------------------

STAFF_ACTIONS = {
    "every order": ("/staff/orders", "/api/v1/admin/orders"),
    "shops": ("/staff/shops", "/api/v1/admin/shops"),
    "webhooks": ("/staff/webhooks", "/api/v1/webhooks"),
    "accounts": ("/staff/users", "/api/v1/users"),
}


def _staff_outcome(door: Door, response) -> str:
    if response.status_code == 200:
        return "done"
    if door.name == "page" and response.status_code in (302, 303):
        assert "/login" in response.location  # an ended session: sent to log in again
        return "refused"
    assert response.status_code in (401, 403), response.get_data(as_text=True)
    return "refused"


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
@pytest.mark.parametrize("who", ["staff", "inactive staff", "shopper", "supplier"])
def test_staff_tools_are_for_active_staff_only(door, session, action, who):
    users = {"staff": lambda: StaffFactory(), "inactive staff": lambda: StaffFactory(),
             "shopper": lambda: UserFactory(), "supplier": lambda: SupplierFactory()}
    user = users[who]()
    session.commit()
    door.as_(user)  # signed in (or token issued) while active …
    if who == "inactive staff":
        user.is_active = False  # … then disabled by another clerk
        session.commit()
    page_url, api_url = STAFF_ACTIONS[action]
    response = door.send("GET", page_url if door.name == "page" else api_url)
    assert _staff_outcome(door, response) == ("done" if who == "staff" else "refused")


# --- a supplier sees only its own parts ----------------------------------------------------------------------


@pytest.fixture
def shared_order(app, session):
    """One order with a part from shop A and a part from shop B; (order, supplier of A, B's telltales)."""
    shop_a, shop_b = ShopFactory(name="Электролайн"), ShopFactory(name="Технопарк-Б")
    a = OfferFactory(shop=shop_a, product__name="Смартфон Альфа", price=Decimal("3111.00"), quantity=5)
    b = OfferFactory(shop=shop_b, product__name="Кофемолка Бета", price=Decimal("2345.00"), quantity=5)
    buyer, contact = shopper_with_cart((a, 1), (b, 2))
    supplier_a = SupplierFactory(shop=shop_a)
    session.flush()
    order = checkout.place_order(buyer, contact.id, "shared")
    session.commit()
    part_b = next(part for part in order.parts if part.shop_id == shop_b.id)
    amounts = [Decimal("2345.00"), part_b.subtotal, order.items_total, order.total]
    if part_b.delivery_fee:
        amounts.append(order.delivery_total)
    secrets = ["Технопарк-Б", "Кофемолка Бета"]
    for amount in amounts:
        secrets += [str(amount), format_money(amount)]
    own = ["Электролайн", "Смартфон Альфа"]
    return order, supplier_a, secrets, own


SUPPLIER_VIEWS = {
    "the order": ("/orders/{id}", "/api/v1/orders/{id}"),
    "the order list": ("/orders/", "/api/v1/orders"),
    "the partner order list": ("/supplier/orders", "/api/v1/partner/orders"),
    "the partner order": ("/supplier/orders/{id}", "/api/v1/orders/{id}"),  # the API has no part-only GET
}


@pytest.mark.parametrize("view", list(SUPPLIER_VIEWS))
def test_a_supplier_sees_only_its_own_parts(door, shared_order, view):
    order, supplier_a, secrets, own = shared_order
    page_url, api_url = SUPPLIER_VIEWS[view]
    door.as_(supplier_a)
    response = door.send("GET", (page_url if door.name == "page" else api_url).format(id=order.id))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    if view != "the order list" or door.name == "page":
        assert str(order.id) in text
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == [], leaked
    if view in ("the order", "the partner order"):
        assert any(mine in text for mine in [*own, "3111.00", format_money(Decimal("3111.00"))])


def test_the_api_gives_a_supplier_its_part_totals(client, shared_order, auth_headers):
    order, supplier_a, _, _ = shared_order
    body = client.get(f"/api/v1/orders/{order.id}", headers=auth_headers(supplier_a)).json
    part = next(p for p in order.parts if p.shop_id == supplier_a.shop_id)
    assert [p["shop_name"] for p in body["parts"]] == ["Электролайн"]
    assert body["items_total"] == str(part.subtotal)
    assert body["total"] == str(part.subtotal + part.delivery_fee)
    assert {e["part_id"] for e in body["events"]} <= {None, part.id}
    assert body["can_cancel"] is False
    listed = client.get("/api/v1/orders", headers=auth_headers(supplier_a)).json["items"]
    assert [(o["id"], o["total"]) for o in listed] == [(order.id, body["total"])]


# --- a shopper sees only their own -----------------------------------------------------------------------------


@pytest.fixture
def stranger_things(app, session):
    """Another shopper's order, contact, cart line and conversation (with a message), and a nosy shopper."""
    owner, contact = shopper_with_cart((OfferFactory(quantity=5), 1))
    order = checkout.place_order(owner, contact.id, "theirs")
    line = CartItemFactory(user=owner, quantity=2)
    other_contact = ContactFactory(user=owner, street="Секретная")
    conversation = Conversation(shopper=owner, is_open=True, shopper_read_id=0, staff_read_id=0)
    session.add(conversation)
    session.flush()
    session.add(Message(conversation=conversation, author=owner, body="тайное сообщение"))
    nosy = UserFactory()
    ContactFactory(user=nosy)
    session.commit()
    return {"order": order.id, "contact": other_contact.id, "line": line.id, "conversation": conversation.id,
            "nosy": nosy}


OWN_THINGS = {
    "read an order": ("GET", "/orders/{order}", "/api/v1/orders/{order}", {}),
    "cancel an order": ("POST", "/orders/{order}/cancel", "/api/v1/orders/{order}/cancel", {}),
    "the invoice": ("GET", "/orders/{order}/invoice.pdf", "/api/v1/orders/{order}/invoice.pdf", {}),
    "read a contact": ("GET", "/profile/contacts/{contact}/edit", "/api/v1/contacts/{contact}", {}),
    "change a contact": ("POST", "/profile/contacts/{contact}", "/api/v1/contacts/{contact}", {"street": "Моя"}),
    "delete a contact": ("POST", "/profile/contacts/{contact}/delete", "/api/v1/contacts/{contact}", {}),
    "change a cart line": ("POST", "/cart/items/{line}", "/api/v1/cart/items/{line}", {"quantity": 1}),
    "remove a cart line": ("POST", "/cart/items/{line}/remove", "/api/v1/cart/items/{line}", {}),
    "read a conversation": ("GET", "/support/conversations/{conversation}",
                            "/api/v1/support/conversations/{conversation}/messages", {}),
    "write into a conversation": ("POST", "/support/conversations/{conversation}/messages",
                                  "/api/v1/support/conversations/{conversation}/messages", {"body": "влез"}),
}
API_METHODS = {"change a contact": "PATCH", "delete a contact": "DELETE", "change a cart line": "PATCH",
               "remove a cart line": "DELETE"}


@pytest.mark.parametrize("action", list(OWN_THINGS))
def test_a_shopper_reaches_only_their_own(door, session, stranger_things, action):
    method, page_url, api_url, fields = OWN_THINGS[action]
    door.as_(stranger_things["nosy"])
    if door.name == "page":
        response = door.send(method, page_url.format(**stranger_things), data=fields)
    else:
        kwargs = {"json": fields} if fields else {}
        response = door.send(API_METHODS.get(action, method), api_url.format(**stranger_things), **kwargs)
    # Someone else's thing does not exist for them (a staff-only page may say 403 first): refused either way.
    assert response.status_code in (403, 404), (response.status_code, response.get_data(as_text=True)[:300])
    text = response.get_data(as_text=True)
    assert "Секретная" not in text and "тайное сообщение" not in text
    db.session.expire_all()
    assert _fresh(Order, stranger_things["order"]).status is OrderStatus.NEW
    assert _fresh(Contact, stranger_things["contact"]).street == "Секретная"
    assert _fresh(CartItem, stranger_things["line"]).quantity == 2
    assert session.query(Message).filter_by(conversation_id=stranger_things["conversation"]).count() == 1
