"""Chat API parity: assign, close and reopen a conversation, and its shopper's recent orders, as the page has them."""

from __future__ import annotations

import pytest

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.models import Conversation
from storefront.support import services
from tests.factories import OrderFactory, StaffFactory
from tests.orders.order_helpers import login
from tests.support.test_support_api import bearer

API = "/api/v1/support/conversations"


@pytest.fixture
def conversation_id(app, people):
    with app.app_context():
        shopper = db.session.get(User, people["shopper"])
        conversation = services.get_or_open_conversation(shopper)
        services.post_message(conversation, shopper, "Where is my order?")
        db.session.commit()
        return conversation.id


def test_staff_assign_close_and_reopen_through_the_api(app, client, people, conversation_id):
    headers = bearer(app, people["staff"])
    assigned = client.post(f"{API}/{conversation_id}/assign", headers=headers)
    assert assigned.status_code == 200
    assert assigned.json["assignee_id"] == people["staff"]
    assert assigned.json["unread"] == 1

    closed = client.post(f"{API}/{conversation_id}/close", headers=headers)
    assert closed.status_code == 200 and closed.json["is_open"] is False
    assert client.get(f"{API}?filter=closed", headers=headers).json["items"][0]["id"] == conversation_id

    reopened = client.post(f"{API}/{conversation_id}/reopen", headers=headers)
    assert reopened.status_code == 200 and reopened.json["is_open"] is True
    with app.app_context():
        row = db.session.get(Conversation, conversation_id)
        assert row.is_open is True and row.assignee_id == people["staff"]


def test_shoppers_cannot_act_and_unknown_conversations_are_404(app, client, people, conversation_id):
    shopper = bearer(app, people["shopper"])
    refused = client.post(f"{API}/{conversation_id}/close", headers=shopper)
    assert refused.status_code == 403
    assert refused.json["code"] == "forbidden"
    assert client.post(f"{API}/999999/close", headers=bearer(app, people["staff"])).status_code == 404
    assert client.post(f"{API}/{conversation_id}/archive", headers=bearer(app, people["staff"])).status_code == 404
    assert client.post(f"{API}/{conversation_id}/close").status_code == 401
    with app.app_context():
        assert db.session.get(Conversation, conversation_id).is_open is True


def test_recent_orders_in_the_api_and_as_links_with_live_status_on_the_page(app, client, people, conversation_id):
    with app.app_context():
        shopper = db.session.get(User, people["shopper"])
        older, newer = OrderFactory(user=shopper), OrderFactory(user=shopper)
        db.session.commit()
        older_id, newer_id = older.id, newer.id
    answer = client.get(f"{API}/{conversation_id}/orders", headers=bearer(app, people["staff"]))
    assert answer.status_code == 200
    assert {row["id"] for row in answer.json} == {older_id, newer_id}
    assert answer.json[0]["status"] == "new" and answer.json[0]["url"].startswith("/api/v1/orders/")
    assert client.get(f"{API}/{conversation_id}/orders", headers=bearer(app, people["shopper"])).status_code == 403

    with app.app_context():
        login(client, db.session.get(User, people["staff"]))
    page = client.get(f"/support/conversations/{conversation_id}").get_data(as_text=True)
    assert f'href="/staff/orders/{newer_id}"' in page
    assert f'data-live-topic="order:{newer_id}"' in page  # the aside refetches when the order moves
    aside = client.get(f"/support/conversations/{conversation_id}/orders", headers={"HX-Request": "true"})
    assert aside.status_code == 200
    assert '<aside id="support-orders"' in aside.get_data(as_text=True)
    full = client.get(f"/support/conversations/{conversation_id}/orders").get_data(as_text=True)
    assert "<html" in full and f'href="/staff/orders/{older_id}"' in full  # a full page without JavaScript


def test_another_staff_member_assigning_takes_it_over(app, client, people, conversation_id):
    with app.app_context():
        colleague = StaffFactory()
        db.session.commit()
        colleague_id = colleague.id
    client.post(f"{API}/{conversation_id}/assign", headers=bearer(app, people["staff"]))
    taken = client.post(f"{API}/{conversation_id}/assign", headers=bearer(app, colleague_id))
    assert taken.json["assignee_id"] == colleague_id
