"""Staff in Chromium: filter the orders, open one, change its status through htmx; the shopper's open order
page picks the change up by itself."""

import pytest
from playwright.sync_api import expect

from storefront.extensions import db
from storefront.orders.models import OrderStatus
from tests.backoffice.conftest import make_order
from tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def journey(app):
    with app.app_context():
        staff = StaffFactory(email="stella@example.com")
        shopper = UserFactory(email="ann@example.com")
        order = make_order(shopper=shopper)
        make_order(email="bob@example.com", status=OrderStatus.SENT)
        data = {"staff": staff.email, "shopper": shopper.email, "order": order.id}
        db.session.commit()
    return data


def _log_in(page, url, email):
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_staff_filters_orders_and_changes_a_status(journey, live_server, browser):
    shopper_page = browser.new_context().new_page()
    _log_in(shopper_page, live_server.url("/login"), journey["shopper"])
    shopper_page.goto(live_server.url(f"/orders/{journey['order']}"))
    expect(shopper_page.get_by_test_id("order-status")).to_have_text("New")

    page = browser.new_context().new_page()
    _log_in(page, live_server.url("/login"), journey["staff"])
    page.goto(live_server.url("/staff/orders"))
    expect(page.get_by_test_id("order-row")).to_have_count(2)
    page.evaluate("window.__same_page = true")
    page.locator("form.filters select[name=status]").select_option("new")  # htmx swaps the table and pushes the URL
    expect(page.get_by_test_id("order-row")).to_have_count(1)
    assert "status=new" in page.url
    assert page.evaluate("window.__same_page") is True

    page.get_by_role("link", name=f"#{journey['order']}").click()
    page.wait_for_url(f"**/staff/orders/{journey['order']}")
    page.evaluate("window.__same_page = true")
    page.locator("#staff-order select[name=status]").select_option("confirmed")
    page.locator("#staff-order textarea[name=note]").fill("Packed tomorrow")
    page.get_by_role("button", name="Change the status").click()
    expect(page.get_by_test_id("staff-order-status")).to_have_text("Confirmed")
    expect(page.locator("#staff-order .timeline")).to_contain_text("Packed tomorrow")
    assert page.evaluate("window.__same_page") is True

    # The shopper's page polls its status partial every 5 s.
    expect(shopper_page.get_by_test_id("order-status")).to_have_text("Confirmed", timeout=12_000)
