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

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, request
from wsproto.frame_protocol import CloseReason

from storefront.domain_errors import DomainError
from storefront.extensions import db, sock
from storefront.support import frames, services
from storefront.support.broker import conversation_channel, get_broker, inbox_channel
from storefront.support.handshake import handshake_session, int_arg, same_origin
from storefront.unit_of_work import unit_of_work

# Its own blueprint: the support pages live under /support, the socket at /ws/support.
ws_bp = Blueprint("support_ws", __name__)


@dataclass(frozen=True)
class SocketTarget:
    user_id: int
    session_id: int  # the server-side session it was opened under: ending that session closes the socket
    channel: str
    conversation_id: int | None
    after: int | None

    @property
    def party(self) -> frames.ChatParty | None:
        if self.conversation_id is None:
            return None  # the inbox socket only listens
        return frames.ChatParty(self.user_id, self.session_id, self.conversation_id)


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
    conversation_id, after = int_arg("conversation"), int_arg("after")
    if request.args.get("inbox") == "1":
        if not services.is_staff(user):
            abort(403)
        channel, conversation_id = inbox_channel(current_app), None
    else:
        if conversation_id is None:
            if services.is_staff(user):
                abort(400)
            try:
                conversation = services.get_or_open_conversation(user)
            except DomainError as error:
                abort(error.status)
        else:
            conversation = frames.authorize_conversation(user, conversation_id)
        conversation_id = conversation.id
        channel = conversation_channel(current_app, conversation_id)
    # Not committed here: a refusal is rolled back by the error handler, an accepted handshake (it may have
    # opened the conversation) by the socket's first unit of work, together with the catch-up.
    g.support_socket = SocketTarget(user.id, user_session.id, channel, conversation_id, after)


@sock.route("/ws/support", bp=ws_bp)
def support_socket(ws):
    """Relay one conversation (or the staff inbox) between this socket and every server process."""
    target: SocketTarget = g.support_socket
    party = target.party
    relay = frames.Relay(ws)
    subscription = get_broker(current_app._get_current_object()).subscribe(target.channel, relay.deliver)
    try:
        with unit_of_work():  # and it ends the read transaction: an idle socket must not hold one open
            relay.catch_up(frames.missed(party, target.after) if party is not None else [])
        while True:
            raw = ws.receive()
            if party is None:
                continue  # the inbox socket only listens
            reply = frames.handle_frame(party, frames.decode(raw))
            if reply is not None:
                relay.reply(reply)
    except frames.SessionEnded:
        ws.close(reason=CloseReason.POLICY_VIOLATION, message="Your session has ended; sign in again.")
    finally:
        subscription.close()
        db.session.remove()
