"""Chat over the one live socket (`/ws/live` with a `chat:<id>` topic), and the guest's live cart badge."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from simple_websocket import Client, ConnectionClosed, ConnectionError

from storefront.accounts.models import User
from storefront.cart.guest import GUEST_CART_KEY
from storefront.extensions import db
from storefront.models import Conversation, Message
from storefront.realtime.events import guest_cart_topic
from storefront.support import services
from tests.factories import OfferFactory
from tests.support.conftest import cookie_header, ws_url

TIMEOUT = 20  # generous: the suite shares 2 cores; a frame that arrives returns at once


@pytest.fixture
def conversations(app, people):
    """The shopper's and the other shopper's conversations, committed; returns their ids."""
    with app.app_context():
        mine = services.get_or_open_conversation(db.session.get(User, people["shopper"]))
        theirs = services.get_or_open_conversation(db.session.get(User, people["other"]))
        db.session.commit()
        return {"mine": mine.id, "theirs": theirs.id}


def _open(url: str, headers: dict) -> Client:
    ws = Client.connect(url, headers=headers)
    # simple-websocket's client parses only the 101 from its first read: a frame that arrived in the same read
    # waits in wsproto's buffer until more data comes (see test_live_sockets.connect).
    ws._handle_events()
    return ws


def live(app, server, user_id: int | None, query: str, **headers) -> Client:
    if user_id is not None:
        with app.app_context():
            headers.update(cookie_header(app, db.session.get(User, user_id)))
    return _open(ws_url(server, f"/ws/live?{query}"), headers)


def support(app, server, user_id: int, query: str) -> Client:
    with app.app_context():
        headers = cookie_header(app, db.session.get(User, user_id))
    return Client.connect(ws_url(server, f"/ws/support?{query}"), headers=headers)


def receive_json(ws, timeout: float = TIMEOUT) -> dict:
    raw = ws.receive(timeout=timeout)
    assert raw is not None, "nothing arrived on the socket"
    return json.loads(raw)


def ready(ws) -> Client:
    assert receive_json(ws) == {"kind": "ready"}
    return ws


def refused_status(app, server, user_id, query, **headers) -> int:
    with pytest.raises(ConnectionError) as refused:
        live(app, server, user_id, query, **headers)
    return refused.value.status_code


def test_a_chat_topic_is_authorized_as_the_chat_socket_authorizes_a_conversation(app, server, people, conversations):
    mine, theirs = conversations["mine"], conversations["theirs"]
    assert refused_status(app, server, None, f"topics=chat:{mine}") == 401
    assert refused_status(app, server, people["shopper"], f"topics=chat:{theirs}") == 404  # as if missing
    assert refused_status(app, server, people["shopper"], "topics=chat:999999") == 404
    assert refused_status(app, server, people["shopper"], f"topics=chat:{mine},chat:{theirs}") == 400  # one a tab
    assert refused_status(app, server, people["shopper"], f"topics=chat:{mine}&after=x") == 400
    assert refused_status(app, server, people["shopper"], f"topics=chat:{mine}", Origin="https://evil.example") == 403
    assert refused_status(app, server, people["shopper"], "topics=inbox") == 403  # the inbox is for staff
    staff = ready(live(app, server, people["staff"], f"topics=chat:{theirs},inbox,unread"))  # staff see every one
    staff.close()


def test_chat_frames_over_the_live_socket_reach_the_other_participant_on_either_socket(app, server, people,
                                                                                      conversations):
    conversation_id = conversations["mine"]
    topic = f"chat:{conversation_id}"
    shopper = ready(live(app, server, people["shopper"], f"topics={topic},cart,unread"))
    staff = ready(live(app, server, people["staff"], f"topics={topic},inbox,unread"))
    api_client = support(app, server, people["staff"], f"conversation={conversation_id}")
    try:
        shopper.send(json.dumps({"conversation": conversation_id, "body": "Hello <b>there</b>"}))
        frames = [receive_json(staff) for _ in range(3)]
        message = next(frame for frame in frames if frame["kind"] == "chat")
        assert set(message) == {"topic", "kind", "id", "conversation_id", "author", "body", "created_at"}
        assert message["topic"] == topic and message["body"] == "Hello <b>there</b>"
        assert message["author"] == {"id": people["shopper"], "name": "Olga Shopper", "role": "shopper"}
        # The same publish feeds the staff's inbox and unread badge on this one socket.
        assert {frame["kind"] for frame in frames} == {"chat", "inbox", "unread"}
        assert next(f for f in frames if f["kind"] == "inbox") == {
            "type": "inbox", "conversation_id": conversation_id, "topic": "inbox", "kind": "inbox"
        }
        echo = receive_json(shopper)  # the sender's echo is the stored message
        assert echo == message
        with_api = receive_json(api_client)  # /ws/support sees the same message, in its own shape
        assert with_api == {k: v for k, v in message.items() if k not in ("topic", "kind")}
        with app.app_context():
            assert db.session.get(Message, message["id"]).body == "Hello <b>there</b>"  # stored first

        api_client.send(json.dumps({"body": "How can I help?"}))  # and the other way round
        answer = next(f for f in (receive_json(shopper), receive_json(shopper)) if f["kind"] == "chat")
        assert answer["body"] == "How can I help?" and answer["author"]["role"] == "staff"
        assert answer["topic"] == topic
    finally:
        for ws in (shopper, staff, api_client):
            ws.close()


def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays(app, server, people, conversations):
    conversation_id = conversations["mine"]
    topic = f"chat:{conversation_id}"
    ws = ready(live(app, server, people["shopper"], f"topics={topic}"))
    try:
        for frame in ("not json", "[1, 2]", json.dumps({"body": "no conversation named"}),
                      json.dumps({"conversation": conversations["theirs"], "body": "not my topic"}),
                      json.dumps({"conversation": True, "body": "a bool is no id"})):
            ws.send(frame)
            reply = receive_json(ws)
            assert reply["kind"] == "error" and reply["error"] in {"malformed", "not_subscribed"}, reply
            assert "topic" not in reply
        ws.send(b"\x00\x01")
        assert receive_json(ws)["error"] == "malformed"
        # Frames for this conversation go through the chat's own validation; its errors name the topic.
        for frame, code in (({"body": 5}, "malformed"), ({"body": "  "}, "invalid_message"),
                            ({"hello": 1}, "malformed"), ({"read": "x"}, "malformed"),
                            ({"body": "x" * (app.config["SUPPORT_MAX_MESSAGE_LENGTH"] + 1)}, "invalid_message")):
            ws.send(json.dumps({"conversation": conversation_id, **frame}))
            reply = receive_json(ws)
            assert (reply["topic"], reply["kind"], reply["error"]) == (topic, "chat", code)
        ws.send(json.dumps({"conversation": conversation_id, "body": "still works"}))
        assert receive_json(ws)["body"] == "still works"
    finally:
        ws.close()
    with app.app_context():
        assert [m.body for m in db.session.query(Message)] == ["still works"]
        assert db.session.query(Message).filter_by(conversation_id=conversations["theirs"]).count() == 0


def test_reconnecting_with_after_catches_up_on_the_live_socket(app, server, people, conversations):
    conversation_id = conversations["mine"]
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        seen = services.post_message(conversation, db.session.get(User, people["shopper"]), "seen").id
        services.post_message(conversation, db.session.get(User, people["staff"]), "missed 1")
        services.post_message(conversation, db.session.get(User, people["staff"]), "missed 2")
        db.session.commit()
    ws = ready(live(app, server, people["shopper"], f"topics=chat:{conversation_id}&after={seen}"))
    try:
        assert [receive_json(ws)["body"] for _ in range(2)] == ["missed 1", "missed 2"]
        ws.send(json.dumps({"conversation": conversation_id, "body": "back"}))
        assert receive_json(ws)["body"] == "back"  # nothing before `after`, nothing twice: the echo is next
    finally:
        ws.close()


def test_a_logged_out_session_closes_the_live_chat_socket_at_its_next_frame(app, server, people, conversations):
    conversation_id = conversations["mine"]
    ws = ready(live(app, server, people["shopper"], f"topics=chat:{conversation_id}"))
    with app.app_context():
        db.session.get(User, people["shopper"]).session_version += 1
        db.session.commit()
    ws.send(json.dumps({"conversation": conversation_id, "body": "am I still in?"}))
    with pytest.raises(ConnectionClosed):
        for _ in range(3):
            ws.receive(timeout=TIMEOUT)
    assert ws.close_reason == 1008
    with app.app_context():
        assert db.session.query(Message).count() == 0


# --- the guest's cart badge ------------------------------------------------------------------------------------


def guest_cookie(app, cart_key: str) -> dict[str, str]:
    """A guest browser's signed session cookie holding its cart key (what the first page it opens makes)."""
    value = app.session_interface.get_signing_serializer(app).dumps({GUEST_CART_KEY: cart_key})
    return {"Cookie": f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"}


def add_to_cart(server, headers: dict, offer_id: int, quantity: int) -> None:
    body = f"offer_id={offer_id}&quantity={quantity}".encode()
    request = urllib.request.Request(server.url("/cart/add"), data=body, headers={"HX-Request": "true", **headers})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        assert response.status == 200


def test_a_guest_badge_follows_its_own_session_cart_only(app, server, people):
    with app.app_context():
        offer_id = OfferFactory(quantity=10).id
        db.session.commit()
    first_key = secrets.token_urlsafe(24)
    first, second = guest_cookie(app, first_key), guest_cookie(app, secrets.token_urlsafe(24))
    first_tab = ready(live(app, server, None, "topics=cart", **first))
    second_guest = ready(live(app, server, None, "topics=cart,product:1", **second))
    try:
        add_to_cart(server, first, offer_id, 2)
        assert receive_json(first_tab) == {"topic": guest_cart_topic(app, first_key), "kind": "cart", "count": 2}
        add_to_cart(server, second, offer_id, 1)
        # Frames arrive in publish order: had the other guest's push reached this socket, it would come first.
        assert receive_json(second_guest)["count"] == 1
    finally:
        first_tab.close()
        second_guest.close()


def test_a_guest_without_a_session_cart_key_has_no_cart_topic(app, server, people):
    assert refused_status(app, server, None, "topics=cart") == 401
    with_cookie_but_no_key = {"Cookie": f"{app.config.get('SESSION_COOKIE_NAME', 'session')}=not-a-signed-cookie"}
    assert refused_status(app, server, None, "topics=cart", **with_cookie_but_no_key) == 401
    assert refused_status(app, server, None, "topics=unread", **guest_cookie(app, "some-key")) == 401


def test_the_guest_channel_is_keyed_by_a_secret_digest_never_the_key(app):
    key = secrets.token_urlsafe(24)
    topic = guest_cart_topic(app, key)
    assert topic.startswith("guest:") and key not in topic
    assert topic == guest_cart_topic(app, key)  # every tab of the session lands on the same channel
    assert topic != guest_cart_topic(app, key + "x")
