"""Support pages: full pages and HTMX fragments, the form fallback, staff actions and who may see what."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from storefront.models import Conversation, Message
from storefront.support import services
from tests.factories import OrderFactory, UserFactory
from tests.support.conftest import sign_in

HX = {"HX-Request": "true"}


def _user(app, user_id):
    from storefront.accounts.models import User

    return db.session.get(User, user_id)


@pytest.fixture
def chat_with_history(app, people):
    """The shopper's conversation holding a question and a staff answer."""
    with app.app_context():
        shopper, staff = _user(app, people["shopper"]), _user(app, people["staff"])
        conversation = services.get_or_open_conversation(shopper)
        services.post_message(conversation, shopper, "Is the kettle in stock?")
        services.post_message(conversation, staff, "Yes, <script>alert(1)</script> ten of them.")
        db.session.commit()
        return conversation.id


def test_support_pages_need_a_signed_in_user(client):
    response = client.get("/support/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/support/messages", data={"body": "x"}).status_code == 302


def test_unverified_shoppers_are_sent_to_confirm_their_email(app, client):
    with app.app_context():
        user = UserFactory(is_verified=False, verified_at=None)
        db.session.commit()
        sign_in(client, user)
    response = client.get("/support/")
    assert response.status_code == 302 and "confirm" in response.headers["Location"]


def test_shopper_page_shows_history_escaped(client, app, people, chat_with_history):
    with app.app_context():
        sign_in(client, _user(app, people["shopper"]))
    response = client.get("/support/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<!doctype html>" in html and 'id="support-chat"' in html
    assert "Is the kettle in stock?" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "js/support-chat.js" in html
    assert f'data-chat-topic="chat:{chat_with_history}"' in html  # joined on the tab's one live socket
    with app.app_context():
        # Opening the page reads the staff answer.
        assert services.unread_count(_user(app, people["shopper"])) == 0


def test_shopper_page_as_htmx_fragment(client, app, people, chat_with_history):
    with app.app_context():
        sign_in(client, _user(app, people["shopper"]))
    html = client.get("/support/", headers=HX).get_data(as_text=True)
    assert "<!doctype html>" not in html
    assert 'id="support-chat"' in html and 'id="support-launcher"' in html and 'hx-swap-oob="true"' in html


def test_ask_about_an_order(client, app, people):
    with app.app_context():
        shopper = _user(app, people["shopper"])
        order = OrderFactory(user=shopper)
        strangers = OrderFactory(user=_user(app, people["other"]))
        db.session.commit()
        order_id, strangers_id = order.id, strangers.id
        sign_in(client, shopper)
    # The link only offers the question: a GET leaves the conversation's subject alone.
    response = client.get(f"/support/?order={order_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Ask about order #{order_id}" in html and "About order <strong>" not in html
    assert client.get(f"/support/?order={strangers_id}").status_code == 404
    with app.app_context():
        assert db.session.query(Conversation).one().order_id is None
    response = client.post("/support/order", data={"order": order_id})
    assert response.status_code == 303 and response.headers["Location"].endswith("/support/")
    assert f"About order <strong>#{order_id}</strong>" in client.get("/support/").get_data(as_text=True)
    assert client.post("/support/order", data={"order": strangers_id}).status_code == 404
    with app.app_context():
        assert db.session.query(Conversation).one().order_id == order_id


def test_form_post_without_js_stores_and_redirects(client, app, people):
    with app.app_context():
        sign_in(client, _user(app, people["shopper"]))
    response = client.post("/support/messages", data={"body": "Hello <i>there</i>"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/support/")
    page = client.get("/support/").get_data(as_text=True)
    assert "Hello &lt;i&gt;there&lt;/i&gt;" in page
    with app.app_context():
        assert [m.body for m in db.session.query(Message)] == ["Hello <i>there</i>"]


def test_form_post_via_htmx_returns_the_chat_fragment(client, app, people):
    with app.app_context():
        sign_in(client, _user(app, people["shopper"]))
    response = client.post("/support/messages", data={"body": "via htmx"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<!doctype html>" not in html and "via htmx" in html and 'id="support-chat"' in html


def test_form_post_errors(client, app, people):
    with app.app_context():
        sign_in(client, _user(app, people["shopper"]))
    app.config["SUPPORT_MAX_MESSAGE_LENGTH"] = 10
    response = client.post("/support/messages", data={"body": "x" * 11})
    assert response.status_code == 422
    assert "at most 10 characters" in response.get_data(as_text=True)
    response = client.post("/support/messages", data={"body": "   "}, headers=HX)
    assert response.status_code == 200 and "Write a message first." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Message).count() == 0


def test_form_post_needs_csrf(csrf_app, people):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        sign_in(client, _user(csrf_app, people["shopper"]))
    assert client.post("/support/messages", data={"body": "no token"}).status_code == 400


def test_staff_inbox_page_and_fragment(client, app, people, chat_with_history):
    with app.app_context():
        shopper = _user(app, people["shopper"])
        services.post_message(db.session.get(Conversation, chat_with_history), shopper, "Hello again")
        db.session.commit()
        sign_in(client, _user(app, people["staff"]))
    page = client.get("/support/inbox").get_data(as_text=True)
    assert "<!doctype html>" in page and "Olga Shopper" in page
    assert 'aria-label="1 unread"' in page  # the shopper's new message
    fragment = client.get("/support/inbox?filter=mine", headers=HX).get_data(as_text=True)
    assert "<!doctype html>" not in fragment and 'id="support-inbox"' in fragment
    assert "Olga Shopper" in fragment  # the staff answer assigned it
    assert 'id="support-launcher"' in fragment and 'hx-swap-oob="true"' in fragment
    closed = client.get("/support/inbox?filter=closed").get_data(as_text=True)
    assert "Olga Shopper" not in closed
    assert client.get("/support/inbox?filter=bogus").status_code == 200


def test_shoppers_cannot_use_staff_pages(client, app, people, chat_with_history):
    with app.app_context():
        sign_in(client, _user(app, people["other"]))
    assert client.get("/support/inbox").status_code == 403
    assert client.get(f"/support/conversations/{chat_with_history}").status_code == 403
    assert client.post(f"/support/conversations/{chat_with_history}/messages", data={"body": "x"}).status_code == 403
    assert client.post(f"/support/conversations/{chat_with_history}/close").status_code == 403
    # Their own support page never shows another shopper's conversation.
    assert "Is the kettle in stock?" not in client.get("/support/").get_data(as_text=True)


def test_staff_conversation_view_with_orders_and_actions(client, app, people, chat_with_history):
    with app.app_context():
        order = OrderFactory(user=_user(app, people["shopper"]))
        db.session.commit()
        order_id = order.id
        sign_in(client, _user(app, people["staff"]))
    url = f"/support/conversations/{chat_with_history}"
    page = client.get(url).get_data(as_text=True)
    assert "Recent orders" in page and f"#{order_id}" in page and "Is the kettle in stock?" in page
    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert "<!doctype html>" not in fragment and 'id="support-chat"' in fragment and "Recent orders" not in fragment

    assert client.post(f"{url}/close").status_code == 303
    with app.app_context():
        assert db.session.get(Conversation, chat_with_history).is_open is False
    assert "Reopen" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/reopen")
    with app.app_context():
        assert db.session.get(Conversation, chat_with_history).is_open is True

    response = client.post(f"{url}/messages", data={"body": "Anything else?"})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    response = client.post(f"{url}/messages", data={"body": "And via htmx"}, headers=HX)
    assert response.status_code == 200 and "And via htmx" in response.get_data(as_text=True)
    assert client.get("/support/conversations/999999").status_code == 404


def test_assign_to_me(client, app, people, chat_with_history):
    with app.app_context():
        from tests.factories import StaffFactory

        colleague = StaffFactory(name="Colleague")
        db.session.commit()
        sign_in(client, colleague)
        colleague_id = colleague.id
    client.post(f"/support/conversations/{chat_with_history}/assign")
    with app.app_context():
        assert db.session.get(Conversation, chat_with_history).assignee_id == colleague_id


def test_no_recent_orders_shows_nothing(client, app, people, chat_with_history):
    with app.app_context():
        sign_in(client, _user(app, people["staff"]))
    assert "Recent orders" not in client.get(f"/support/conversations/{chat_with_history}").get_data(as_text=True)


def test_staff_visiting_the_shopper_page_go_to_the_inbox(client, app, people):
    with app.app_context():
        sign_in(client, _user(app, people["staff"]))
    response = client.get("/support/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/support/inbox")


def test_launcher_partial_shows_the_unread_badge(client, app, people, chat_with_history):
    with app.app_context():
        shopper = _user(app, people["shopper"])
        conversation = db.session.get(Conversation, chat_with_history)
        conversation.shopper_read_id = conversation.messages[0].id  # read the question, not the answer
        db.session.commit()
        sign_in(client, shopper)
    html = client.get("/support/launcher").get_data(as_text=True)
    assert 'id="support-launcher"' in html and 'aria-label="1 unread"' in html


def test_launcher_for_anonymous_visitors_has_no_badge(client):
    html = client.get("/support/launcher").get_data(as_text=True)
    assert 'id="support-launcher"' in html and 'href="/support/"' in html and "badge" not in html


def test_absurd_ids_in_urls_are_404_not_500(client, app, people):
    with app.app_context():
        sign_in(client, _user(app, people["staff"]))
    assert client.get(f"/support/conversations/{10**30}").status_code == 404
    assert client.post(f"/support/conversations/{10**30}/close").status_code == 404


def test_absurd_order_id_is_404(client, app, people):
    with app.app_context():
        sign_in(client, _user(app, people["shopper"]))
    assert client.get(f"/support/?order={10**30}").status_code == 404
