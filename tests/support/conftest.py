"""Support test helpers: people to chat, and signing in without the accounts pages."""

from __future__ import annotations

import pytest

from storefront.extensions import db
from tests.factories import StaffFactory, UserFactory


def session_cookie(app, user) -> str:
    """A signed session cookie value for `user`, as Flask-Login would set after logging in."""
    return app.session_interface.get_signing_serializer(app).dumps({"_user_id": user.get_id(), "_fresh": True})


def cookie_header(app, user) -> dict[str, str]:
    return {"Cookie": f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={session_cookie(app, user)}"}


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


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
