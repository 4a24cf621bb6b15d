"""The /ws/support websocket end to end: a real server process and real websocket clients."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from simple_websocket import Client, ConnectionClosed, ConnectionError

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.models import Conversation, Message
from storefront.support import services
from tests.factories import UserFactory
from tests.support.conftest import cookie_header, ws_url

TIMEOUT = 5


def receive_json(ws, timeout: float = TIMEOUT) -> dict:
    raw = ws.receive(timeout=timeout)
    assert raw is not None, "nothing arrived on the socket"
    return json.loads(raw)


def assert_silent(ws, timeout: float = 0.5) -> None:
    assert ws.receive(timeout=timeout) is None


@pytest.fixture
def conversation_id(app, people):
    with app.app_context():
        conversation = services.get_or_open_conversation(db.session.get(User, people["shopper"]))
        db.session.commit()
        return conversation.id


def connect(app, server, user_id: int | None, query: str, **headers) -> Client:
    if user_id is not None:
        with app.app_context():
            headers.update(cookie_header(app, db.session.get(User, user_id)))
    return Client.connect(ws_url(server, f"/ws/support?{query}"), headers=headers)


def refused_status(app, server, user_id, query, **headers) -> int:
    with pytest.raises(ConnectionError) as refused:
        connect(app, server, user_id, query, **headers)
    return refused.value.status_code


def test_unauthenticated_handshake_is_refused_before_upgrade(app, server, conversation_id):
    assert refused_status(app, server, None, f"conversation={conversation_id}") == 401


def test_unverified_user_is_refused(app, server, people):
    with app.app_context():
        user = UserFactory(is_verified=False, verified_at=None)
        db.session.commit()
        user_id = user.id
    assert refused_status(app, server, user_id, "") == 401


def test_foreign_origin_is_refused_and_own_origin_accepted(app, server, people, conversation_id):
    query = f"conversation={conversation_id}"
    assert refused_status(app, server, people["shopper"], query, Origin="https://evil.example") == 403
    assert refused_status(app, server, people["shopper"], query, Origin="null") == 403
    # simple-websocket sends `Host: 127.0.0.1` without the port, so that is this client's own origin
    # (browsers send the port in both headers; the Playwright test covers that case).
    ws = connect(app, server, people["shopper"], query, Origin="http://127.0.0.1")
    ws.close()


def test_someone_elses_conversation_is_refused(app, server, people, conversation_id):
    assert refused_status(app, server, people["other"], f"conversation={conversation_id}") == 404
    assert refused_status(app, server, people["shopper"], "conversation=abc") == 400
    assert refused_status(app, server, people["shopper"], "inbox=1") == 403  # the inbox is for staff


def test_plain_http_to_the_socket_is_a_client_error(server):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(server.url("/ws/support"), timeout=TIMEOUT)
    assert error.value.code == 400


def test_shopper_and_staff_see_each_others_messages_stored_first(app, server, people, conversation_id):
    query = f"conversation={conversation_id}"
    shopper = connect(app, server, people["shopper"], query)
    staff = connect(app, server, people["staff"], query)
    inbox = connect(app, server, people["staff"], "inbox=1")
    try:
        shopper.send(json.dumps({"body": "Hello <script>alert(1)</script>"}))
        received = receive_json(staff)
        assert receive_json(shopper) == received  # the sender's echo is the stored message
        assert set(received) == {"id", "conversation_id", "author", "body", "created_at"}
        assert received["body"] == "Hello <script>alert(1)</script>"  # text, escaped by whoever renders it
        assert received["author"] == {"id": people["shopper"], "name": "Olga Shopper", "role": "shopper"}
        with app.app_context():  # stored before it was fanned out
            stored = db.session.get(Message, received["id"])
            assert stored is not None and stored.conversation_id == conversation_id
        assert receive_json(inbox) == {"type": "inbox", "conversation_id": conversation_id}

        staff.send(json.dumps({"body": "How can I help?"}))
        answer = receive_json(shopper)
        assert answer["body"] == "How can I help?" and answer["author"]["role"] == "staff"
        assert receive_json(staff)["id"] == answer["id"]

        for n in range(5):
            shopper.send(json.dumps({"body": f"line {n}"}))
        bodies = [receive_json(staff)["body"] for _ in range(5)]
        assert bodies == [f"line {n}" for n in range(5)]  # in order
    finally:
        for ws in (shopper, staff, inbox):
            ws.close()


def test_reconnect_with_after_returns_what_was_missed(app, server, people, conversation_id):
    query = f"conversation={conversation_id}"
    shopper = connect(app, server, people["shopper"], query)
    shopper.send(json.dumps({"body": "first"}))
    last_seen = receive_json(shopper)["id"]
    shopper.close()

    staff = connect(app, server, people["staff"], query)
    staff.send(json.dumps({"body": "missed 1"}))
    staff.send(json.dumps({"body": "missed 2"}))
    assert [receive_json(staff)["body"] for _ in range(2)] == ["missed 1", "missed 2"]
    staff.close()

    again = connect(app, server, people["shopper"], f"{query}&after={last_seen}")
    try:
        assert [receive_json(again)["body"] for _ in range(2)] == ["missed 1", "missed 2"]
        assert_silent(again)  # nothing before `after`, nothing twice
    finally:
        again.close()


def test_a_shopper_without_conversation_param_gets_their_own(app, server, people, conversation_id):
    ws = connect(app, server, people["shopper"], "")
    try:
        ws.send(json.dumps({"body": "no id given"}))
        assert receive_json(ws)["conversation_id"] == conversation_id
    finally:
        ws.close()


def test_bad_frames_get_an_error_and_the_socket_stays_usable(app, server, people, conversation_id):
    ws = connect(app, server, people["shopper"], f"conversation={conversation_id}")
    try:
        for frame in ("not json", "[1, 2]", json.dumps({"body": 5}), json.dumps({"hello": 1}), json.dumps({"body": " "})):
            ws.send(frame)
            reply = receive_json(ws)
            assert reply["error"] in {"malformed", "invalid_message"}
        ws.send(b"\x00\x01")
        assert receive_json(ws)["error"] == "malformed"
        ws.send(json.dumps({"body": "x" * (app.config["SUPPORT_MAX_MESSAGE_LENGTH"] + 1)}))
        assert receive_json(ws)["error"] == "invalid_message"
        ws.send(json.dumps({"body": "still works"}))
        assert receive_json(ws)["body"] == "still works"
    finally:
        ws.close()
    with app.app_context():
        assert [m.body for m in db.session.query(Message)] == ["still works"]


def test_an_oversize_frame_closes_the_socket(app, server, people, conversation_id):
    ws = connect(app, server, people["shopper"], f"conversation={conversation_id}")
    ws.send(json.dumps({"body": "y" * (64 * 1024)}))
    with pytest.raises(ConnectionClosed):
        for _ in range(3):
            ws.receive(timeout=TIMEOUT)
    assert ws.close_reason == 1009  # "message too big"
    with app.app_context():
        assert db.session.query(Message).count() == 0


def test_read_frames_move_the_marker(app, server, people, conversation_id):
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        answer = services.post_message(conversation, db.session.get(User, people["staff"]), "ping")
        db.session.commit()
        answer_id = answer.id
    ws = connect(app, server, people["shopper"], f"conversation={conversation_id}")
    try:
        ws.send(json.dumps({"read": answer_id}))
        ws.send(json.dumps({"body": "sync"}))  # frames are handled in order: after this echo the read is stored
        receive_json(ws)
    finally:
        ws.close()
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).shopper_read_id >= answer_id


def test_a_socket_of_a_logged_out_everywhere_user_is_closed(app, server, people, conversation_id):
    ws = connect(app, server, people["shopper"], f"conversation={conversation_id}")
    with app.app_context():
        db.session.get(User, people["shopper"]).session_version += 1
        db.session.commit()
    ws.send(json.dumps({"body": "am I still in?"}))
    with pytest.raises(ConnectionClosed):
        for _ in range(3):
            ws.receive(timeout=TIMEOUT)
    assert ws.close_reason == 1008
    with app.app_context():
        assert db.session.query(Message).count() == 0
