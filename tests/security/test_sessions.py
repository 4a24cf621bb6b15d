"""Issue 17: log-out ends the session for good — a cookie captured before it opens nothing after it.

Each log-in is a row on the server (accounts/sessions.py); page cookies, the remember-me cookie, API tokens and
the chat socket all name it, and ending it (log-out, password change, "sign out everywhere") ends them all.
"""

from __future__ import annotations

import re

import pytest
from simple_websocket import Client, ConnectionClosed, ConnectionError

from storefront.accounts.api_tokens import issue_token_pair
from storefront.accounts.models import User, UserSession
from storefront.extensions import db
from storefront.models import Message
from storefront.security import REMEMBER_COOKIE
from tests.accounts.accounts_helpers import NEW_PASSWORD
from tests.accounts.accounts_helpers import login as page_login
from tests.factories import PASSWORD, UserFactory

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _cookies(client) -> dict[str, str]:
    # With a live server running, SERVER_NAME (hence the cookies' domain) is its address, not "localhost".
    domain = (client.application.config.get("SERVER_NAME") or "localhost").split(":")[0]
    found = {name: client.get_cookie(name, domain=domain) for name in ("session", REMEMBER_COOKIE)}
    return {name: cookie.value for name, cookie in found.items() if cookie is not None}


def _client_with(app, cookies: dict[str, str]):
    replay = app.test_client()
    for name, value in cookies.items():
        replay.set_cookie(name, value)
    return replay


def _api_pair(user):
    pair = issue_token_pair(user)  # an API log-in of its own
    db.session.commit()
    return pair


def _csrf(response) -> str:
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def test_a_session_cookie_captured_before_log_out_opens_nothing_after_it(app, client, session):
    user = UserFactory(email="bob@example.com", name="Bob")
    session.commit()
    assert page_login(client, "bob@example.com", remember="y").status_code == 302
    captured = _cookies(client)
    assert set(captured) == {"session", REMEMBER_COOKIE}
    assert _client_with(app, captured).get("/profile").status_code == 200  # the copy works while signed in

    assert client.post("/logout").status_code == 302
    replay = _client_with(app, captured)
    assert replay.get("/profile").status_code == 302  # to the log-in page
    assert replay.post("/profile", data={"name": "Renamed by a thief"}).status_code == 302
    assert _client_with(app, {REMEMBER_COOKIE: captured[REMEMBER_COOKIE]}).get("/profile").status_code == 302
    assert _client_with(app, {"session": captured["session"]}).get("/profile").status_code == 302
    session.expire_all()
    assert session.get(User, user.id).name == "Bob"
    assert session.query(UserSession).filter_by(user_id=user.id, revoked_at=None).count() == 0


def test_the_csrf_token_is_replaced_at_log_in(csrf_app, client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    before = _csrf(client.get("/login"))
    signed_in = client.post("/login", data={"email": "bob@example.com", "password": PASSWORD, "csrf_token": before})
    assert signed_in.status_code == 302
    after = _csrf(client.get("/profile"))
    assert after != before
    # The token seen before log-in is no good for the signed-in session; the new one is.
    assert client.post("/profile", data={"name": "Old token", "csrf_token": before}).status_code == 400
    assert client.post("/profile", data={"name": "New token", "csrf_token": after}).status_code == 302


def test_remember_me_restores_the_session_and_rotates_on_use(app, client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    page_login(client, "bob@example.com", remember="y")
    first = _cookies(client)[REMEMBER_COOKIE]
    sessions_before = session.query(UserSession).count()

    browser = _client_with(app, {REMEMBER_COOKIE: first})  # the browser was closed: only the remember cookie
    assert browser.get("/profile").status_code == 200
    second = _cookies(browser)[REMEMBER_COOKIE]
    assert second != first
    assert browser.get("/profile").status_code == 200  # carried on by the new session cookie
    assert session.query(UserSession).count() == sessions_before  # the same session, not a new one

    # The used cookie is spent; the rotated one works once more.
    assert _client_with(app, {REMEMBER_COOKIE: first}).get("/profile").status_code == 302
    assert _client_with(app, {REMEMBER_COOKIE: second}).get("/profile").status_code == 200


def test_a_password_change_ends_every_other_session_and_api_token(app, client, session):
    user = UserFactory(email="bob@example.com")
    session.commit()
    other_device = app.test_client()
    page_login(other_device, "bob@example.com", remember="y")
    remembered = _cookies(other_device)[REMEMBER_COOKIE]
    access = _api_pair(user).access_token
    page_login(client, "bob@example.com")

    changed = client.post("/profile/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/profile").status_code == 200  # this browser stays signed in
    assert other_device.get("/profile").status_code == 302
    assert _client_with(app, {REMEMBER_COOKIE: remembered}).get("/profile").status_code == 302
    assert app.test_client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_sign_out_everywhere_ends_browsers_and_api_clients(app, client, session):
    user = UserFactory(email="bob@example.com")
    session.commit()
    other_device = app.test_client()
    page_login(other_device, "bob@example.com")
    pair = _api_pair(user)
    page_login(client, "bob@example.com")

    response = client.post("/profile/sessions/revoke-all")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    for browser in (client, other_device):
        assert browser.get("/profile").status_code == 302
    api = app.test_client()
    assert api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {pair.access_token}"}).status_code == 401
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": pair.refresh_token}).status_code == 401


def test_api_log_out_ends_the_access_token_at_once(app, client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    pair = client.post("/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401  # not 15 minutes later: now
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401


@pytest.fixture
def chat_server(app, request):
    with app.app_context():
        db.engine.dispose()  # the server process is forked: it must not share pooled connections with us
    return request.getfixturevalue("live_server")


def test_the_chat_handshake_refuses_a_cookie_captured_before_log_out(app, client, session, chat_server):
    UserFactory(email="bob@example.com", is_verified=True)
    session.commit()
    assert page_login(client, "bob@example.com").status_code == 302
    cookie = {"Cookie": f"session={_cookies(client)['session']}"}
    url = chat_server.url("/ws/support").replace("http://", "ws://", 1)

    ws = Client.connect(url, headers=cookie)  # accepted while the session is live
    ws.close()
    client.post("/logout")
    with pytest.raises(ConnectionError) as refused:
        Client.connect(url, headers=cookie)
    assert refused.value.status_code == 401


def test_an_open_chat_socket_closes_once_its_session_is_logged_out(app, client, session, chat_server):
    UserFactory(email="bob@example.com", is_verified=True)
    session.commit()
    assert page_login(client, "bob@example.com").status_code == 302
    cookie = {"Cookie": f"session={_cookies(client)['session']}"}
    ws = Client.connect(chat_server.url("/ws/support").replace("http://", "ws://", 1), headers=cookie)
    client.post("/logout")  # in another tab
    ws.send('{"body": "am I still in?"}')
    with pytest.raises(ConnectionClosed):
        for _ in range(3):
            ws.receive(timeout=5)
    assert ws.close_reason == 1008
    session.expire_all()
    assert session.query(Message).count() == 0
