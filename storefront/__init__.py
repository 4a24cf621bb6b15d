"""Storefront: a server-rendered, multi-vendor shop. `create_app()` builds it."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from flask import Flask

# Imported as a module: `storefront.api` is also a subpackage and would shadow a bare `api` here.
from storefront import extensions as ext

log = logging.getLogger(__name__)


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app for `config_name` (default: STOREFRONT_CONFIG, FLASK_ENV, then "development")."""
    name = config_name or os.environ.get("STOREFRONT_CONFIG") or os.environ.get("FLASK_ENV") or "development"
    if name == "development":
        _load_dotenv()
    from config import BASE_DIR, CONFIGS

    if name not in CONFIGS:
        sys.exit(f"storefront: unknown configuration {name!r} (choose one of {', '.join(CONFIGS)})")
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(CONFIGS[name])
    app.config["STOREFRONT_CONFIG"] = name
    if overrides:
        app.config.update(overrides)
    _check_production(app)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    register_template_helpers(app)
    if app.config.get("REQUIRE_DATABASE_ON_START"):
        _check_database(app)
    return app


def _load_dotenv() -> None:
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover - python-dotenv is a runtime requirement
        return
    load_dotenv()


def _check_production(app: Flask) -> None:
    from config import DEFAULT_SECRET_KEY

    if app.config["STOREFRONT_CONFIG"] != "production":
        return
    if not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        sys.exit("storefront: SECRET_KEY must be set to a long random value in production")


def _check_database(app: Flask) -> None:
    from sqlalchemy import text

    with app.app_context():
        try:
            with ext.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
            sys.exit(
                f"storefront: cannot reach the database at DATABASE_URL "
                f"({ext.db.engine.url.render_as_string()}): {reason}"
            )


def register_extensions(app: Flask) -> None:
    import storefront.models  # noqa: F401 - every model mapped before anything queries
    from storefront import (
        converters,
        headers,
        htmx,
        i18n,
        input_guard,
        jobs,
        observability,
        security,
        unit_of_work,
    )

    # Before the unit of work: its access line and metrics (which write nothing) run after the commit, so they
    # report the final status and the whole time; and logging is set up before anything logs.
    observability.init_app(app)
    converters.init_app(app)
    input_guard.init_app(app)
    ext.db.init_app(app)
    unit_of_work.init_app(app)  # before every hook that writes, so its after_request hook runs after them
    _tune_sqlite(app)
    ext.migrate.init_app(app, ext.db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True)
    ext.login_manager.init_app(app)
    security.init_app(app)
    ext.csrf.init_app(app)
    ext.mail.init_app(app)
    i18n.init_app(app)
    ext.sock.init_app(app)
    ext.api.init_app(app)
    ext.limiter.init_app(app)
    htmx.init_app(app)
    headers.init_app(app)
    jobs.init_app(app)


def _tune_sqlite(app: Flask) -> None:
    """WAL and a busy timeout let SQLite serve a threaded server; foreign keys are off there by default."""
    from sqlalchemy import event

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    # The listener must not capture `app`: the engine lives in a WeakKeyDictionary keyed by the app, and a
    # value that refers back to its key keeps every app (and its whole object graph) alive.
    file_backed = uri not in ("sqlite://", "sqlite:///:memory:")
    with app.app_context():
        engine = ext.db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if file_backed:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    from importlib import import_module

    from storefront.api import register_api

    for feature in ("main", "observability", "catalog", "accounts", "cart", "orders", "suppliers", "backoffice",
                    "support", "media", "documents", "realtime"):
        app.register_blueprint(import_module(f"storefront.{feature}.views").bp)
    register_api(ext.api)
    # The API authenticates with JWT bearer tokens, not cookies: the only blueprint set without CSRF.
    for blueprint in app.blueprints.values():
        if blueprint.url_prefix and blueprint.url_prefix.startswith("/api"):
            ext.csrf.exempt(blueprint)


def register_errors(app: Flask) -> None:
    from storefront.errors import register_errors as register

    register(app)


def register_cli(app: Flask) -> None:
    from storefront.cli import register_commands

    register_commands(app)


def register_template_helpers(app: Flask) -> None:
    from storefront.templating import init_app

    init_app(app)
