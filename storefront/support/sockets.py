"""The support chat websocket, `/ws/support?conversation=<id>&after=<last id>` (staff also `?inbox=1`).

The handshake is checked in a `before_request` of this small blueprint, so a refusal is a plain HTTP answer
(401 not signed in or unverified — browsers authenticate with the session cookie, API clients with
`Authorization: Bearer <access token>` —, 403 foreign browser Origin, 404 someone else's conversation) and the socket
is never upgraded. Frames are JSON: the client sends `{"body": "…"}` (or `{"read": <id>}` to move its read
marker); the server sends stored messages `{id, conversation_id, author, body, created_at}`, `{"error": code,
"message": …}` for a refused frame, and in inbox mode `{"type": "inbox", "conversation_id": …}`.

Each socket's handler blocks in `receive`: a greenlet in the realtime process (`realtime.py`, gevent), a thread
under the threaded server (`make run`, tests). Live frames are written by whichever thread publishes (in-process)
or by the Redis listener, serialised per socket by a lock.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _
from simple_websocket import ConnectionClosed
from wsproto.frame_protocol import CloseReason

from storefront.accounts import sessions
from storefront.domain_errors import DomainError
from storefront.extensions import db, sock
from storefront.support import services
from storefront.support.broker import conversation_channel, get_broker, inbox_channel
from storefront.support.handshake import handshake_session, same_origin
from storefront.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

# Its own blueprint: the support pages live under /support, the socket at /ws/support.
ws_bp = Blueprint("support_ws", __name__)


@dataclass(frozen=True)
class SocketTarget:
    user_id: int
    session_id: int  # the server-side session it was opened under: ending that session closes the socket
    channel: str
    conversation_id: int | None
    after: int | None


class SessionEnded(Exception):
    """The session the socket was opened under ended (log-out, sign out everywhere, deactivation)."""


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        abort(400)
    return int(raw)


@ws_bp.before_request
def check_handshake():
    """Refuse before upgrading: not a websocket, foreign Origin, no verified session, or not your conversation."""
    if request.headers.get("Upgrade", "").lower() != "websocket":
        abort(400)
    # CSRF tokens do not cover websockets; the Origin check is what stops another site's page from connecting.
    if not same_origin():
        abort(403)
    user_session = handshake_session()
    user = user_session.user
    conversation_id, after = _int_arg("conversation"), _int_arg("after")
    try:
        if request.args.get("inbox") == "1":
            if not services.is_staff(user):
                abort(403)
            channel, conversation_id = inbox_channel(current_app), None
        else:
            if conversation_id is None:
                if services.is_staff(user):
                    abort(400)
                conversation = services.get_or_open_conversation(user)
            else:
                conversation = services.conversation_for(user, conversation_id)
            conversation_id = conversation.id
            channel = conversation_channel(current_app, conversation_id)
        # Not committed here: a refusal is rolled back by the error handler, an accepted handshake (it may have
        # opened the conversation) by the socket's first unit of work, together with the catch-up.
    except DomainError as error:
        abort(error.status)
    g.support_socket = SocketTarget(user.id, user_session.id, channel, conversation_id, after)


class Relay:
    """Writes frames to one socket; holds live frames back until the catch-up has been sent."""

    def __init__(self, ws):
        self.ws = ws
        self._lock = threading.Lock()
        self._ready = False
        self._held: list[str] = []

    def deliver(self, text: str) -> None:
        with self._lock:
            if self._ready:
                self._send(text)
            else:
                self._held.append(text)

    def catch_up(self, frames: list[tuple[int, str]]) -> None:
        with self._lock:
            sent = set()
            for message_id, text in frames:
                self._send(text)
                sent.add(message_id)
            # A message published while the catch-up was read may be in both lists: send it once.
            for text in self._held:
                if _frame_id(text) not in sent:
                    self._send(text)
            self._held.clear()
            self._ready = True

    def reply(self, payload: dict) -> None:
        with self._lock:
            self._send(json.dumps(payload))

    def _send(self, text: str) -> None:
        try:
            self.ws.send(text)
        except (ConnectionClosed, OSError):
            pass  # the handler's receive() sees the close and unsubscribes


def _frame_id(text: str) -> int | None:
    try:
        return json.loads(text).get("id")
    except (ValueError, AttributeError):
        return None


@sock.route("/ws/support", bp=ws_bp)
def support_socket(ws):
    """Relay one conversation (or the staff inbox) between this socket and every server process."""
    target: SocketTarget = g.support_socket
    relay = Relay(ws)
    subscription = get_broker(current_app._get_current_object()).subscribe(target.channel, relay.deliver)
    try:
        with unit_of_work():  # and it ends the read transaction: an idle socket must not hold one open
            relay.catch_up(_missed(target))
        while True:
            raw = ws.receive()
            if target.conversation_id is None:
                continue  # the inbox socket only listens
            reply = handle_frame(target, raw)
            if reply is not None:
                relay.reply(reply)
    except SessionEnded:
        ws.close(reason=CloseReason.POLICY_VIOLATION, message="Your session has ended; sign in again.")
    finally:
        subscription.close()
        db.session.remove()


def _missed(target: SocketTarget) -> list[tuple[int, str]]:
    if target.conversation_id is None or target.after is None:
        return []
    user, conversation = _load(target)
    return [
        (message.id, json.dumps(services.message_payload(message), ensure_ascii=False))
        for message in services.messages_after(conversation, target.after, user)
    ]


def _load(target: SocketTarget):
    row = sessions.find_live(session_id=target.session_id)  # the one validity rule, checked on every frame
    if row is None or row.user_id != target.user_id:
        raise SessionEnded()
    return row.user, services.conversation_for(row.user, target.conversation_id)


def _error(code: str, message: str) -> dict:
    return {"error": code, "message": message}


def handle_frame(target: SocketTarget, raw: str | bytes | None) -> dict | None:
    """Store what one client frame asks for; answer with an error frame, or nothing (the echo is the answer)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):  # a hostile, deeply nested frame is malformed, not a crash
        data = None
    if not isinstance(data, dict):
        return _error("malformed", 'Send a JSON object such as {"body": "Hello"}.')
    try:
        # One unit of work per frame; its commit publishes (after-commit), so the sender gets the echo.
        with unit_of_work():
            user, conversation = _load(target)
            if "body" in data:
                if not isinstance(data["body"], str):
                    return _error("malformed", _("The body must be text."))
                services.post_message(conversation, user, data["body"])
            elif "read" in data:
                if not isinstance(data["read"], int) or isinstance(data["read"], bool):
                    return _error("malformed", "read must be a message id.")
                services.mark_read(conversation, user, data["read"])
            else:
                return _error("malformed", 'Send a JSON object such as {"body": "Hello"}.')
        if "body" in data and not get_broker(current_app._get_current_object()).available:
            # Stored, but live delivery is interrupted (Redis away): say so rather than leave the sender waiting.
            return _error("reconnecting", _("Reconnecting… Your message is saved and will be delivered shortly."))
    except DomainError as error:
        return _error(error.code, error.message)
    except SessionEnded:
        raise
    except Exception:  # one bad frame (or a database hiccup) must not take the socket down
        log.exception("support: storing a frame failed")
        return _error("unavailable", _("The message could not be stored; try again."))
    return None
