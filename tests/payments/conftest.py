import pytest

from tests.api.conftest import auth_headers, tokens_for  # noqa: F401 - the API tests' token fixtures


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")  # never into the app's instance/
    return app
