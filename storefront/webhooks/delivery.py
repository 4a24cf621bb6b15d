"""Sending one webhook delivery: a signed JSON POST, the result recorded, failures retried with backoff.

Each run of `deliver_webhook` makes at most one attempt. While it is on its way the delivery is "sending" (so
the back-office page shows queued → sending → succeeded/failed live). A failed attempt (network error, timeout,
non-2xx answer) leaves the delivery "retrying" until WEBHOOK_MAX_ATTEMPTS is reached, then "failed"; nothing
else in the shop is touched (the order that raised the event stays as it is). `retry_due_deliveries` (a periodic
job) re-queues retrying deliveries once their backoff — WEBHOOK_BACKOFF seconds, doubled per attempt — has
passed, and "sending" ones whose attempt was abandoned (its worker died) once their claim is stale.

Signatures, two of them on every delivery:
- Standard Webhooks (https://www.standardwebhooks.com), so receivers can use a ready-made verifier:
  `webhook-id` (the delivery id), `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64>`,
  HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<raw body>` keyed with the secret's bytes — a `whsec_…`
  secret (what the shop generates) is base64 after its prefix; any other secret is used as its UTF-8 bytes and
  its verifier form is `signing_secret()`.
- The original `X-Storefront-Signature: sha256=<hex>`, HMAC-SHA256 with the secret as text over
  `<X-Storefront-Timestamp>.<raw body>`, kept for receivers written against it.
Receivers reject stale timestamps (replays) and dedupe on the id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from storefront.database import utcnow
from storefront.extensions import db
from storefront.jobs import enqueue_durable
from storefront.outbound import Client, FetchError, FetchTimeout
from storefront.webhooks.models import FAILED, PENDING, RETRYING, SENDING, SUCCEEDED, WebhookDelivery

log = logging.getLogger(__name__)
USER_AGENT = "Storefront-Webhooks/1"
MAX_RESPONSE_BYTES = 4096  # we only keep the status; a little of the body helps staff read an error
SIGNATURE_HEADER = "X-Storefront-Signature"
TIMESTAMP_HEADER = "X-Storefront-Timestamp"
SECRET_PREFIX = "whsec_"


def client() -> Client:
    """The outbound client for receivers: our address rules, opened only for WEBHOOK_URL_ALLOWLIST."""
    allowlist = tuple(current_app.config.get("WEBHOOK_URL_ALLOWLIST") or ())
    return Client(USER_AGENT, allowlist, public_only="webhooks are only sent to public servers")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds, as text)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature: a `whsec_` secret's decoded bytes, else its UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def signing_secret(secret: str) -> str:
    """The secret as Standard Webhooks verifiers take it (`whsec_<base64 key>`), whatever form staff chose."""
    return SECRET_PREFIX + base64.b64encode(secret_key(secret)).decode()


def standard_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, the `webhook-signature` header's value."""
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def headers_for(secret: str, delivery_id: int, event: str, timestamp: str, body: bytes) -> dict[str, str]:
    """Every header of a delivery: both signatures (see the module docstring)."""
    message_id = str(delivery_id)
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
        "X-Storefront-Event": event, "X-Storefront-Delivery": message_id,
        TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


def body_for(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed): the event, the delivery id receivers dedupe on, and the data."""
    document = {"id": delivery.id, "event": delivery.event, "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def max_attempts() -> int:
    return int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> timedelta:
    """How long after attempt number `attempts` (1-based) the next one may run: base, 2×base, 4×base…"""
    base = float(current_app.config.get("WEBHOOK_BACKOFF", 30))
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def claim_lease() -> timedelta:
    """How long a "sending" claim holds: well past the longest attempt, so only a dead worker's claim expires."""
    return timedelta(seconds=2 * float(current_app.config.get("WEBHOOK_TIMEOUT", 5)) + 30)


def _abandoned(delivery: WebhookDelivery, now: datetime) -> bool:
    return delivery.state == SENDING and (delivery.delivered_at or delivery.created_at) < now - claim_lease()


def next_attempt_at(delivery: WebhookDelivery) -> datetime | None:
    """When a retrying delivery is due again (counted from its last attempt)."""
    if delivery.state != RETRYING:
        return None
    return (delivery.delivered_at or delivery.created_at) + backoff(delivery.attempts)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST to the checked, pinned address; (status, first bytes of the answer). Raises FetchError."""
    # Redirects are not followed: the subscription names the receiver.
    response = client().request("POST", url, body=body, headers=headers, timeout=timeout,
                                max_bytes=MAX_RESPONSE_BYTES, truncate=True)
    return response.status, response.body.decode("utf-8", "replace")


def _claim(delivery: WebhookDelivery) -> bool:
    """Take the next attempt (attempts + 1, "sending", committed so the page shows it) unless another run took it
    first: a job delivered twice sends once. An abandoned "sending" claim (see `claim_lease`) may be taken over."""
    now = utcnow()
    takeable = or_(WebhookDelivery.state.in_((PENDING, RETRYING)),
                   and_(WebhookDelivery.state == SENDING, WebhookDelivery.delivered_at < now - claim_lease()))
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.attempts == delivery.attempts, takeable)
        .values(attempts=WebhookDelivery.attempts + 1, state=SENDING, delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver_webhook(delivery_id: int) -> str:
    """The job: one attempt at delivery `delivery_id`; returns its state afterwards."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state in (SUCCEEDED, FAILED):
        return delivery.state if delivery else "gone"
    if delivery.state == SENDING and not _abandoned(delivery, utcnow()):
        return SENDING  # another run's attempt is on its way
    due = next_attempt_at(delivery)
    if due is not None and due > utcnow():
        return delivery.state  # an early duplicate; the sweeper sends it when due
    webhook = delivery.webhook
    if not _claim(delivery):
        return "claimed"
    db.session.refresh(delivery)
    body = body_for(delivery)
    timestamp = str(int(time.time()))
    headers = headers_for(webhook.secret, delivery.id, delivery.event, timestamp, body)
    code, error = None, None
    try:
        code, text = _post(webhook.url, body, headers, float(current_app.config.get("WEBHOOK_TIMEOUT", 5)))
        if not 200 <= code < 300:
            error = f"HTTP {code}: {text[:300]}".strip()
    except FetchTimeout:
        error = "The receiver did not answer in time."
    except FetchError as exc:
        error = exc.message[:500]
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.response_code = code
    delivery.error = error
    delivery.delivered_at = utcnow()  # the last attempt's time: the backoff counts from it
    if error is None:
        delivery.state = SUCCEEDED
    else:
        delivery.state = FAILED if delivery.attempts >= max_attempts() else RETRYING
        log.info("webhook delivery %s attempt %s failed: %s", delivery.id, delivery.attempts, error)
    db.session.commit()
    return delivery.state


def retry_due_deliveries(now: datetime | None = None) -> int:
    """Periodic: queue every retrying delivery whose backoff has passed, and every abandoned "sending" one;
    returns how many."""
    now = now or utcnow()
    candidates = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.state.in_((RETRYING, SENDING)))
        .order_by(WebhookDelivery.id).limit(1000)
    ).all()
    due = [d for d in candidates if _abandoned(d, now) or (d.state == RETRYING and (next_attempt_at(d) or now) <= now)]
    for delivery in due:
        enqueue_durable(deliver_webhook, queue="default", delivery_id=delivery.id)
    db.session.commit()
    return len(due)
