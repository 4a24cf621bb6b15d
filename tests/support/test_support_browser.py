"""The chat in Chromium: a shopper and a staff member, in two browser contexts, chat both ways over the socket
(each tab's one live socket, /ws/live, which also carries its badges and order updates)."""

from __future__ import annotations

import pytest

from storefront.accounts.models import User
from storefront.extensions import db
from storefront.models import Message
from storefront.support import services
from tests.support.conftest import session_cookie

pytestmark = pytest.mark.browser


def _signed_in_page(browser, app, server, user_id):
    with app.app_context():
        cookie = session_cookie(app, db.session.get(User, user_id))
    context = browser.new_context()
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": server.url("/")}])
    return context, context.new_page()


def test_shopper_and_staff_chat_both_ways(app, server, browser, people):
    with app.app_context():
        conversation = services.get_or_open_conversation(db.session.get(User, people["shopper"]))
        db.session.commit()
        conversation_id = conversation.id
    shopper_context, shopper = _signed_in_page(browser, app, server, people["shopper"])
    staff_context, staff = _signed_in_page(browser, app, server, people["staff"])
    sockets = {"shopper": [], "staff": []}
    shopper.on("websocket", lambda ws: sockets["shopper"].append(ws.url))
    staff.on("websocket", lambda ws: sockets["staff"].append(ws.url))
    try:
        shopper.goto(server.url("/support/"))
        staff.goto(server.url(f"/support/conversations/{conversation_id}"))
        posts = []
        shopper.on("request", lambda request: request.method == "POST" and posts.append(request.url))
        for page in (shopper, staff):
            page.locator('#support-chat[data-socket="open"]').wait_for()

        box = shopper.get_by_label("Message")
        box.fill("Hello <img src=x onerror=alert(1)>")
        box.press("Enter")
        # Both sides see it live, as text: no element was created from the payload.
        staff.locator(".chat-body", has_text="Hello <img src=x onerror=alert(1)>").wait_for()
        shopper.locator(".chat-body", has_text="Hello <img src=x onerror=alert(1)>").wait_for()
        assert shopper.locator("#support-messages img").count() == 0
        assert staff.locator("#support-messages img").count() == 0
        assert box.input_value() == ""
        assert posts == []  # sent over the socket, not by posting the form

        reply = staff.get_by_label("Message")
        reply.fill("Hi! How can we help?")
        reply.press("Enter")
        shopper.locator(".chat-message.from-staff .chat-body", has_text="Hi! How can we help?").wait_for()
        # One socket per tab: the chat rides on the live socket with the badges (and, for staff, the orders).
        for who, urls in sockets.items():
            assert len(urls) == 1, (who, urls)
            assert "/ws/live?" in urls[0] and f"chat%3A{conversation_id}" in urls[0], urls[0]
        assert "unread" in sockets["staff"][0] and "cart" in sockets["shopper"][0]
        with app.app_context():
            assert [m.body for m in db.session.query(Message).order_by(Message.id)] == [
                "Hello <img src=x onerror=alert(1)>",
                "Hi! How can we help?",
            ]
    finally:
        shopper_context.close()
        staff_context.close()


def test_reload_shows_history_and_the_form_works_without_the_socket(app, server, browser, people):
    context, page = _signed_in_page(browser, app, server, people["shopper"])
    try:
        # A browser without WebSocket: the page must still send through the form.
        page.add_init_script("delete window.WebSocket")
        page.goto(server.url("/support/"))
        page.get_by_label("Message").fill("sent by the form")
        page.get_by_role("button", name="Send").click()
        page.locator(".chat-body", has_text="sent by the form").wait_for()
        page.reload()
        page.locator(".chat-body", has_text="sent by the form").wait_for()
    finally:
        context.close()
