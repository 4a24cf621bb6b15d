"""A delivery's live state: queued (pending) → sending (committed before the POST, so pages see it) →
succeeded/failed; a "sending" claim whose worker died is taken over once stale, and only then."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.database import utcnow
from storefront.extensions import db
from storefront.webhooks import delivery as sender
from storefront.webhooks import services as webhooks
from storefront.webhooks.delivery import claim_lease, deliver_webhook, retry_due_deliveries
from storefront.webhooks.models import WebhookDelivery
from tests.factories import StaffFactory, WebhookDeliveryFactory, WebhookFactory


def state_elsewhere(delivery_id: int) -> str:
    """The delivery's state as another connection (the polling back-office page) sees it."""
    with db.engine.connect() as connection:
        return connection.scalar(select(WebhookDelivery.state).where(WebhookDelivery.id == delivery_id))


def test_a_redelivery_goes_queued_sending_succeeded(app, session, receiver, monkeypatch):
    staff = StaffFactory()
    hook = webhooks.create_webhook(staff, receiver.url, ["order.created"])
    session.commit()
    first = webhooks.send_test_event(staff, hook.id)
    session.commit()
    post, seen = sender._post, []

    def watch(url, body, headers, timeout):
        seen.append(state_elsewhere(int(headers["X-Storefront-Delivery"])))
        return post(url, body, headers, timeout)

    monkeypatch.setattr(sender, "_post", watch)
    again = webhooks.redeliver(staff, first.id)
    again_id = again.id
    assert state_elsewhere(again_id) is None  # not even committed yet
    session.flush()
    assert again.state == "pending"
    session.commit()  # the delivery runs now (no Redis): while the POST is on its way, others see "sending"
    assert seen == ["sending"]
    assert state_elsewhere(again_id) == "succeeded" and len(receiver.requests) == 2


def test_a_failed_attempt_ends_failed_after_sending(app, session, receiver, monkeypatch):
    receiver.statuses = [500]
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 1
    delivery = WebhookDeliveryFactory(webhook=WebhookFactory(url=receiver.url), state="pending", attempts=0)
    session.commit()
    post, seen = sender._post, []
    monkeypatch.setattr(sender, "_post", lambda *args: (seen.append(state_elsewhere(delivery.id)), post(*args))[1])
    assert deliver_webhook(delivery.id) == "failed"
    assert seen == ["sending"] and state_elsewhere(delivery.id) == "failed"


def test_a_claim_in_progress_is_left_alone_and_an_abandoned_one_is_taken_over(app, session, receiver):
    hook = WebhookFactory(url=receiver.url)
    now = utcnow()
    busy = WebhookDeliveryFactory(webhook=hook, state="sending", attempts=1, delivered_at=now)
    dead = WebhookDeliveryFactory(webhook=hook, state="sending", attempts=1,
                                  delivered_at=now - claim_lease() - timedelta(seconds=1))
    session.commit()
    busy_id, dead_id = busy.id, dead.id
    assert deliver_webhook(busy_id) == "sending" and receiver.requests == []  # a duplicate job sends nothing
    assert retry_due_deliveries() == 1  # the sweeper re-queues only the abandoned one (and it runs at once here)
    assert [int(r["headers"]["X-Storefront-Delivery"]) for r in receiver.requests] == [dead_id]
    session.expire_all()
    assert (db.session.get(WebhookDelivery, dead_id).state, db.session.get(WebhookDelivery, dead_id).attempts) == (
        "succeeded", 2)
    assert db.session.get(WebhookDelivery, busy_id).state == "sending"
