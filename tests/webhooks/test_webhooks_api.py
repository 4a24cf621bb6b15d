"""Webhooks through the API (the pages' test, redeliver, pause/resume and delivery log), the Standard Webhooks
signature a ready-made verifier accepts, and the low-stock event."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import pytest

from storefront.accounts.api_tokens import issue_token_pair
from storefront.orders import services as orders
from storefront.webhooks import services as webhooks
from tests.api.conftest import assert_error, bearer
from tests.factories import OfferFactory, StaffFactory, UserFactory
from tests.orders.order_helpers import shopper_with_cart


@pytest.fixture
def staff(session):
    user = StaffFactory()
    session.commit()
    return user


@pytest.fixture
def auth_headers(session):
    def headers(user):
        pair = issue_token_pair(user)
        session.commit()
        return bearer(pair.access_token)

    return headers


def standard_webhooks_verify(secret: str, headers: dict, body: bytes) -> dict:
    """What the Standard Webhooks reference verifiers do (written from the specification, not from our code):
    the key is the base64 after `whsec_`; the signed content is `id.timestamp.body`; any `v1,` entry may match."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for entry in headers["webhook-signature"].split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return json.loads(body)
    raise AssertionError("no matching signature")


def test_api_manages_a_subscription_like_the_pages(client, auth_headers, staff, receiver, session):
    headers = auth_headers(staff)
    created = client.post("/api/v1/webhooks", headers=headers, json={"url": receiver.url, "events": ["order.created"]})
    assert created.status_code == 201, created.json
    hook = created.json
    assert hook["secret"].startswith("whsec_") and hook["signing_secret"] == hook["secret"] and hook["is_active"]
    url = f"/api/v1/webhooks/{hook['id']}"
    assert client.get(url, headers=headers).json["url"] == receiver.url

    # Test event: queued, sent after the commit, signed both ways, visible in the delivery log.
    test = client.post(f"{url}/test", headers=headers)
    assert test.status_code == 202 and test.json["event"] == "webhook.test"
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    document = standard_webhooks_verify(hook["signing_secret"], sent["headers"], sent["body"])
    assert document["event"] == "webhook.test" and sent["headers"]["webhook-id"] == str(test.json["id"])
    assert sent["headers"]["X-Storefront-Signature"].startswith("sha256=")  # the original header stays

    # Redeliver: a new delivery of the same event; another subscription's delivery id is 404.
    again = client.post(f"{url}/deliveries/{test.json['id']}/redeliver", headers=headers)
    assert again.status_code == 202 and again.json["id"] != test.json["id"] and len(receiver.requests) == 2
    other = client.post("/api/v1/webhooks", headers=headers,
                        json={"url": receiver.url, "events": ["order.shipped"]}).json
    assert_error(client.post(f"/api/v1/webhooks/{other['id']}/deliveries/{test.json['id']}/redeliver",
                             headers=headers), 404)
    log = client.get(f"{url}/deliveries", headers=headers).json
    assert [item["state"] for item in log["items"]] == ["succeeded", "succeeded"]

    # Pause: no new deliveries; resume: they flow again.
    assert client.patch(url, headers=headers, json={"is_active": False}).json["is_active"] is False
    webhooks.emit("order.created", {"order_id": 1})
    session.commit()
    assert len(receiver.requests) == 2
    assert client.patch(url, headers=headers, json={"is_active": True}).json["is_active"] is True
    webhooks.emit("order.created", {"order_id": 2})
    session.commit()
    assert len(receiver.requests) == 3
    assert_error(client.patch(url, headers=headers, json={}), 422)


def test_webhook_api_is_staff_only(client, auth_headers, staff, session):
    hook = webhooks.create_webhook(staff, "https://93.184.216.34/hook", ["order.created"])
    shopper = UserFactory()
    session.commit()
    headers = auth_headers(shopper)
    for method, path in (("get", ""), ("patch", ""), ("post", "/test"), ("post", "/deliveries/1/redeliver")):
        response = getattr(client, method)(f"/api/v1/webhooks/{hook.id}{path}", headers=headers, json={"is_active": False})
        assert_error(response, 403)
    assert_error(client.post(f"/api/v1/webhooks/{hook.id}/test"), 401)


def test_a_chosen_secret_signs_with_its_own_bytes(app, session, staff, receiver):
    """A staff-chosen secret (not `whsec_…`): its verifier form is `whsec_` + base64 of the secret's bytes."""
    from storefront.webhooks.delivery import signing_secret

    hook = webhooks.create_webhook(staff, receiver.url, ["order.created"], secret="my own secret, 16+")
    session.commit()
    webhooks.emit("order.created", {"order_id": 3})
    session.commit()
    assert signing_secret(hook.secret) == "whsec_" + base64.b64encode(b"my own secret, 16+").decode()
    sent = receiver.requests[0]
    assert standard_webhooks_verify(signing_secret(hook.secret), sent["headers"], sent["body"])["data"] == {"order_id": 3}


def test_low_stock_is_announced_once_when_an_order_crosses_the_threshold(app, session, staff, receiver):
    app.config["LOW_STOCK_THRESHOLD"] = 5
    webhooks.create_webhook(staff, receiver.url, ["stock.low"])
    offer = OfferFactory(price=Decimal("100.00"), quantity=7)
    first, contact = shopper_with_cart((offer, 2))  # 7 → 5: not below the threshold yet
    session.commit()
    orders.place_order(first, contact.id, "low-1")
    session.commit()
    assert receiver.requests == []
    second, contact2 = shopper_with_cart((offer, 1))  # 5 → 4: crosses it
    session.commit()
    orders.place_order(second, contact2.id, "low-2")
    session.commit()
    third, contact3 = shopper_with_cart((offer, 1))  # 4 → 3: already below, stays quiet
    session.commit()
    orders.place_order(third, contact3.id, "low-3")
    session.commit()
    events = [json.loads(r["body"]) for r in receiver.requests]
    assert [e["event"] for e in events] == ["stock.low"]
    assert events[0]["data"] == {"offer_id": offer.id, "product_id": offer.product_id, "shop_id": offer.shop_id,
                                 "product_name": offer.product.name, "quantity": 4, "threshold": 5}
