"""Outgoing webhooks: subscriptions (staff), `emit()` for the features that raise events, and the delivery log.

`emit(event, data)` writes one WebhookDelivery per active subscription and queues its delivery through the
transactional outbox in the caller's transaction: nothing is sent if the change rolls back, and a Redis outage
delays deliveries instead of losing them. Sending, signing and retries live in `storefront.webhooks.delivery`.
URLs obey the outbound address rules (`storefront.outbound`): http(s) only, no credentials, and never a
loopback, private or link-local address unless that address is in WEBHOOK_URL_ALLOWLIST.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from storefront import policy
from storefront.accounts.models import User
from storefront.audit.services import record
from storefront.domain_errors import DomainError, NotFound
from storefront.extensions import db
from storefront.jobs import enqueue_durable
from storefront.outbound import FetchError
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from storefront.webhooks.delivery import client, deliver_webhook
from storefront.webhooks.models import FAILED, PENDING, Webhook, WebhookDelivery

EVENTS: dict[str, str] = {  # lazy labels: shown in the language of the page
    "order.created": _l("An order was placed"),
    "order.status_changed": _l("An order moved to another status"),
    "order.shipped": _l("An order was sent"),
}
TEST_EVENT = "webhook.test"
MAX_SECRET = 200


class InvalidWebhook(DomainError):
    status = 422
    code = "invalid_webhook"


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


def _require_staff(actor: User) -> None:
    policy.require_staff(actor, _("Only staff can manage webhooks."))


def check_webhook_url(url: str, *, look_up: bool = True) -> str:
    """The URL, cleaned, if we may send to it; InvalidWebhook (field "url") saying why not.

    An IP literal is classified without any network traffic; a host name is resolved (`look_up`) and must have
    a public (or allowlisted) address. Each delivery resolves again and connects only to an address it checked.
    """
    try:
        return client().check(url, look_up=look_up).url
    except FetchError as exc:
        raise InvalidWebhook(exc.message, field="url") from None


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = [event for event in EVENTS if event in set(events)]
    unknown = set(events) - set(EVENTS)
    if unknown:
        raise InvalidWebhook(_("Unknown event: %(events)s.", events=", ".join(sorted(unknown))), field="events")
    if not chosen:
        raise InvalidWebhook(_("Choose at least one event."), field="events")
    return chosen


def create_webhook(actor: User, url: str, events: Iterable[str], secret: str | None = None) -> Webhook:
    """Subscribe `url` to `events`; without a secret one is generated (shown to staff, used to sign)."""
    _require_staff(actor)
    secret = (secret or "").strip() or secrets.token_urlsafe(32)
    if len(secret) > MAX_SECRET or len(secret) < 16:
        raise InvalidWebhook(f"A secret has 16 to {MAX_SECRET} characters (leave it empty to generate one).",
                             field="secret")
    webhook = Webhook(url=check_webhook_url(url), events=_clean_events(list(events)), secret=secret, is_active=True)
    db.session.add(webhook)
    db.session.flush()
    record(actor, "webhook.created", "webhook", webhook.id, {"url": webhook.url, "events": webhook.events})
    return webhook


def list_webhooks(actor: User) -> list[Webhook]:
    _require_staff(actor)
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)))


def get_webhook(actor: User, webhook_id: int) -> Webhook:
    _require_staff(actor)
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None:
        raise WebhookNotFound(_("No such webhook."))
    return webhook


def set_webhook_active(actor: User, webhook_id: int, active: bool) -> Webhook:
    """Pause or resume a subscription (paused ones get no new deliveries)."""
    webhook = get_webhook(actor, webhook_id)
    if webhook.is_active != active:
        webhook.is_active = active
        db.session.flush()
        record(actor, "webhook.resumed" if active else "webhook.paused", "webhook", webhook.id, {"url": webhook.url})
    return webhook


def delete_webhook(actor: User, webhook_id: int) -> None:
    """Remove a subscription and its delivery log."""
    webhook = get_webhook(actor, webhook_id)
    record(actor, "webhook.deleted", "webhook", webhook.id, {"url": webhook.url, "events": webhook.events})
    db.session.delete(webhook)
    db.session.flush()


def list_deliveries(actor: User, webhook_id: int, page: int = 1,
                    page_size: int = DEFAULT_PAGE_SIZE) -> Page[WebhookDelivery]:
    """A subscription's deliveries, newest first."""
    webhook = get_webhook(actor, webhook_id)
    statement = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
                 .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()))
    return paginate(statement, page, page_size)


def _queue(webhook: Webhook, event: str, data: dict[str, Any]) -> WebhookDelivery:
    delivery = WebhookDelivery(webhook_id=webhook.id, event=event, payload=data, state=PENDING, attempts=0)
    db.session.add(delivery)
    db.session.flush()
    enqueue_durable(deliver_webhook, queue="default", delivery_id=delivery.id)
    return delivery


def emit(event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event` for every active subscription to it, in the caller's transaction (sent after commit)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    hooks = db.session.scalars(select(Webhook).where(Webhook.is_active.is_(True)).order_by(Webhook.id)).all()
    return [_queue(hook, event, data) for hook in hooks if event in (hook.events or [])]


def send_test_event(actor: User, webhook_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` delivery to one subscription (paused ones too), to check the receiver."""
    webhook = get_webhook(actor, webhook_id)
    return _queue(webhook, TEST_EVENT, {"message": "This is a test event from the Storefront back-office.",
                                        "webhook_id": webhook.id})


def redeliver(actor: User, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's event again as a new delivery (the old one keeps its record)."""
    _require_staff(actor)
    old = db.session.get(WebhookDelivery, delivery_id)
    if old is None:
        raise NotFound(_("No such delivery."))
    return _queue(old.webhook, old.event, old.payload)


def failed_delivery_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == FAILED)) or 0
