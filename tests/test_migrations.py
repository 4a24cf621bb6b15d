"""Migrations and models agree, on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from storefront import create_app
from storefront.extensions import db
from tests.conftest import PG_ADMIN_URL, PG_TEST_DB


def test_no_pending_autogenerate_diff(session):
    # The test database was built by `flask db upgrade` (see conftest), not by create_all.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_schema_is_at_the_head_revision(session):
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head


@pytest.fixture
def empty_database(backend, tmp_path):
    """A database of this backend with nothing in it, for stepping through migrations."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'steps.db'}"
        return
    name = f"{PG_TEST_DB}_steps"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_waiting_uploads_move_to_their_own_table_and_back(empty_database):
    from flask_migrate import downgrade, upgrade

    steps = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database})
    now = "2026-11-29 08:00:00+00:00"
    job = ("INSERT INTO import_jobs (id, shop_id, source_kind, source, payload, state, progress, created_count, "
           "updated_count, unchanged_count, deactivated_count, errors, created_at, updated_at) VALUES "
           "(:id, 1, :kind, 'a.yaml', :payload, 'queued', 0, 0, 0, 0, 0, '[]', :now, :now)")
    with steps.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO shops (id, name, accepting_orders, created_at, updated_at) "
                                    "VALUES (1, 'Shop', true, :now, :now)"), {"now": now})
            connection.execute(text(job), [{"id": 1, "kind": "file", "payload": "shop: Shop\n", "now": now},
                                           {"id": 2, "kind": "url", "payload": None, "now": now}])
        upgrade(revision="0004")
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT import_id, text FROM import_payloads")).all() == [(1, "shop: Shop\n")]
            assert "payload" not in {column["name"] for column in inspect(connection).get_columns("import_jobs")}
        downgrade(revision="0003")
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT id, payload FROM import_jobs ORDER BY id")).all() == [
                (1, "shop: Shop\n"), (2, None)]
            assert "import_payloads" not in inspect(connection).get_table_names()
        upgrade()
        with db.engine.begin() as connection:  # and a job's upload goes with the job
            connection.execute(text("DELETE FROM import_jobs WHERE id = 1"))
            assert connection.execute(text("SELECT count(*) FROM import_payloads")).scalar() == 0
        db.engine.dispose()
