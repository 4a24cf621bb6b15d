"""Issue 17: anyone could lock anyone out (five wrong passwords from any address → 429 for the owner).

Failures are now counted per (account, client address): that client is refused even with the right password,
the owner from another address is not. The per-account ceiling only delays. Pages and API share the rule.
"""

from __future__ import annotations

import pytest

from storefront.accounts import throttle
from storefront.extensions import limiter
from tests.factories import PASSWORD, UserFactory

ATTACKER = {"REMOTE_ADDR": "127.0.0.2"}
OWNER = {"REMOTE_ADDR": "127.0.0.1"}


def _page_login(client, password, env):
    return client.post("/login", data={"email": "owner@example.com", "password": password}, environ_base=env)


def _api_login(client, password, env):
    return client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": password},
                       environ_base=env)


@pytest.mark.parametrize("door", [_page_login, _api_login], ids=["page", "api"])
def test_twelve_failures_block_that_client_but_not_the_owner(app, session, door):
    UserFactory(email="owner@example.com")
    session.commit()
    attacker, owner = app.test_client(), app.test_client()
    answers = [door(attacker, "wrong-password", ATTACKER).status_code for _ in range(12)]
    assert answers[-1] == 429 and 429 not in answers[:10]  # the default limit is 10 per (account, address)

    refused = door(attacker, PASSWORD, ATTACKER)
    assert refused.status_code == 429  # even the right password, from that client
    assert int(refused.headers["Retry-After"]) > 0

    signed_in = door(owner, PASSWORD, OWNER)
    assert signed_in.status_code == (302 if door is _page_login else 200)
    if door is _api_login:
        assert signed_in.json["access_token"]


def test_pages_and_api_share_one_count(app, session):
    app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"] = "4 per 15 minutes"
    UserFactory(email="owner@example.com")
    session.commit()
    client = app.test_client()
    for _ in range(2):
        _page_login(client, "wrong-password", ATTACKER)
        _api_login(client, "wrong-password", ATTACKER)
    assert _page_login(client, PASSWORD, ATTACKER).status_code == 429
    assert _api_login(client, PASSWORD, ATTACKER).status_code == 429


def test_the_per_account_ceiling_only_delays_the_owner(app, session, monkeypatch):
    app.config.update(LOGIN_ACCOUNT_RATE_LIMIT="6 per 15 minutes", LOGIN_ACCOUNT_DELAY=2.0)
    waits = []
    monkeypatch.setattr(throttle, "_sleep", waits.append)
    UserFactory(email="owner@example.com")
    session.commit()
    for number in range(6):  # a botnet: every failure from another address, so no client limit trips
        _api_login(app.test_client(), "wrong-password", {"REMOTE_ADDR": f"10.9.0.{number}"})
    assert waits == []  # below the ceiling nobody waits

    signed_in = _api_login(app.test_client(), PASSWORD, OWNER)
    assert signed_in.status_code == 200  # never locked out...
    assert waits == [2.0]  # ...only slowed down
    assert _page_login(app.test_client(), PASSWORD, OWNER).status_code == 302
    assert waits == [2.0, 2.0]


@pytest.mark.redis
def test_the_same_with_the_counts_in_redis(app, session, clean_redis, redis_url):
    app.config["RATELIMIT_STORAGE_URI"] = redis_url
    limiter.init_app(app)  # Flask-Limiter reads its storage at init
    UserFactory(email="owner@example.com")
    session.commit()
    attacker = app.test_client()
    for _ in range(12):
        _api_login(attacker, "wrong-password", ATTACKER)
    assert any(b"login-account-client" in key for key in clean_redis.keys("*"))
    assert _api_login(attacker, PASSWORD, ATTACKER).status_code == 429
    assert _page_login(app.test_client(), PASSWORD, ATTACKER).status_code == 429
    assert _api_login(app.test_client(), PASSWORD, OWNER).status_code == 200
    assert _page_login(app.test_client(), PASSWORD, OWNER).status_code == 302
