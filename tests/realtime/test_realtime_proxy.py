"""Behind the compose proxy (TRUSTED_PROXY_HOPS=1) the client's address comes from X-Forwarded-For; by default never."""

from __future__ import annotations

import pytest
from flask import Flask

from storefront import create_app
from storefront.security import client_address


def _echo_address(app: Flask) -> str:
    app.add_url_rule("/_address", "address", lambda: client_address() or "")
    return app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.7"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_data(as_text=True)


@pytest.mark.sqlite
def test_forwarded_for_is_trusted_only_with_proxy_hops(database_url):
    assert _echo_address(create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})) == "10.0.0.2"
    behind = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXY_HOPS": 1})
    assert _echo_address(behind) == "203.0.113.7"
