"""Test fixtures: one app per test on SQLite and on PostgreSQL, real Redis, SMTP sink and a browser.

Every test that uses `app` runs once per database backend (`[sqlite]`, `[postgresql]`). Choose with
STOREFRONT_TEST_DATABASES=sqlite or =postgresql. Under CI=true a missing service fails the run instead of
skipping, and any skip at all is reported as a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import g
from sqlalchemy import create_engine, text

from storefront import create_app
from storefront.extensions import db

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = [b.strip() for b in os.environ.get("STOREFRONT_TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# `make test` runs the suite in two processes (pytest-xdist): each has a database, a Redis db and ports of its own.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0
PG_TEST_DB = os.environ.get("TEST_PG_DATABASE", "storefront_test") + (f"_{XDIST_WORKER}" if XDIST_WORKER else "")
_REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
REDIS_TEST_URL = _REDIS_BASE.rsplit("/", 1)[0] + f"/{int(_REDIS_BASE.rsplit('/', 1)[1]) + WORKER_INDEX}"


def worker_port(port: int) -> int:
    """A fixed port for a test's own server, shifted per xdist worker so two workers never share it."""
    return port + 10 * WORKER_INDEX
REDIS_OWNER_KEY = "storefront:test-suite-owns-this-db"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def missing_service(reason: str):
    """Skip on a laptop without the service; in CI a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # once, in the main process: the pages need compiled catalogs
        from babel.messages.frontend import compile_catalog

        command = compile_catalog()
        command.initialize_options()
        command.directory = str(Path(__file__).resolve().parent.parent / "storefront" / "translations")
        command.quiet = True
        command.finalize_options()
        command.run()
    config.addinivalue_line("markers", "postgresql: runs only against PostgreSQL")
    config.addinivalue_line("markers", "sqlite: runs only against SQLite")
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")
    config.addinivalue_line("markers", "redis: needs a real Redis server")


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    # A backend-specific test is deselected (not skipped) for the other backend.
    keep, drop = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        wanted = {m for m in ("postgresql", "sqlite") if item.get_closest_marker(m)}
        (drop if wanted and backend not in wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


def _reachable(url: str) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """A migrated, empty database for this backend, built once per test session."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'storefront-test.db'}"
    elif backend == "postgresql":
        if not _reachable(PG_ADMIN_URL):
            missing_service("PostgreSQL is not reachable at " + PG_ADMIN_URL)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{PG_TEST_DB}"'))
        admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_TEST_DB}"
    else:
        raise ValueError(f"unknown backend {backend!r}")
    migrate_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with migrate_app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database_url, "MAIL_FILE_DIR": str(tmp_path / "mail"),
         "STOREFRONT_TEST_BACKEND": database_url.split(":", 1)[0]},
    )

    @app.before_request
    def forget_cached_user():
        # pytest-flask keeps one request context pushed for the whole test, so every client request shares its
        # app context and `g`, where Flask-Login caches the user and Flask-WTF the CSRF token. In production
        # each request has its own `g`.
        g.pop("_login_user", None)
        g.pop("user_session", None)  # the server-side session security.py found for the previous request
        g.pop(app.config["WTF_CSRF_FIELD_NAME"], None)
        g.pop("_flask_babel", None)  # Flask-Babel caches the locale and timezone per request in `g`

    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def _empty_all_tables() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def backend(app) -> str:
    return "postgresql" if app.config["STOREFRONT_TEST_BACKEND"].startswith("postgresql") else "sqlite"


@pytest.fixture
def session(app):
    """The app's database session, inside an app context."""
    with app.app_context():
        yield db.session


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection switched back on."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def mail_dir(app) -> Path:
    return Path(app.config["MAIL_FILE_DIR"])


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database owned by the test suite (it is emptied only if it carries our marker or is empty)."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        missing_service("Redis is not reachable at " + REDIS_TEST_URL)
    if client.dbsize() and not client.exists(REDIS_OWNER_KEY):
        pytest.fail(f"{REDIS_TEST_URL} holds data the test suite did not create; set TEST_REDIS_URL", pytrace=False)
    client.set(REDIS_OWNER_KEY, "1")
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


@pytest.fixture
def clean_redis(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.set(REDIS_OWNER_KEY, "1")
    yield client
    client.close()


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd checks its own port after starting, so it cannot take port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used)."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        missing_service(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        # A live server left running (forked while Playwright's pipes were open) would keep the driver from
        # ever seeing EOF, and closing the browser would then hang the whole run.
        import multiprocessing

        for child in multiprocessing.active_children():
            child.terminate()
            child.join(5)
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
