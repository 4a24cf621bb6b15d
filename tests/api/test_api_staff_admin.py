"""Staff API: order status changes (409 with the allowed states), the filtered order list, shops, webhooks;
and every admin endpoint refuses shoppers and suppliers."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.catalog.models import Shop
from storefront.orders.models import Order, OrderStatus
from storefront.webhooks.models import Webhook
from tests.api.conftest import assert_error
from tests.backoffice import conftest as backoffice
from tests.backoffice.conftest import make_order
from tests.factories import (
    ShopFactory,
    SupplierFactory,
    UserFactory,
    WebhookFactory,
)
from tests.orders.order_helpers import mail_to

# The back-office fixtures: a staff account, and the app writing invoices into the test's folder.
app, staff = backoffice.app, backoffice.staff


def test_patch_order_status(client, session, staff, auth_headers, mail_dir):
    order = make_order(email="ann@example.com")
    session.commit()
    answer = client.patch(f"/api/v1/orders/{order.id}", json={"status": "confirmed", "note": "On its way soon"},
                          headers=auth_headers(staff))
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "confirmed" and answer.json["allowed_statuses"] == ["assembled", "cancelled"]
    assert len(mail_to(mail_dir, "ann@example.com")) == 1
    refused = client.patch(f"/api/v1/orders/{order.id}", json={"status": "delivered"}, headers=auth_headers(staff))
    body = assert_error(refused, 409, "invalid_transition")
    assert body["errors"]["allowed_statuses"] == ["assembled", "cancelled"]
    stale = client.patch(f"/api/v1/orders/{order.id}", json={"status": "cancelled", "expected_status": "new"},
                         headers=auth_headers(staff))
    assert_error(stale, 409, "stale_order")
    session.expire_all()
    assert session.get(Order, order.id).status == OrderStatus.CONFIRMED
    assert_error(client.patch("/api/v1/orders/999999", json={"status": "confirmed"}, headers=auth_headers(staff)), 404)
    assert_error(client.patch(f"/api/v1/orders/{order.id}", json={"status": "lost"}, headers=auth_headers(staff)), 422)


def test_admin_order_list_filters(client, session, staff, auth_headers):
    shop = ShopFactory()
    ann = make_order(email="ann@example.com", shop=shop)
    make_order(email="bob@example.com", status=OrderStatus.SENT)
    session.commit()
    answer = client.get(f"/api/v1/admin/orders?shop_id={shop.id}", headers=auth_headers(staff))
    assert answer.status_code == 200
    assert [o["id"] for o in answer.json["items"]] == [ann.id] and answer.json["total"] == 1
    answer = client.get("/api/v1/admin/orders?status=sent&q=bob", headers=auth_headers(staff))
    assert [o["email"] for o in answer.json["items"]] == ["bob@example.com"]
    assert_error(client.get("/api/v1/admin/orders?sort=evil", headers=auth_headers(staff)), 422)
    assert_error(client.get("/api/v1/admin/orders?date_from=soon", headers=auth_headers(staff)), 422)


def test_admin_shops(client, session, staff, auth_headers):
    shop = ShopFactory(name="Технопарк", accepting_orders=True)
    shopper = UserFactory(email="sam@example.com")
    session.commit()
    answer = client.patch(f"/api/v1/admin/shops/{shop.id}", json={"accepting_orders": False,
                                                                  "supplier_email": "sam@example.com"},
                          headers=auth_headers(staff))
    assert answer.status_code == 200, answer.json
    assert answer.json["accepting_orders"] is False and answer.json["supplier_emails"] == ["sam@example.com"]
    session.expire_all()
    assert session.get(Shop, shop.id).accepting_orders is False
    assert session.get(type(shopper), shopper.id).shop_id == shop.id
    listed = client.get("/api/v1/admin/shops", headers=auth_headers(staff)).json
    assert [s["name"] for s in listed] == ["Технопарк"]


def test_webhooks_api(client, session, staff, auth_headers):
    answer = client.post("/api/v1/webhooks", json={"url": "https://93.184.216.34/hook", "events": ["order.shipped"]},
                         headers=auth_headers(staff))
    assert answer.status_code == 201, answer.json
    hook_id = answer.json["id"]
    assert answer.json["events"] == ["order.shipped"] and "secret" in answer.json
    body = assert_error(client.post("/api/v1/webhooks", json={"url": "http://127.0.0.2/x", "events": ["order.created"]},
                                    headers=auth_headers(staff)), 422, "invalid_webhook")
    assert "url" in body["errors"]
    assert_error(client.post("/api/v1/webhooks", json={"url": "file:///etc/passwd", "events": ["order.created"]},
                             headers=auth_headers(staff)), 422)
    assert [h["id"] for h in client.get("/api/v1/webhooks", headers=auth_headers(staff)).json] == [hook_id]
    deliveries = client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=auth_headers(staff))
    assert deliveries.status_code == 200 and deliveries.json["items"] == []
    assert client.delete(f"/api/v1/webhooks/{hook_id}", headers=auth_headers(staff)).status_code == 204
    assert session.scalars(select(Webhook)).all() == []
    assert_error(client.delete(f"/api/v1/webhooks/{hook_id}", headers=auth_headers(staff)), 404)


ADMIN_PREFIXES = ("/api/v1/admin", "/api/v1/webhooks", "/api/v1/orders")


def test_every_admin_endpoint_refuses_shoppers_suppliers_and_anonymous(app, client, session, auth_headers):
    shopper, supplier = UserFactory(), SupplierFactory()
    hook = WebhookFactory()
    order = make_order()
    session.commit()
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(ADMIN_PREFIXES):
            url = re.sub(r"<[^>]+>", str(hook.id if "webhook" in rule.rule else order.id), rule.rule)
            # /api/v1/orders is shared with the shoppers' side (tests/api/test_api_cart_orders.py): PATCH is staff's.
            routes += [(method, url) for method in rule.methods - {"HEAD", "OPTIONS"}
                       if not rule.rule.startswith("/api/v1/orders") or method == "PATCH"]
    assert len(routes) >= 7
    for method, url in routes:
        assert_error(client.open(url, method=method, json={}), 401)
        for user in (shopper, supplier):
            assert_error(client.open(url, method=method, json={}, headers=auth_headers(user)), 403)
