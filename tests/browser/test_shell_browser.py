"""The page shell renders in a real Chromium with htmx loaded and working."""

import pytest

from tests.factories import OfferFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def catalog_with_two_pages(app):
    with app.app_context():
        from storefront.extensions import db

        for number in range(30):
            OfferFactory(product__name=f"Товар {number:02d}")
        db.session.commit()


def test_home_page_renders_with_htmx(catalog_with_two_pages, live_server, page):
    page.goto(live_server.url("/"))
    assert page.title().startswith("Catalog")
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.version") == "2.0.4"
    assert page.locator(".product-card").count() == 24
    page.get_by_role("link", name="2", exact=True).click()
    page.wait_for_url("**/?page=2")
    assert page.locator(".product-card").count() == 6
    # htmx swapped the results in place: the header was not reloaded.
    assert page.locator("header.site-header").count() == 1
