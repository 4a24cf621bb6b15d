"""Helpers shared by the bench scripts: the repository on sys.path, the safety guard, an app for a URL."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"

# The scripts run as `python bench/x.py`, which puts bench/ (not the repository) on sys.path.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def database_url(url: str) -> str:
    """Accept the same spellings as config.py (`postgres://…` becomes `postgresql+psycopg://…`)."""
    from config import normalise_database_url

    return normalise_database_url(url)


def database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url(url)).database or ""


def refuse_unless_bench(url: str, force: bool) -> None:
    """Stop unless the database's name says it is disposable: the bench empties tables."""
    name = database_name(url)
    if "bench" not in Path(name).name.lower() and not force:
        sys.exit(
            f"bench: refusing to touch database {name!r}: its name does not contain 'bench' "
            "(use a dedicated database such as storefront_bench, or pass --force)"
        )


def make_app(url: str, **overrides):
    """The production app pointed at `url`, with a throwaway secret and no Redis (jobs run in-process).

    `overrides` are more config values (a bench's pool size, a Redis URL so jobs are queued, not run inline).
    """
    from storefront import create_app

    return create_app(
        "production",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url(url),
            "SECRET_KEY": secrets.token_hex(32),
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            **overrides,
        },
    )
