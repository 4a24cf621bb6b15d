"""The chat's frame handling, shared by both sockets that carry a conversation: `/ws/support` (the documented API
socket) and `/ws/live` (a page's one socket, with a `chat:<id>` topic).

Each socket only establishes who is talking about which conversation (`ChatParty`) and how a frame travels; what a
frame may do — decode it, check the session is still live, store a message or move a read marker in one unit of
work, answer an error frame — lives here once, so the two routes cannot drift apart.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app
from flask_babel import gettext as _
from simple_websocket import ConnectionClosed

from storefront.accounts import sessions
from storefront.accounts.models import User
from storefront.domain_errors import DomainError
from storefront.support import services
from storefront.support.broker import get_broker
from storefront.support.models import Conversation
from storefront.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatParty:
    """Who a socket speaks for in one conversation, and the server-side session it was opened under."""

    user_id: int
    session_id: int  # ending that session closes the socket
    conversation_id: int


class SessionEnded(Exception):
    """The session the socket was opened under ended (log-out, sign out everywhere, deactivation)."""


def authorize_conversation(user: User, conversation_id: int) -> Conversation:
    """The handshake's check for a named conversation (both sockets): someone else's is the service's 404."""
    try:
        return services.conversation_for(user, conversation_id)
    except DomainError as error:
        abort(error.status)


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def malformed() -> dict[str, Any]:
    return error_frame("malformed", 'Send a JSON object such as {"body": "Hello"}.')


def decode(raw: str | bytes | None) -> dict | None:
    """A client frame as a JSON object, or None when it is anything else (binary, not JSON, not an object)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):  # a hostile, deeply nested frame is malformed, not a crash
        return None
    return data if isinstance(data, dict) else None


def load(party: ChatParty) -> tuple[User, Conversation]:
    """The live session's user and the conversation, re-checked on every frame (the one validity rule)."""
    row = sessions.find_live(session_id=party.session_id)
    if row is None or row.user_id != party.user_id:
        raise SessionEnded()
    return row.user, services.conversation_for(row.user, party.conversation_id)


def missed(party: ChatParty, after: int | None) -> list[tuple[int, str]]:
    """The stored messages after `after` (a reconnecting client's last seen id), as (id, frame text)."""
    if after is None:
        return []
    user, conversation = load(party)
    return [
        (message.id, json.dumps(services.message_payload(message), ensure_ascii=False))
        for message in services.messages_after(conversation, after, user)
    ]


def handle_frame(party: ChatParty, data: dict | None) -> dict | None:
    """Store what one decoded client frame asks for; answer with an error frame, or nothing (the echo is the
    answer: the stored message comes back through the conversation's channel, to the sender too)."""
    if data is None:
        return malformed()
    try:
        # One unit of work per frame; its commit publishes (after-commit), so the sender gets the echo.
        with unit_of_work():
            user, conversation = load(party)
            if "body" in data:
                if not isinstance(data["body"], str):
                    return error_frame("malformed", _("The body must be text."))
                services.post_message(conversation, user, data["body"])
            elif "read" in data:
                if not isinstance(data["read"], int) or isinstance(data["read"], bool):
                    return error_frame("malformed", "read must be a message id.")
                services.mark_read(conversation, user, data["read"])
            else:
                return malformed()
        if "body" in data and not get_broker(current_app._get_current_object()).available:
            # Stored, but live delivery is interrupted (Redis away): say so rather than leave the sender waiting.
            return error_frame("reconnecting", _("Reconnecting… Your message is saved and will be delivered shortly."))
    except DomainError as error:
        return error_frame(error.code, error.message)
    except SessionEnded:
        raise
    except Exception:  # one bad frame (or a database hiccup) must not take the socket down
        log.exception("support: storing a frame failed")
        return error_frame("unavailable", _("The message could not be stored; try again."))
    return None


def message_id(text: str) -> int | None:
    """A stored message frame's id (what the catch-up and the live frames are matched by)."""
    try:
        return json.loads(text).get("id")
    except (ValueError, AttributeError):
        return None


class Relay:
    """Writes frames to one socket; holds live frames back until the catch-up has been sent.

    `key` names the frames a catch-up may also contain (stored messages, by id): those are sent once."""

    def __init__(self, ws, key: Callable[[str], int | None] = message_id):
        self.ws = ws
        self._key = key
        self._lock = threading.Lock()  # the broker's listener and the socket's handler may both write
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
            for frame_id, text in frames:
                self._send(text)
                sent.add(frame_id)
            # A message published while the catch-up was read may be in both lists: send it once.
            for text in self._held:
                key = self._key(text) if sent else None
                if key is None or key not in sent:
                    self._send(text)
            self._held.clear()
            self._ready = True

    def reply(self, payload: dict) -> None:
        with self._lock:
            self._send(json.dumps(payload, ensure_ascii=False))

    def _send(self, text: str) -> None:
        try:
            self.ws.send(text)
        except (ConnectionClosed, OSError):
            pass  # the handler's receive() sees the close and unsubscribes
