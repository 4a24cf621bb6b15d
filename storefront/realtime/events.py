"""What the live socket pushes, published after the commit that made it true.

A push is a small JSON frame `{"topic": …, "kind": …, …}` naming what changed, never a rendered page: the tab
asks the normal (authorized, translated) page for the fresh fragment, or, for the cart badge, takes the number.
Channels share the support chat's prefix, so the one pattern subscription per process (support.broker) carries
them too: `<prefix>:live:order:<id>`, `<prefix>:live:product:<id>`, `<prefix>:live:user:<id>` (a user's
order list, cart badge and unread count), `<prefix>:live:guest:<digest>` (a guest's cart badge) and
`<prefix>:live:staff` (the staff's unread count). A chat topic on the live socket listens on the conversation's
own channel (support.broker), so a message is published once for both sockets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app

from storefront.after_commit import after_commit
from storefront.support.broker import get_broker

LIVE = "live"


def channel(app: Flask, topic: str) -> str:
    """The pub/sub channel of a topic such as `order:12`, `product:5` or `user:3`."""
    return f"{app.config['SUPPORT_CHANNEL_PREFIX']}:{LIVE}:{topic}"


def publish_after_commit(topic: str, payload: dict[str, Any], *, committed: bool = False) -> None:
    """Push `payload` to every socket on `topic` once this transaction commits (never if it rolls back);
    `committed`: the change is already committed (the importer), push now."""
    app = current_app._get_current_object()
    text = json.dumps({"topic": topic, **payload}, ensure_ascii=False)
    name = channel(app, topic)
    if committed:
        get_broker(app).publish(name, text)
    else:
        after_commit(lambda: get_broker(app).publish(name, text))


def order_changed(order_id: int, shopper_id: int | None) -> None:
    """An order's status (or a part's) moved: its page, and its shopper's order list."""
    publish_after_commit(f"order:{order_id}", {"kind": "order", "id": order_id})
    if shopper_id is not None:
        publish_after_commit(f"user:{shopper_id}", {"kind": "orders", "id": order_id})


def products_changed(product_ids: Iterable[int], *, committed: bool = False) -> None:
    """Stock, price or offers of these products moved: their open pages refresh their offers.

    Called from the catalog's one invalidation point, which every stock write (orders.stock) goes through."""
    for product_id in sorted(set(product_ids)):
        publish_after_commit(f"product:{product_id}", {"kind": "product", "id": product_id}, committed=committed)


def cart_changed(user_id: int, count: int) -> None:
    """The user's cart now holds `count` units: every tab's badge shows it."""
    publish_after_commit(f"user:{user_id}", {"kind": "cart", "count": count})


def guest_cart_topic(app: Flask, cart_key: str) -> str:
    """The topic of a guest's cart badge: keyed by a digest of the session's secret cart key, never by anything
    guessable, and never by the key itself (a channel name shows in Redis; the key opens the cart)."""
    secret = app.secret_key if isinstance(app.secret_key, bytes) else str(app.secret_key).encode()
    digest = hmac.new(secret, b"guest-cart:" + cart_key.encode(), hashlib.sha256).hexdigest()
    return f"guest:{digest[:40]}"


def guest_cart_changed(cart_key: str, count: int) -> None:
    """A guest's cart now holds `count` units: every tab of that browser session shows it."""
    publish_after_commit(guest_cart_topic(current_app, cart_key), {"kind": "cart", "count": count})


def unread_changed(user_id: int | None = None, *, staff: bool = False) -> None:
    """A shopper's support unread count (or, `staff`, every staff member's) may have moved: launchers refresh."""
    if user_id is not None:
        publish_after_commit(f"user:{user_id}", {"kind": "unread"})
    if staff:
        publish_after_commit("staff", {"kind": "unread"})
