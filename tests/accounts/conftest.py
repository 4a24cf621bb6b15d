"""Accounts fixtures."""

from __future__ import annotations

import pytest

from storefront.extensions import mail


@pytest.fixture
def smtp_app(app, smtp_sink):
    """The app sending its mail to the SMTP sink on 127.0.0.1."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    mail.init_app(app)  # Flask-Mail reads its settings at init
    return app
