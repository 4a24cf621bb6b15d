"""The profile's session list: every live sign-in of the account, each with a button that ends it."""

from __future__ import annotations

from datetime import timedelta

from storefront.accounts import sessions
from storefront.accounts.models import UserSession
from storefront.database import utcnow
from tests.accounts.accounts_helpers import login as page_login
from tests.factories import UserFactory
from tests.orders.order_helpers import login

HTMX = {"HX-Request": "true"}


def _page(response) -> str:
    return response.get_data(as_text=True)


def _live(session, key: str) -> bool:
    session.expire_all()
    return sessions.find_live(key=key) is not None


def test_the_profile_lists_live_sessions_with_this_browser_marked(app, client, session):
    user = UserFactory(email="bob@example.com")
    session.commit()
    phone = app.test_client()
    phone.post("/login", data={"email": "bob@example.com", "password": "correct-horse-battery-staple"},
               headers={"User-Agent": "Phone/1.0"}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    ended = sessions.start_session(user, user_agent="Old laptop")
    sessions.revoke(ended.row)
    session.commit()
    client.post("/login", data={"email": "bob@example.com", "password": "correct-horse-battery-staple"},
                headers={"User-Agent": "Desk/2.0"})

    page = _page(client.get("/profile"))
    assert "Phone/1.0" in page and "10.0.0.7" in page and "Desk/2.0" in page
    assert "Old laptop" not in page  # ended sessions are not listed
    assert page.count("(this browser)") == 1
    full = client.get("/profile/sessions")
    assert "<html" in _page(full) and 'id="sessions"' in _page(full)
    partial = client.get("/profile/sessions", headers=HTMX)
    assert "<html" not in _page(partial) and 'id="sessions"' in _page(partial)


def test_revoking_another_session_signs_that_device_out(app, client, session):
    user = UserFactory()
    session.commit()
    other_device = app.test_client()
    other_key = login(other_device, user)
    login(client, user)
    other = sessions.find_live(key=other_key)

    response = client.post(f"/profile/sessions/{other.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/sessions")
    assert not _live(session, other_key)
    assert other_device.get("/profile").status_code == 302
    assert client.get("/profile").status_code == 200  # this one carries on


def test_revoking_with_htmx_answers_the_updated_list(app, client, session):
    user = UserFactory()
    session.commit()
    other = sessions.find_live(key=login(app.test_client(), user))
    login(client, user)
    response = client.post(f"/profile/sessions/{other.id}/revoke", headers=HTMX)
    assert response.status_code == 200
    assert 'id="sessions"' in _page(response) and "<html" not in _page(response)
    assert f"/profile/sessions/{other.id}/revoke" not in _page(response)


def test_revoking_this_browsers_session_logs_out(client, session):
    user = UserFactory()
    session.commit()
    key = login(client, user)
    this = sessions.find_live(key=key)
    response = client.post(f"/profile/sessions/{this.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not _live(session, key)
    assert client.get("/profile").status_code == 302


def test_someone_elses_session_is_not_found(app, client, session):
    owner, stranger = UserFactory(), UserFactory()
    session.commit()
    owners_key = login(app.test_client(), owner)
    login(client, stranger)
    target = sessions.find_live(key=owners_key)
    assert client.post(f"/profile/sessions/{target.id}/revoke").status_code == 404
    assert client.post("/profile/sessions/2147483647/revoke").status_code == 404
    assert _live(session, owners_key)


def test_revoking_needs_the_csrf_token(csrf_app, client, session):
    user = UserFactory()
    session.commit()
    other_key = login(csrf_app.test_client(), user)
    login(client, user)
    other = sessions.find_live(key=other_key)
    assert client.post(f"/profile/sessions/{other.id}/revoke").status_code == 400
    assert client.post("/profile/sessions/revoke-all").status_code == 400
    assert _live(session, other_key)


def test_sign_out_everywhere_from_the_profile(app, client, session):
    UserFactory(email="bob@example.com")
    session.commit()
    devices = [app.test_client() for _ in range(2)]
    for device in (*devices, client):
        page_login(device, "bob@example.com")
    response = client.post("/profile/sessions/revoke-all", headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/login")
    for device in (*devices, client):
        assert device.get("/profile").status_code == 302
    assert session.query(UserSession).filter(UserSession.revoked_at.is_(None)).count() == 0


def test_expired_and_disabled_sessions_are_not_live(session):
    user = UserFactory()
    session.commit()
    expired = sessions.start_session(user)
    expired.row.expires_at = utcnow() - timedelta(seconds=1)
    live = sessions.start_session(user)
    session.commit()
    assert sessions.find_live(key=expired.key) is None
    assert sessions.find_live(key=live.key) is not None
    user.is_active = False
    session.commit()
    assert sessions.find_live(key=live.key) is None
    assert sessions.find_live(key="not-a-key") is None and sessions.find_live(session_id=-1) is None


def test_purge_deletes_only_sessions_that_ended_long_ago(session):
    user = UserFactory()
    session.commit()
    old, recent, live = (sessions.start_session(user) for _ in range(3))
    old.row.revoked_at = utcnow() - timedelta(days=40)
    recent.row.revoked_at = utcnow() - timedelta(days=1)
    session.commit()
    assert sessions.purge_sessions(timedelta(days=30)) == 1
    session.commit()
    remaining = {row.id for row in session.query(UserSession)}
    assert remaining == {recent.row.id, live.row.id}
