"""Service endpoints: health check for load balancers and a trivial endpoint (the benchmark's ceiling)."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from storefront.extensions import db

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the app can reach its database."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="unavailable", database=False), 503
    return jsonify(status="ok", database=True)


@bp.get("/ping")
def ping():
    """Answer without touching the database: the stack's own ceiling for benchmarks."""
    return "pong", 200, {"Content-Type": "text/plain"}
