"""The interface speaks Russian first: the shop's locale by default, English on request or by choice."""

import pytest


@pytest.fixture
def russian_app(app):
    app.config["STOREFRONT_LOCALE"] = "ru"  # the shop's default outside the test suite
    return app


def test_no_accept_language_gives_the_russian_interface(russian_app):
    page = russian_app.test_client().get("/").get_data(as_text=True)
    assert '<html lang="ru"' in page
    assert "Корзина" in page


def test_accept_language_en_gives_the_english_interface(russian_app):
    page = russian_app.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in page
    assert "Корзина" not in page and "Cart" in page
