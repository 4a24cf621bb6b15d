"""A trivial endpoint (the benchmark's ceiling); the health checks live in storefront/observability."""

from flask import Blueprint

bp = Blueprint("main", __name__)


@bp.get("/ping")
def ping():
    """Answer without touching the database: the stack's own ceiling for benchmarks."""
    return "pong", 200, {"Content-Type": "text/plain"}
