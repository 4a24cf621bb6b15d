"""/ws/live end to end: a real server process, real websocket clients, pushes caused by real requests."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from simple_websocket import Client, ConnectionError

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.orders import checkout
from tests.factories import CartItemFactory, ContactFactory, OfferFactory
from tests.support.conftest import cookie_header, ws_url

TIMEOUT = 20  # generous: the suite shares 2 cores; a frame that arrives returns at once


@pytest.fixture
def order(app, people):
    """An order of the shopper in `people`, placed and committed; returns its id."""
    with app.app_context():
        shopper = db.session.get(User, people["shopper"])
        contact = ContactFactory(user=shopper)
        CartItemFactory(user=shopper, offer=OfferFactory(quantity=5), quantity=1)
        db.session.commit()
        placed = checkout.place_order(shopper, contact.id, "live-socket")
        db.session.commit()
        return placed.id


def connect(app, server, user_id: int | None, topics: str, **headers) -> Client:
    if user_id is not None:
        with app.app_context():
            headers.update(cookie_header(app, db.session.get(User, user_id)))
    ws = Client.connect(ws_url(server, f"/ws/live?topics={topics}"), headers=headers)
    # simple-websocket's client parses only the 101 from its first read: a "ready" frame that arrived in the same
    # read waits in wsproto's buffer until more data comes (the next ping, 25 s). Browsers have no such quirk.
    ws._handle_events()
    return ws


def receive_json(ws, timeout: float = TIMEOUT) -> dict:
    raw = ws.receive(timeout=timeout)
    assert raw is not None, "nothing arrived on the socket"
    return json.loads(raw)


def refused_status(app, server, user_id, topics, **headers) -> int:
    with pytest.raises(ConnectionError) as refused:
        connect(app, server, user_id, topics, **headers)
    return refused.value.status_code


def test_handshakes_are_checked_before_the_upgrade(app, server, people, order):
    assert refused_status(app, server, None, "") == 400
    assert refused_status(app, server, None, "order:abc") == 400
    assert refused_status(app, server, None, ",".join(f"product:{n}" for n in range(1, 30))) == 400
    assert refused_status(app, server, None, "cart") == 401  # personal topics need a session
    assert refused_status(app, server, None, f"order:{order}") == 401
    assert refused_status(app, server, people["other"], f"order:{order}") == 404  # not theirs: as if missing
    assert refused_status(app, server, people["shopper"], "cart", Origin="https://evil.example") == 403
    anonymous = connect(app, server, None, "product:1")  # stock and price are public
    assert receive_json(anonymous) == {"kind": "ready"}
    anonymous.close()


def test_a_staff_status_change_reaches_the_shoppers_socket(app, server, people, order):
    shopper = connect(app, server, people["shopper"], f"order:{order},orders,cart")
    staff_sees = connect(app, server, people["staff"], f"order:{order}")
    try:
        assert receive_json(shopper) == {"kind": "ready"}
        assert receive_json(staff_sees) == {"kind": "ready"}
        with app.app_context():
            staff_headers = cookie_header(app, db.session.get(User, people["staff"]))
        form = urllib.parse.urlencode({"status": "confirmed", "expected": "new", "note": ""}).encode()
        request = urllib.request.Request(server.url(f"/staff/orders/{order}/status"), data=form, headers=staff_headers)
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            assert response.status == 200
        frames = [receive_json(shopper), receive_json(shopper)]
        assert {(f["topic"], f["kind"]) for f in frames} == {
            (f"order:{order}", "order"), (f"user:{people['shopper']}", "orders")
        }
        assert receive_json(staff_sees) == {"topic": f"order:{order}", "kind": "order", "id": order}
    finally:
        shopper.close()
        staff_sees.close()
