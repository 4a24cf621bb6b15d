"""The live socket, `/ws/live?topics=order:12,product:5,orders,cart,unread,chat:7,inbox&after=<id>`: one per tab.

The handshake is checked before the upgrade (a refusal is a plain HTTP answer, as for `/ws/support`): 400 not a
websocket, a malformed topic list or more than one chat topic, 403 foreign Origin (or `inbox` for a non-staff
user), 401 a personal topic without a verified session, 404 an order or conversation the user may not see
(storefront.policy, and for a conversation the chat socket's own check, support.frames.authorize_conversation).
Product topics are public (stock and price are on the page anyway); a guest's `cart` is its session cart's badge,
on a channel keyed by a digest of that session's secret cart key.

The server sends `{"kind": "ready"}` once subscribed, then the frames of storefront.realtime.events. A `chat:<id>`
topic makes it the tab's chat socket too: the stored messages (with `after`, first those after that id, as on
`/ws/support`) arrive as the chat's own message frames plus `"topic": "chat:<id>", "kind": "chat"`, and the client
sends the chat's frames naming the conversation, `{"conversation": <id>, "body": "…"}` or `{"conversation": <id>,
"read": <id>}`, handled by the one chat frame handler (support.frames: validation, rate limit, a unit of work per
frame, fan-out); its error frames carry the topic too. A frame that names no subscribed conversation is answered
`{"kind": "error", "error": …, "message": …}` and the socket stays open. `inbox` (staff) carries the support
inbox's `{"type": "inbox", …}` frames with `"topic": "inbox", "kind": "inbox"`.

The socket holds no database connection while idle, and at least every LIVE_SESSION_RECHECK seconds it checks
that its session is still live (log-out elsewhere closes it with 1008, as does a chat frame after it).

Under the realtime process (gevent, `realtime.py`) an idle socket is two greenlets and a few kB; under the
threaded server (`make run`, tests) it holds a thread, as the chat socket does.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from wsproto.frame_protocol import CloseReason

from storefront import policy
from storefront.accounts import sessions
from storefront.cart.guest import guest_cart_key
from storefront.extensions import db, sock
from storefront.orders.models import Order
from storefront.realtime.events import channel, guest_cart_topic
from storefront.support import frames
from storefront.support.broker import conversation_channel, get_broker, inbox_channel
from storefront.support.handshake import handshake_session, int_arg, same_origin
from storefront.unit_of_work import unit_of_work

live_bp = Blueprint("live_ws", __name__)

MAX_TOPICS = 20
TOPIC = re.compile(r"^(order|product|chat):([1-9][0-9]{0,9})$|^(orders|cart|unread|inbox)$")


@dataclass(frozen=True)
class LiveTarget:
    user_id: int | None
    session_id: int | None
    topics: tuple[str, ...]  # the channels' topics: order:<id>, product:<id>, user:<id>, guest:<digest>, staff
    chat: int | None = None  # the conversation this tab shows, if any
    after: int | None = None  # its last message id the tab has (the catch-up starts after it)
    inbox: bool = False

    @property
    def party(self) -> frames.ChatParty | None:
        if self.chat is None or self.user_id is None or self.session_id is None:
            return None
        return frames.ChatParty(self.user_id, self.session_id, self.chat)


def _requested() -> list[re.Match]:
    raw = request.args.get("topics", "")
    names = [name for name in raw.split(",") if name] if len(raw) <= 400 else None
    if not names or len(names) > MAX_TOPICS:
        abort(400)
    matches = [TOPIC.match(name) for name in names]
    if not all(matches):
        abort(400)
    if len({match.group(0) for match in matches if match.group(1) == "chat"}) > 1:
        abort(400)  # a tab shows one conversation; `after` belongs to it
    return matches  # type: ignore[return-value]


def _user_session():
    """The verified session behind the handshake, or None for an anonymous one (product and guest cart only)."""
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
    after = int_arg("after")
    row = _user_session()
    user = row.user if row is not None else None
    topics: set[str] = set()
    chat, inbox = None, False
    for match in requested:
        kind, number, personal = match.group(1), match.group(2), match.group(3)
        if kind == "product":
            topics.add(f"product:{number}")
            continue
        if user is None:
            key = guest_cart_key() if personal == "cart" else None
            if key is None:
                abort(401)
            topics.add(guest_cart_topic(current_app, key))
        elif kind == "order":
            order = db.session.get(Order, int(number)) if int(number) < 2**31 else None
            if order is None or not policy.can_view_order(user, order):
                abort(404)  # someone else's order looks like a missing one
            topics.add(f"order:{order.id}")
        elif kind == "chat":
            chat = frames.authorize_conversation(user, int(number)).id
        elif personal == "inbox":
            if not policy.is_staff(user):
                abort(403)
            inbox = True
        else:
            topics.add(f"user:{user.id}")
            if personal == "unread" and policy.is_staff(user):
                topics.add("staff")
    g.live_socket = LiveTarget(
        user.id if user else None, row.id if row else None, tuple(sorted(topics)), chat, after, inbox
    )


def _session_ended(target: LiveTarget) -> bool:
    try:
        row = sessions.find_live(session_id=target.session_id)
        return row is None or row.user_id != target.user_id
    finally:
        db.session.remove()  # back to idle without a connection


def _tagged(topic: str, kind: str) -> Callable[[str], str]:
    """A channel's frames as this socket sends them: the chat's and inbox's own shapes, plus topic and kind."""

    def tag(text: str) -> str:
        return json.dumps({**json.loads(text), "topic": topic, "kind": kind}, ensure_ascii=False)

    return tag


def _chat_message_id(text: str) -> int | None:
    """The catch-up de-duplicates stored chat messages only (an order push has an `id` too)."""
    data = json.loads(text)
    return data.get("id") if data.get("kind") == "chat" else None


def _answer(target: LiveTarget, raw: str | bytes | None) -> dict | None:
    """One client frame: a chat frame for this tab's conversation goes to the chat's frame handler."""
    data = frames.decode(raw)
    party = target.party
    if data is None:
        return {"kind": "error", **frames.malformed()}
    conversation = data.get("conversation")
    if party is None or isinstance(conversation, bool) or conversation != party.conversation_id:
        return {"kind": "error", **frames.error_frame(
            "not_subscribed", _("Open the socket with this conversation's chat topic before writing to it."))}
    reply = frames.handle_frame(party, data)
    return None if reply is None else {**reply, "topic": f"chat:{party.conversation_id}", "kind": "chat"}


@sock.route("/ws/live", bp=live_bp)
def live_socket(ws):
    """Relay the pushes of the handshake's topics to this socket, and its chat frames, until either side closes."""
    target: LiveTarget = g.live_socket
    db.session.remove()  # the handshake's reads are done: an idle socket holds no connection or transaction
    app = current_app._get_current_object()
    relay = frames.Relay(ws, key=_chat_message_id)
    broker = get_broker(app)
    subscriptions = [broker.subscribe(channel(app, topic), relay.deliver) for topic in target.topics]
    party = target.party
    if party is not None:
        tag = _tagged(f"chat:{party.conversation_id}", "chat")
        subscriptions.append(
            broker.subscribe(conversation_channel(app, party.conversation_id), lambda text: relay.deliver(tag(text)))
        )
    if target.inbox:
        inbox_tag = _tagged("inbox", "inbox")
        subscriptions.append(broker.subscribe(inbox_channel(app), lambda text: relay.deliver(inbox_tag(text))))
    recheck = app.config["LIVE_SESSION_RECHECK"]
    try:
        relay.reply({"kind": "ready"})
        missed: list[tuple[int, str]] = []
        if party is not None and target.after is not None:
            with unit_of_work():  # and it ends the read transaction: an idle socket must not hold one open
                tag = _tagged(f"chat:{party.conversation_id}", "chat")
                missed = [(message_id, tag(text)) for message_id, text in frames.missed(party, target.after)]
            db.session.remove()
        relay.catch_up(missed)  # then the pushes that came meanwhile, each once
        checked = time.monotonic()
        while True:
            raw = ws.receive(timeout=recheck)  # None on timeout
            if target.session_id is not None and (raw is None or time.monotonic() - checked >= recheck):
                if _session_ended(target):
                    raise frames.SessionEnded()
                checked = time.monotonic()
            if raw is not None:
                reply = _answer(target, raw)
                db.session.remove()  # each frame's unit of work is done: back to idle without a connection
                if reply is not None:
                    relay.reply(reply)
    except frames.SessionEnded:
        ws.close(reason=CloseReason.POLICY_VIOLATION, message="Your session has ended; sign in again.")
    finally:
        for subscription in subscriptions:
            subscription.close()
        db.session.remove()
