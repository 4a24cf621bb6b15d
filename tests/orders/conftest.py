"""Orders tests write invoices into the test's own folder, never into the app's instance/."""

from pathlib import Path

import pytest


@pytest.fixture
def app(app, tmp_path):
    # Overrides the suite's `app` so the setting is in place before anything (even live_server) uses it.
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")
    return app


@pytest.fixture
def invoice_dir(app) -> Path:
    return Path(app.config["INVOICE_DIR"])
