"""Fan-out through Redis: two server processes (or two brokers) share one Redis, each side sees the other."""

from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest
from pytest_flask.live_server import LiveServer
from simple_websocket import Client

from storefront import create_app
from storefront.accounts.models import User
from storefront.extensions import db
from storefront.support import services
from storefront.support.broker import RedisBroker
from tests.support.conftest import cookie_header, ws_url

pytestmark = pytest.mark.redis
TIMEOUT = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def prefix() -> str:
    # Pub/sub ignores Redis database numbers: a unique prefix keeps parallel runs apart.
    return f"storefront-test-{uuid.uuid4().hex}:support"


def test_two_brokers_share_messages_through_redis(redis_url, prefix):
    first, second = RedisBroker(redis_url, prefix), RedisBroker(redis_url, prefix)
    got = threading.Event()
    received = []

    def on_message(text):
        received.append(text)
        got.set()

    try:
        first.subscribe(f"{prefix}:conversation:7", on_message)
        # The listener subscribes asynchronously: publish until the first delivery arrives.
        for _ in range(50):
            second.publish(f"{prefix}:conversation:7", '{"id": 1}')
            if got.wait(0.1):
                break
        assert received and received[0] == '{"id": 1}'
        second.publish(f"{prefix}:conversation:8", '{"id": 2}')  # nobody here listens to 8
        second.publish(f"{prefix}:conversation:7", '{"id": 3}')
        for _ in range(50):
            if received[-1] == '{"id": 3}':
                break
            got.clear()
            got.wait(0.1)
        assert '{"id": 2}' not in received and received[-1] == '{"id": 3}'
    finally:
        first.close()
        second.close()


@pytest.fixture
def two_servers(app, people, redis_url, prefix, request):
    """Two server processes on one database and one Redis, like two gunicorn workers."""
    settings = {"REDIS_URL": redis_url, "SUPPORT_CHANNEL_PREFIX": prefix}
    app.config.update(settings)
    other_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **settings})
    with app.app_context():
        db.engine.dispose()
    servers = []
    for instance in (app, other_app):
        server = LiveServer(instance, "127.0.0.1", _free_port(), wait=5, clean_stop=False)
        server.start()
        request.addfinalizer(server.stop)
        servers.append(server)
    yield servers
    with other_app.app_context():
        db.engine.dispose()


def _connect(app, server, user_id, query):
    with app.app_context():
        headers = cookie_header(app, db.session.get(User, user_id))
    return Client.connect(ws_url(server, f"/ws/support?{query}"), headers=headers)


def _receive(ws):
    raw = ws.receive(timeout=TIMEOUT)
    assert raw is not None, "nothing arrived"
    return json.loads(raw)


def test_shopper_on_one_process_and_staff_on_another(app, people, two_servers):
    first, second = two_servers
    with app.app_context():
        conversation = services.get_or_open_conversation(db.session.get(User, people["shopper"]))
        db.session.commit()
        query = f"conversation={conversation.id}"
    shopper = _connect(app, first, people["shopper"], query)
    staff = _connect(app, second, people["staff"], query)
    try:
        shopper.send(json.dumps({"body": "from process one"}))
        assert _receive(staff)["body"] == "from process one"
        for n in range(5):
            staff.send(json.dumps({"body": f"answer {n}"}))
        shopper_view = [m["body"] for m in (_receive(shopper) for _ in range(6))]
        assert shopper_view == ["from process one"] + [f"answer {n}" for n in range(5)]
    finally:
        shopper.close()
        staff.close()

    # History survives a restart of the process the shopper was on.
    first.stop()
    with app.app_context():
        db.engine.dispose()  # the new process is forked from this one: no shared pooled connections
    restarted = LiveServer(app, "127.0.0.1", _free_port(), wait=5, clean_stop=False)
    restarted.start()
    try:
        again = _connect(app, restarted, people["shopper"], f"{query}&after=0")
        try:
            history = [_receive(again)["body"] for _ in range(6)]
            assert history == ["from process one"] + [f"answer {n}" for n in range(5)]
        finally:
            again.close()
    finally:
        restarted.stop()
