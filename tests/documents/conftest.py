"""Documents tests write invoices and exports into the test's own folder, never into the app's instance/."""

import pytest


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")
    app.config["EXPORT_DIR"] = str(tmp_path / "exports")
    return app


@pytest.fixture
def api_login(app):
    """Bearer headers for a user (a token pair issued and committed, as an API log-in would)."""
    from storefront.accounts.api_tokens import issue_token_pair
    from storefront.extensions import db

    def headers(user):
        db.session.commit()
        pair = issue_token_pair(db.session.merge(user))
        db.session.commit()
        return {"Authorization": f"Bearer {pair.access_token}"}

    return headers
