"""Behind TRUSTED_PROXY_HOPS proxies the app sees each client's own address and the proxy's scheme."""

from __future__ import annotations

import pytest
from flask import request, url_for

from storefront import create_app


def _whoami(app):
    @app.get("/_test/whoami")
    def whoami():
        return {"address": request.remote_addr, "link": url_for("observability.healthz", _external=True)}

    return app


@pytest.fixture
def proxied(database_url, tmp_path):
    return _whoami(create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXY_HOPS": 1,
                                          "MAIL_FILE_DIR": str(tmp_path / "mail"),
                                          "API_AUTH_RATE_LIMIT": "2 per minute"}))


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example"}


@pytest.mark.sqlite
def test_without_trusted_hops_forwarded_headers_are_ignored(app):
    client = _whoami(app).test_client()
    seen = client.get("/_test/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"}).json
    assert seen == {"address": "10.0.0.2", "link": "http://localhost/healthz"}


@pytest.mark.sqlite
def test_one_trusted_proxy_gives_the_clients_address_and_scheme(proxied):
    client = proxied.test_client()
    seen = client.get("/_test/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"}).json
    assert seen == {"address": "203.0.113.7", "link": "https://shop.example/healthz"}
    # A client's own X-Forwarded-For is kept left of what the proxy appends: only the proxy's entry counts.
    spoofed = client.get("/_test/whoami", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                         headers={"X-Forwarded-For": "127.0.0.1, 198.51.100.4"}).json
    assert spoofed["address"] == "198.51.100.4"


@pytest.mark.sqlite
def test_rate_limits_count_each_client_behind_the_proxy(proxied):
    client = proxied.test_client()

    def refresh(address: str) -> int:
        return client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"},
                           headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    assert [refresh("203.0.113.7") for _ in range(3)][-1] == 429
    assert refresh("203.0.113.8") != 429  # another client behind the same proxy still gets through
