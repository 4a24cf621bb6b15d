"""/api/v1/support and the bearer-token websocket handshake: API clients use the chat like the pages do."""

from __future__ import annotations

import json
import urllib.request

import pytest
from simple_websocket import Client, ConnectionError

from storefront.accounts.api_tokens import issue_token_pair
from storefront.accounts.models import User
from storefront.extensions import db
from storefront.models import Message
from storefront.support import services
from storefront.support.broker import conversation_channel, get_broker
from tests.factories import OrderFactory, UserFactory
from tests.support.conftest import cookie_header, ws_url

API = "/api/v1/support/conversations"
TIMEOUT = 5
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never via a proxy


def token_for(app, user_id: int) -> str:
    with app.app_context():
        pair = issue_token_pair(db.session.get(User, user_id))
        db.session.commit()
        return pair.access_token


def bearer(app, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, user_id)}"}


@pytest.fixture
def chats(app, people):
    """The shopper's conversation with one message from each side, and the other shopper's; returns ids."""
    with app.app_context():
        shopper, other, staff = (db.session.get(User, people[k]) for k in ("shopper", "other", "staff"))
        mine = services.get_or_open_conversation(shopper)
        first = services.post_message(mine, shopper, "Where is my order?")
        services.post_message(mine, staff, "Looking into it.")
        theirs = services.get_or_open_conversation(other)
        services.post_message(theirs, other, "Secret question")
        db.session.commit()
        return {"mine": mine.id, "theirs": theirs.id, "first_message": first.id}


# --- GET /conversations ---------------------------------------------------------------------------------------


def test_a_shopper_lists_only_their_own_conversation(app, client, people, chats):
    response = client.get(API, headers=bearer(app, people["shopper"]))
    assert response.status_code == 200
    body = response.json
    assert [item["id"] for item in body["items"]] == [chats["mine"]]
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    item = body["items"][0]
    assert item["shopper"] == {"id": people["shopper"], "name": "Olga Shopper"}
    assert item["unread"] == 1  # the staff reply; their own message counts as read
    assert item["is_open"] is True and item["assignee_id"] == people["staff"]


def test_staff_list_every_conversation_filtered_like_the_inbox(app, client, people, chats):
    headers = bearer(app, people["staff"])
    listed = client.get(API, headers=headers).json
    assert {item["id"] for item in listed["items"]} == {chats["mine"], chats["theirs"]}
    assert [i["id"] for i in client.get(f"{API}?filter=mine", headers=headers).json["items"]] == [chats["mine"]]
    with app.app_context():
        services.act_on_conversation(db.session.get(User, people["staff"]), chats["theirs"], "close")
        db.session.commit()
    assert [i["id"] for i in client.get(f"{API}?filter=closed", headers=headers).json["items"]] == [chats["theirs"]]
    assert [i["id"] for i in client.get(API, headers=headers).json["items"]] == [chats["mine"]]
    paged = client.get(f"{API}?filter=open&page=2&page_size=1", headers=headers).json
    assert paged["items"] == [] and paged["total"] == 1
    assert client.get(f"{API}?filter=everything", headers=headers).status_code == 422


def test_the_api_needs_a_token_and_a_verified_account(app, client, people, chats):
    assert client.get(API).status_code == 401
    assert client.get(API, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    with app.app_context():
        unverified = UserFactory(is_verified=False, verified_at=None)
        db.session.commit()
        unverified_id = unverified.id
    response = client.get(API, headers=bearer(app, unverified_id))
    assert response.status_code == 403 and response.json["code"] == "email_unverified"  # the one verified rule


# --- GET/POST /conversations/{id}/messages --------------------------------------------------------------------


def test_messages_after_an_id_oldest_first(app, client, people, chats):
    url = f"{API}/{chats['mine']}/messages"
    headers = bearer(app, people["shopper"])
    everything = client.get(url, headers=headers).json
    assert [m["body"] for m in everything] == ["Where is my order?", "Looking into it."]
    assert set(everything[0]) == {"id", "conversation_id", "author", "body", "created_at"}
    assert everything[0]["author"] == {"id": people["shopper"], "name": "Olga Shopper", "role": "shopper"}
    after = client.get(f"{url}?after={chats['first_message']}", headers=headers).json
    assert [m["body"] for m in after] == ["Looking into it."]
    assert len(client.get(f"{url}?limit=1", headers=headers).json) == 1
    assert client.get(url, headers=bearer(app, people["staff"])).status_code == 200


def test_another_shoppers_conversation_is_not_found(app, client, people, chats):
    headers = bearer(app, people["shopper"])
    url = f"{API}/{chats['theirs']}/messages"
    assert client.get(url, headers=headers).status_code == 404
    assert client.post(url, json={"body": "let me in"}, headers=headers).status_code == 404
    assert client.get(f"{API}/999999/messages", headers=headers).status_code == 404
    with app.app_context():
        assert db.session.query(Message).filter_by(body="let me in").count() == 0


def test_posting_stores_the_message_and_fans_it_out_like_a_page(app, client, people, chats):
    received: list[dict] = []
    subscription = get_broker(app).subscribe(
        conversation_channel(app, chats["mine"]), lambda text: received.append(json.loads(text))
    )
    try:
        response = client.post(
            f"{API}/{chats['mine']}/messages", json={"body": "  <b>hi</b>  "}, headers=bearer(app, people["staff"])
        )
    finally:
        subscription.close()
    assert response.status_code == 201
    message = response.json
    assert message["body"] == "<b>hi</b>" and message["conversation_id"] == chats["mine"]
    assert message["author"]["role"] == "staff"
    assert received == [message]  # the socket frame and the API answer are one shape
    with app.app_context():
        assert db.session.get(Message, message["id"]).body == "<b>hi</b>"


def test_bad_message_bodies_are_refused(app, client, people, chats):
    url, headers = f"{API}/{chats['mine']}/messages", bearer(app, people["shopper"])
    assert client.post(url, json={"body": "   "}, headers=headers).status_code == 422
    assert client.post(url, json={}, headers=headers).status_code == 422
    too_long = client.post(url, json={"body": "x" * 4001}, headers=headers)
    assert too_long.status_code == 422 and too_long.json["errors"] == {"body": [too_long.json["message"]]}


# --- POST /conversations ----------------------------------------------------------------------------------------


def test_a_shopper_opens_their_conversation_about_an_order(app, client, people):
    with app.app_context():
        order = OrderFactory(user=db.session.get(User, people["shopper"]))
        foreign = OrderFactory(user=db.session.get(User, people["other"]))
        db.session.commit()
        order_id, foreign_id = order.id, foreign.id
    headers = bearer(app, people["shopper"])
    opened = client.post(API, json={"order_id": order_id}, headers=headers)
    assert opened.status_code == 200 and opened.json["order_id"] == order_id and opened.json["unread"] == 0
    again = client.post(API, json={}, headers=headers)
    assert again.json["id"] == opened.json["id"]  # one running conversation per shopper
    assert client.post(API, json={"order_id": foreign_id}, headers=headers).status_code == 404
    assert client.post(API, json={}, headers=bearer(app, people["staff"])).status_code == 403


# --- the websocket handshake with a bearer token -------------------------------------------------------------


def connect(server, query: str, headers: dict[str, str]) -> Client:
    return Client.connect(ws_url(server, f"/ws/support?{query}"), headers=headers)


def refused(server, query: str, headers: dict[str, str]) -> int:
    with pytest.raises(ConnectionError) as error:
        connect(server, query, headers)
    return error.value.status_code


def test_api_clients_chat_over_the_socket_with_bearer_tokens(app, server, people, chats):
    shopper = connect(server, f"conversation={chats['mine']}", bearer(app, people["shopper"]))
    staff = connect(server, f"conversation={chats['mine']}", bearer(app, people["staff"]))
    try:
        shopper.send(json.dumps({"body": "Sent with a token"}))
        for ws in (shopper, staff):
            frame = json.loads(ws.receive(timeout=TIMEOUT))
            assert frame["body"] == "Sent with a token" and frame["author"]["id"] == people["shopper"]
    finally:
        shopper.close()
        staff.close()


def test_a_message_posted_through_the_api_reaches_a_connected_socket(app, server, people, chats):
    staff = connect(server, f"conversation={chats['mine']}", bearer(app, people["staff"]))
    try:
        request = urllib.request.Request(
            server.url(f"{API}/{chats['mine']}/messages"), method="POST",
            data=json.dumps({"body": "via the API"}).encode(),
            headers={"Content-Type": "application/json", **bearer(app, people["shopper"])},
        )
        with DIRECT.open(request, timeout=TIMEOUT) as response:
            assert response.status == 201
            posted = json.loads(response.read())
        assert json.loads(staff.receive(timeout=TIMEOUT)) == posted
    finally:
        staff.close()


def test_bad_or_unverified_tokens_are_refused_before_upgrade(app, server, people, chats):
    query = f"conversation={chats['mine']}"
    assert refused(server, query, {"Authorization": "Bearer not-a-jwt"}) == 401
    assert refused(server, query, {"Authorization": "Basic dXNlcjpwYXNz"}) == 401
    # A bad token is not rescued by a valid session cookie: the header the client chose is the one checked.
    assert refused(server, query, {"Authorization": "Bearer x", **cookie_header(app, _user(app, people["shopper"]))}) == 401
    with app.app_context():
        unverified = UserFactory(is_verified=False, verified_at=None)
        inactive = UserFactory()
        db.session.commit()
        ids = (unverified.id, inactive.id)
    unverified_headers, inactive_headers = bearer(app, ids[0]), bearer(app, ids[1])
    with app.app_context():
        db.session.get(User, ids[1]).is_active = False
        db.session.commit()
    assert refused(server, "", unverified_headers) == 401
    assert refused(server, "", inactive_headers) == 401
    assert refused(server, f"conversation={chats['theirs']}", bearer(app, people["shopper"])) == 404


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user
