"""Support test helpers: people to chat, and signing in without the accounts pages."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from tests.factories import StaffFactory, UserFactory
from tests.orders.order_helpers import login, session_data, start_session


def session_cookie(app, user) -> str:
    """A signed session cookie value for `user` with a real server-side session (the one test log-in's)."""
    return app.session_interface.get_signing_serializer(app).dumps(session_data(start_session(user)))


def cookie_header(app, user) -> dict[str, str]:
    return {"Cookie": f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={session_cookie(app, user)}"}


def sign_in(client, user) -> None:
    """Kept for the support tests; it is the one test log-in."""
    login(client, user)


@pytest.fixture
def people(app):
    """A shopper, another shopper and a staff member, committed; returns their ids."""
    with app.app_context():
        shopper = UserFactory(name="Olga Shopper")
        other = UserFactory(name="Ivan Other")
        staff = StaffFactory(name="Sam Staff")
        db.session.commit()
        return {"shopper": shopper.id, "other": other.id, "staff": staff.id}


@pytest.fixture
def server(app, people, request):
    """The app behind a real Werkzeug server in its own process (pytest-flask `live_server`)."""
    with app.app_context():
        db.engine.dispose()  # the server process is forked: it must not share pooled connections with us
    return request.getfixturevalue("live_server")


def ws_url(live_server, path: str) -> str:
    return live_server.url(path).replace("http://", "ws://", 1)
