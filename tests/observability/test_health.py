"""/healthz (database and Redis) and /readyz (and the schema at the migrations' head)."""

from __future__ import annotations

import socket

from sqlalchemy import text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_healthz_reports_the_database_and_redis(app, client, redis_url):
    assert client.get("/healthz").json == {"status": "ok", "database": True, "redis": None}  # no Redis configured
    app.config["REDIS_URL"] = redis_url
    assert client.get("/healthz").json == {"status": "ok", "database": True, "redis": True}
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "unavailable", "database": True, "redis": False}


def test_readyz_is_ready_at_the_migrations_head_only(client, session):
    assert client.get("/readyz").json == {"status": "ok", "database": True, "redis": None, "schema": True}
    (applied,) = session.execute(text("SELECT version_num FROM alembic_version")).one()
    session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    session.commit()
    try:
        response = client.get("/readyz")  # the entrypoint has not migrated yet
        assert response.status_code == 503 and response.json["schema"] is False
        assert client.get("/healthz").status_code == 200  # alive all the same
    finally:
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": applied})
        session.commit()
