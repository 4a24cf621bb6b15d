"""Sign-ups per client address: one rule (REGISTER_RATE_LIMIT) on the page and the API, looser than the mail limit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.accounts.models import User
from tests.accounts.accounts_helpers import register
from tests.factories import PASSWORD


def _sign_up(client, door: str, n: int):
    email_address = f"new{n}@example.com"
    if door == "page":
        # A new browser each time: the page signs the new account in, and a signed-in visitor is sent away.
        return register(client.application.test_client(), email=email_address)
    return client.post("/api/v1/auth/register", json={"email": email_address, "password": PASSWORD, "name": "New"})


@pytest.mark.parametrize("door", ["page", "api"])
def test_sign_ups_past_the_limit_get_429_on_both_doors(app, client, session, door):
    app.config["REGISTER_RATE_LIMIT"] = "3 per hour"
    for n in range(3):
        assert _sign_up(client, door, n).status_code in {201, 302}
    assert _sign_up(client, door, 3).status_code == 429
    assert session.scalar(select(func.count()).select_from(User)) == 3


def test_more_sign_ups_than_the_mail_limit_all_go_through(app, client, session):
    """Thirty people behind one address sign up at once: the mail limit (resend, reset) does not stop them."""
    app.config["ACCOUNTS_MAIL_RATE_LIMIT"] = "2 per hour"
    for n in range(12):
        assert _sign_up(client, "api", n).status_code == 201
    assert session.scalar(select(func.count()).select_from(User)) == 12
