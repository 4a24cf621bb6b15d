"""Webhooks: address rules, signed JSON deliveries to a receiver on 127.0.0.1, retries, backoff, order events."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.orders import services as orders
from storefront.orders.models import Order, OrderStatus
from storefront.webhooks import services as webhooks
from storefront.webhooks.delivery import (
    backoff,
    deliver_webhook,
    next_attempt_at,
    retry_due_deliveries,
)
from storefront.webhooks.models import WebhookDelivery
from tests.factories import (
    OfferFactory,
    StaffFactory,
    WebhookDeliveryFactory,
    WebhookFactory,
)
from tests.orders.order_helpers import shopper_with_cart


@pytest.fixture
def staff(session):
    user = StaffFactory()
    session.commit()
    return user


@pytest.fixture
def no_network(monkeypatch):
    """Any name lookup or connection fails the test: classification must not touch the network."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("url", [
    "ftp://93.184.216.34/hook", "javascript:alert(1)", "http://user:pw@93.184.216.34/", "http:///nohost",
    "http://127.0.0.2/hook", "http://[::1]/hook", "http://10.1.2.3/", "http://192.168.0.10/", "http://172.16.0.1/",
    "http://169.254.169.254/latest/meta-data", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/",
    "http://[fe80::1]/", "http://224.0.0.1/",
])
def test_private_and_non_http_urls_are_refused_without_connecting(app, session, staff, no_network, url):
    with pytest.raises(webhooks.InvalidWebhook) as caught:
        webhooks.create_webhook(staff, url, ["order.created"])
    assert caught.value.field == "url"
    assert session.scalars(select(WebhookDelivery)).all() == []


def test_public_and_allowlisted_literals_are_accepted_without_connecting(app, session, staff, no_network):
    assert webhooks.check_webhook_url("https://93.184.216.34/hook") == "https://93.184.216.34/hook"
    assert webhooks.check_webhook_url("http://127.0.0.1:8080/x")  # allowlisted in these tests only
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.check_webhook_url("http://[::1]:8080/x")  # the allowlist names 127.0.0.1 only


def test_events_and_secret_are_checked(app, session, staff):
    with pytest.raises(webhooks.InvalidWebhook) as caught:
        webhooks.create_webhook(staff, "https://93.184.216.34/", [])
    assert caught.value.field == "events"
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.create_webhook(staff, "https://93.184.216.34/", ["order.exploded"])
    with pytest.raises(webhooks.InvalidWebhook) as caught:
        webhooks.create_webhook(staff, "https://93.184.216.34/", ["order.created"], secret="short")
    assert caught.value.field == "secret"
    hook = webhooks.create_webhook(staff, "https://93.184.216.34/", ["order.shipped", "order.created"])
    assert hook.events == ["order.created", "order.shipped"] and len(hook.secret) >= 32


def _verify(request, secret: str) -> dict:
    """What a receiver does: recompute the HMAC over timestamp.body and compare in constant time."""
    headers = request["headers"]
    timestamp = headers["X-Storefront-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + request["body"],
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Storefront-Signature"], expected)
    assert headers["Content-Type"] == "application/json"
    return json.loads(request["body"])


def test_emit_delivers_a_signed_post_after_commit(app, session, staff, receiver):
    hook = webhooks.create_webhook(staff, receiver.url, ["order.created"], secret="s3cret-s3cret-s3cret")
    webhooks.create_webhook(staff, receiver.url, ["order.shipped"])  # not subscribed to this event
    session.commit()
    deliveries = webhooks.emit("order.created", {"order_id": 7, "total": "10.00"})
    assert len(deliveries) == 1 and receiver.requests == []  # nothing leaves before the commit
    session.commit()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hooks/storefront"
    document = _verify(request, "s3cret-s3cret-s3cret")
    assert document["event"] == "order.created" and document["data"] == {"order_id": 7, "total": "10.00"}
    assert request["headers"]["X-Storefront-Delivery"] == str(document["id"])
    session.expire_all()
    delivery = session.get(WebhookDelivery, document["id"])
    assert (delivery.state, delivery.response_code, delivery.attempts, delivery.webhook_id) == ("succeeded", 200, 1, hook.id)
    # A tampered body no longer matches the signature.
    tampered = dict(request, body=request["body"].replace(b"10.00", b"99.00"))
    with pytest.raises(AssertionError):
        _verify(tampered, "s3cret-s3cret-s3cret")


def test_a_rolled_back_change_sends_nothing(app, session, staff, receiver):
    webhooks.create_webhook(staff, receiver.url, ["order.created"])
    session.commit()
    webhooks.emit("order.created", {"order_id": 1})
    session.rollback()
    assert receiver.requests == [] and session.scalars(select(WebhookDelivery)).all() == []


def test_a_500_is_retried_with_backoff_then_succeeds(app, session, staff, receiver):
    receiver.statuses = [500, 200]
    webhooks.create_webhook(staff, receiver.url, ["order.created"])
    session.commit()
    webhooks.emit("order.created", {"order_id": 1})
    session.commit()
    session.expire_all()
    delivery = session.scalars(select(WebhookDelivery)).one()
    assert (delivery.state, delivery.attempts, delivery.response_code) == ("retrying", 1, 500)
    assert "HTTP 500" in delivery.error
    assert retry_due_deliveries() == 1
    session.expire_all()
    delivery = session.get(WebhookDelivery, delivery.id)
    assert (delivery.state, delivery.attempts, delivery.response_code, delivery.error) == ("succeeded", 2, 200, None)
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]  # the same event, the same id


def test_a_receiver_that_keeps_failing_ends_failed_and_the_order_is_untouched(app, session, staff, receiver):
    receiver.statuses = [500]
    webhooks.create_webhook(staff, receiver.url, ["order.status_changed"])
    offer = OfferFactory(price=Decimal("100.00"), quantity=5)
    user, contact = shopper_with_cart((offer, 1))
    session.commit()
    order = orders.place_order(user, contact.id, "key-1")
    session.commit()
    orders.change_status(order, "confirmed", staff)
    session.commit()
    for _ in range(5):
        retry_due_deliveries()
    session.expire_all()
    delivery = session.scalars(select(WebhookDelivery)).one()
    assert (delivery.state, delivery.attempts) == ("failed", 3)  # WEBHOOK_MAX_ATTEMPTS in these tests
    assert len(receiver.requests) == 3
    assert session.get(Order, order.id).status == OrderStatus.CONFIRMED


def test_a_receiver_that_times_out_is_retried(app, session, staff, receiver):
    receiver.delay = 2  # WEBHOOK_TIMEOUT is 1 s here
    webhooks.create_webhook(staff, receiver.url, ["order.created"])
    session.commit()
    webhooks.emit("order.created", {"order_id": 1})
    session.commit()
    session.expire_all()
    delivery = session.scalars(select(WebhookDelivery)).one()
    assert delivery.state == "retrying" and delivery.response_code is None
    assert "in time" in delivery.error


def test_delivery_rechecks_the_address_and_never_connects_to_a_refused_one(app, session, no_network):
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(url="http://127.0.0.2:9/hook"))
    ipv6 = WebhookDeliveryFactory(webhook=WebhookFactory(url="http://[::1]:9/hook"))
    session.commit()
    for item in (delivery, ipv6):
        # 127.0.0.2 / ::1 are IP literals: getaddrinfo on them needs no network, but ours is patched to fail, so
        # the refusal must come from the classification before any connection.
        session.expire_all()
        state = _deliver_with_literal_resolver(item.id)
        assert state == "retrying"
        session.expire_all()
        assert "loopback" in session.get(WebhookDelivery, item.id).error


def _deliver_with_literal_resolver(delivery_id: int) -> str:
    from storefront import outbound

    original = outbound.socket.getaddrinfo
    outbound.socket.getaddrinfo = lambda host, port, **kw: [(None, None, None, "", (host.strip("[]"), port))]
    try:
        return deliver_webhook(delivery_id)
    finally:
        outbound.socket.getaddrinfo = original


def test_a_duplicate_job_sends_once(app, session, staff, receiver):
    webhooks.create_webhook(staff, receiver.url, ["order.created"])
    session.commit()
    [delivery] = webhooks.emit("order.created", {"order_id": 1})
    session.commit()
    assert deliver_webhook(delivery.id) == "succeeded"
    assert len(receiver.requests) == 1


def test_backoff_doubles(app, session):
    app.config["WEBHOOK_BACKOFF"] = 30
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    delivery = WebhookDeliveryFactory(state="retrying", attempts=2)
    session.flush()
    delivery.delivered_at = delivery.created_at
    assert next_attempt_at(delivery) == delivery.created_at + timedelta(seconds=60)
    assert retry_due_deliveries() == 0  # not due yet


def test_order_events_reach_subscribers(app, session, staff, receiver):
    order_events = [event for event in webhooks.EVENTS if event.startswith("order.")]
    webhooks.create_webhook(staff, receiver.url, order_events, secret="0123456789abcdef")
    offer = OfferFactory(price=Decimal("100.00"), quantity=5)
    user, contact = shopper_with_cart((offer, 2))
    session.commit()
    order = orders.place_order(user, contact.id, "key-1")
    session.commit()
    for status in ("confirmed", "assembled", "sent"):
        orders.change_status(order, status, staff)
        session.commit()
    events = [_verify(r, "0123456789abcdef") for r in receiver.requests]
    assert [e["event"] for e in events] == ["order.created", "order.status_changed", "order.status_changed",
                                            "order.status_changed", "order.shipped"]
    assert events[0]["data"]["order_id"] == order.id and events[0]["data"]["total"] == str(order.total)
    assert events[-1]["data"]["status"] == "sent" and events[-1]["data"]["previous_status"] == "assembled"


def test_send_test_event_and_redeliver(app, session, staff, receiver):
    hook = webhooks.create_webhook(staff, receiver.url, ["order.created"])
    session.commit()
    delivery = webhooks.send_test_event(staff, hook.id)
    session.commit()
    again = webhooks.redeliver(staff, delivery.id)
    session.commit()
    assert again.id != delivery.id
    assert [json.loads(r["body"])["event"] for r in receiver.requests] == ["webhook.test", "webhook.test"]
    page = webhooks.list_deliveries(staff, hook.id)
    assert [d.state for d in page.items] == ["succeeded", "succeeded"]


def test_subscriptions_are_staff_only_and_audited(app, session, staff):
    from storefront.domain_errors import Forbidden
    from tests.factories import UserFactory

    with pytest.raises(Forbidden):
        webhooks.create_webhook(UserFactory(), "https://93.184.216.34/", ["order.created"])
    hook = webhooks.create_webhook(staff, "https://93.184.216.34/", ["order.created"])
    webhooks.set_webhook_active(staff, hook.id, False)
    webhooks.delete_webhook(staff, hook.id)
    session.commit()
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["webhook.created", "webhook.paused", "webhook.deleted"]
    with pytest.raises(webhooks.WebhookNotFound):
        webhooks.get_webhook(staff, hook.id)


def test_paused_subscriptions_get_nothing(app, session, staff, receiver):
    hook = webhooks.create_webhook(staff, receiver.url, ["order.created"])
    webhooks.set_webhook_active(staff, hook.id, False)
    session.commit()
    assert webhooks.emit("order.created", {"order_id": 1}) == []
