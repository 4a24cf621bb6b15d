"""API test fixtures: users with bearer tokens, and a JSON client helper."""

from __future__ import annotations

import pytest

from storefront.accounts.api_tokens import issue_token_pair
from storefront.extensions import db


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


@pytest.fixture
def tokens_for(app):
    """Issue (and commit) a token pair for a user, as a log-in would."""

    def issue(user):
        with app.app_context():
            pair = issue_token_pair(db.session.merge(user))
            db.session.commit()
            return pair

    return issue


@pytest.fixture
def auth_headers(tokens_for):
    """Authorization headers for a user."""
    return lambda user: bearer(tokens_for(user).access_token)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's one error shape, with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.json
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body
