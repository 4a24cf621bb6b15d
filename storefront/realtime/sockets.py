"""The live socket, `/ws/live?topics=order:12,product:5,orders,cart,unread`: one per tab, push only.

The handshake is checked before the upgrade (a refusal is a plain HTTP answer, as for `/ws/support`): 400 not a
websocket or a malformed topic list, 403 foreign Origin, 401 a user topic without a verified session, 404 an order
the user may not see (storefront.policy). Product topics are public (stock and price are on the page anyway).
The server sends `{"kind": "ready"}` once subscribed, then the frames of storefront.realtime.events; what the
client sends is ignored. The socket holds no database connection while idle, and every LIVE_SESSION_RECHECK
seconds it checks that its session is still live (log-out elsewhere closes it with 1008).

Under the realtime process (gevent, `realtime.py`) an idle socket is two greenlets and a few kB; under the
threaded server (`make run`, tests) it holds a thread, as the chat socket does.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user
from simple_websocket import ConnectionClosed
from wsproto.frame_protocol import CloseReason

from storefront import policy
from storefront.accounts import sessions
from storefront.extensions import db, sock
from storefront.orders.models import Order
from storefront.realtime.events import channel
from storefront.support.broker import get_broker
from storefront.support.handshake import handshake_session, same_origin

live_bp = Blueprint("live_ws", __name__)

MAX_TOPICS = 20
TOPIC = re.compile(r"^(order|product):([1-9][0-9]{0,9})$|^(orders|cart|unread)$")


@dataclass(frozen=True)
class LiveTarget:
    user_id: int | None
    session_id: int | None
    topics: tuple[str, ...]  # the channels' topics: order:<id>, product:<id>, user:<id>, staff


def _requested() -> list[re.Match]:
    raw = request.args.get("topics", "")
    names = [name for name in raw.split(",") if name] if len(raw) <= 400 else None
    if not names or len(names) > MAX_TOPICS:
        abort(400)
    matches = [TOPIC.match(name) for name in names]
    if not all(matches):
        abort(400)
    return matches  # type: ignore[return-value]


def _user_session():
    """The verified session behind the handshake, or None for an anonymous one (product topics only)."""
    if request.headers.get("Authorization") or current_user.is_authenticated:
        return handshake_session()  # aborts 401 for a bad token or an unverified user
    return None


@live_bp.before_request
def check_handshake():
    if request.headers.get("Upgrade", "").lower() != "websocket":
        abort(400)
    if not same_origin():  # CSRF tokens do not cover websockets: the Origin check does
        abort(403)
    requested = _requested()
    row = _user_session()
    user = row.user if row is not None else None
    topics: set[str] = set()
    for match in requested:
        kind, number, personal = match.group(1), match.group(2), match.group(3)
        if kind == "product":
            topics.add(f"product:{number}")
            continue
        if user is None:
            abort(401)
        if kind == "order":
            order = db.session.get(Order, int(number)) if int(number) < 2**31 else None
            if order is None or not policy.can_view_order(user, order):
                abort(404)  # someone else's order looks like a missing one
            topics.add(f"order:{order.id}")
        else:
            topics.add(f"user:{user.id}")
            if personal == "unread" and policy.is_staff(user):
                topics.add("staff")
    g.live_socket = LiveTarget(user.id if user else None, row.id if row else None, tuple(sorted(topics)))


def _session_ended(target: LiveTarget) -> bool:
    try:
        row = sessions.find_live(session_id=target.session_id)
        return row is None or row.user_id != target.user_id
    finally:
        db.session.remove()  # back to idle without a connection


@sock.route("/ws/live", bp=live_bp)
def live_socket(ws):
    """Relay the pushes of the handshake's topics to this socket until either side closes it."""
    target: LiveTarget = g.live_socket
    db.session.remove()  # the handshake's reads are done: an idle socket holds no connection or transaction
    app = current_app._get_current_object()
    lock = threading.Lock()

    def deliver(text: str) -> None:
        with lock:  # the broker's listener and this handler may both write
            try:
                ws.send(text)
            except (ConnectionClosed, OSError):
                pass  # receive() below sees the close and unsubscribes

    broker = get_broker(app)
    subscriptions = [broker.subscribe(channel(app, topic), deliver) for topic in target.topics]
    recheck = app.config["LIVE_SESSION_RECHECK"]
    try:
        deliver(json.dumps({"kind": "ready"}))
        while True:
            ws.receive(timeout=recheck)  # None on timeout; client frames are ignored
            if target.session_id is not None and _session_ended(target):
                ws.close(reason=CloseReason.POLICY_VIOLATION, message="Your session has ended; sign in again.")
                break
    finally:
        for subscription in subscriptions:
            subscription.close()
        db.session.remove()
