"""/healthz (can this process reach its database and Redis), /readyz (and is the schema migrated), /metrics."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import text

from storefront.extensions import db
from storefront.observability import access, metrics

bp = Blueprint("observability", __name__)
log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("health: the database does not answer: %s", exc)
        db.session.rollback()
        return False


def _redis_ok() -> bool | None:
    """None when the shop runs without Redis (embedded jobs): nothing to check."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from storefront.jobs.connection import QuickRedis

    connection = QuickRedis.from_url(url)
    try:
        return bool(connection.ping())
    except Exception as exc:
        log.warning("health: Redis does not answer: %s", exc)
        return False
    finally:
        connection.close()


@cache
def _migration_heads(directory: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _schema_current() -> bool:
    directory = str(Path(current_app.root_path).parent / "migrations")
    try:
        applied = {row[0] for row in db.session.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:
        db.session.rollback()
        return False
    return applied == set(_migration_heads(directory))


def _checks() -> dict[str, bool | None]:
    return {"database": _database_ok(), "redis": _redis_ok()}


def _answer(checks: dict[str, bool | None]) -> tuple[Response, int]:
    ok = all(value is not False for value in checks.values())
    return jsonify(status="ok" if ok else "unavailable", **checks), 200 if ok else 503


@bp.get("/healthz")
def healthz():
    """Report whether the app reaches its database and (when configured) Redis: 503 if either is away."""
    return _answer(_checks())


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the dependencies answer and the database schema is at the migrations' head."""
    checks = _checks()
    checks["schema"] = _schema_current() if checks["database"] else False
    return _answer(checks)


@bp.get("/metrics")
def metrics_view():
    """Prometheus' text format, for 127.0.0.1, ::1 and METRICS_ALLOWLIST; 403 for anyone else."""
    networks = access.parse_allowlist(current_app.config.get("METRICS_ALLOWLIST") or [])
    if not access.address_allowed(request.remote_addr, networks):
        abort(403)
    body, content_type = metrics.render(current_app._get_current_object())
    return Response(body, content_type=content_type)
