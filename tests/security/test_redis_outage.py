"""Issue 17: with Redis down, page log-in, API log-in and sending a chat message answered 500.

Each test runs its own redis-server (ports 6396-6399) and stops it, or points at a port nobody listens on:
rate limits then count in this process, and the chat says "reconnecting" instead of failing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest
import redis
from simple_websocket import Client

from storefront.accounts.models import User
from storefront.extensions import db, limiter
from storefront.models import Message
from storefront.support import services
from tests.conftest import worker_port
from tests.factories import PASSWORD, UserFactory
from tests.orders.order_helpers import login
from tests.support.conftest import cookie_header

OWN_PORT = worker_port(int(os.environ.get("TEST_OUTAGE_REDIS_PORT", "6396")))
NOBODY_PORT = OWN_PORT + 1  # never started: "Redis is down" from the first request on


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def own_redis():
    """A redis-server of this test's own; the test stops it with `.stop()` (and it is stopped at the end)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    assert not _listening(OWN_PORT), f"port {OWN_PORT} is taken"
    process = subprocess.Popen(
        [binary, "--port", str(OWN_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        if _listening(OWN_PORT):
            break
        time.sleep(0.1)

    class Server:
        url = f"redis://127.0.0.1:{OWN_PORT}/0"

        @staticmethod
        def stop():
            if process.poll() is None:
                process.terminate()
                process.wait(5)

    yield Server
    Server.stop()


def _use_redis(app, url: str) -> None:
    app.config.update(RATELIMIT_STORAGE_URI=url, REDIS_URL=url)
    limiter.init_app(app)  # Flask-Limiter reads its storage at init


def _page_login(client, password=PASSWORD):
    return client.post("/login", data={"email": "bob@example.com", "password": password})


def _api_login(client, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": "bob@example.com", "password": password})


def test_log_in_survives_redis_going_away(app, session, own_redis):
    _use_redis(app, own_redis.url)
    app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"] = "3 per 15 minutes"
    UserFactory(email="bob@example.com")
    session.commit()
    assert _page_login(app.test_client(), "wrong-password").status_code == 200
    assert redis.Redis.from_url(own_redis.url).keys("*")  # the counts were in Redis

    own_redis.stop()
    assert _page_login(app.test_client()).status_code == 302
    assert _api_login(app.test_client()).status_code == 200
    # Still throttled, in this process: three failures reach the limit of three.
    for _ in range(3):
        assert _api_login(app.test_client(), "wrong-password").status_code == 401
    assert _api_login(app.test_client()).status_code == 429


def test_log_in_works_when_redis_is_down_from_the_start(app, session):
    assert not _listening(NOBODY_PORT)
    _use_redis(app, f"redis://127.0.0.1:{NOBODY_PORT}/0")
    UserFactory(email="bob@example.com")
    session.commit()
    assert _page_login(app.test_client(), "wrong-password").status_code == 200
    assert _page_login(app.test_client()).status_code == 302
    assert _api_login(app.test_client(), "wrong-password").status_code == 401
    assert _api_login(app.test_client()).status_code == 200


def test_a_chat_message_from_the_page_is_stored_when_redis_is_down(app, client, session):
    _use_redis(app, f"redis://127.0.0.1:{NOBODY_PORT}/0")
    shopper = UserFactory(is_verified=True)
    session.commit()
    login(client, shopper)
    response = client.post("/support/messages", data={"body": "Where is my order?"})
    assert response.status_code == 303
    assert session.query(Message).filter_by(author_id=shopper.id).one().body == "Where is my order?"


def test_the_chat_socket_answers_reconnecting_when_redis_is_down(app, session, request):
    _use_redis(app, f"redis://127.0.0.1:{NOBODY_PORT}/0")
    shopper = UserFactory(is_verified=True)
    session.commit()
    conversation = services.get_or_open_conversation(shopper)
    db.session.commit()
    headers = cookie_header(app, db.session.get(User, shopper.id))
    query = f"conversation={conversation.id}"
    db.engine.dispose()  # the server process is forked: it must not share pooled connections with us
    server = request.getfixturevalue("live_server")

    ws = Client.connect(server.url(f"/ws/support?{query}").replace("http://", "ws://", 1), headers=headers)
    try:
        ws.send(json.dumps({"body": "Hello?"}))
        frames = [json.loads(ws.receive(timeout=5)) for _ in range(2)]
    finally:
        ws.close()
    assert {"error": "reconnecting"}.items() <= next(f for f in frames if "error" in f).items()
    assert any(f.get("body") == "Hello?" for f in frames)  # this process still delivers it, to the sender too
    session.expire_all()
    assert session.query(Message).filter_by(author_id=shopper.id).one().body == "Hello?"
