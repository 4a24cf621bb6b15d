"""Configuration: production refuses unsafe or broken settings with one clear line."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_production(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "FLASK_ENV"}}
    clean.update({"STOREFRONT_CONFIG": "production", **env})
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=60)


def test_production_without_secret_key_stops_with_one_line():
    result = start_production(DATABASE_URL="sqlite://")
    assert result.returncode == 1
    assert result.stderr.strip() == "storefront: SECRET_KEY must be set to a long random value in production"


def test_production_with_unreachable_database_stops_with_one_line():
    # Port 1 on loopback refuses at once: an unreachable database without leaving this machine.
    result = start_production(SECRET_KEY="x" * 40, DATABASE_URL="postgresql://postgres@127.0.0.1:1/storefront")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("storefront: cannot reach the database at DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_production_with_good_settings_starts(tmp_path):
    result = start_production(SECRET_KEY="x" * 40, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == 0, result.stderr


def test_production_cookies_are_hardened():
    from storefront import create_app

    app = create_app("production", {"SECRET_KEY": "y" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_postgres_urls_from_hosting_providers_use_psycopg():
    from config import normalise_database_url

    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
