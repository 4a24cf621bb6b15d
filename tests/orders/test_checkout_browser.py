"""A shopper's journey in Chromium: log in, add goods from two suppliers, watch the badge, check out, see history."""

import re

import pytest
from playwright.sync_api import expect

from storefront.extensions import db
from tests.factories import PASSWORD
from tests.orders.order_helpers import shopper_with_cart, two_shop_offers

pytestmark = pytest.mark.browser


@pytest.fixture
def shop_data(app):
    with app.app_context():
        a1, _, b1 = two_shop_offers()
        user, _ = shopper_with_cart()
        data = {"email": user.email, "a1": a1.product_id, "b1": b1.product_id}
        db.session.commit()
    return data


def test_add_from_two_suppliers_check_out_and_see_the_order(shop_data, live_server, page):
    page.goto(live_server.url("/login"))
    page.fill("input[name=email]", shop_data["email"])
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    badge = page.get_by_test_id("cart-count")

    # The product page's add-to-cart form posts through htmx: a notice appears, the badge updates out-of-band.
    page.goto(live_server.url(f"/product/{shop_data['a1']}"))
    page.get_by_role("button", name="Add to cart").first.click()
    expect(badge).to_have_text("1")
    expect(page.locator(".cart-added")).to_contain_text("Added to your cart")
    page.goto(live_server.url(f"/product/{shop_data['b1']}"))
    page.get_by_role("button", name="Add to cart").first.click()
    expect(badge).to_have_text("2")
    page.locator("#cart-badge").click()
    page.wait_for_url("**/cart/")
    expect(page.locator(".cart-group")).to_have_count(2)

    # Changing a quantity goes through htmx: the cart and the header badge update without a page load.
    page.evaluate("window.__same_page = true")
    page.get_by_label(re.compile("Quantity of Смартфон")).fill("3")
    page.get_by_label(re.compile("Quantity of Смартфон")).dispatch_event("change")
    expect(badge).to_have_text("4")
    assert page.evaluate("window.__same_page") is True
    expect(page.get_by_test_id("cart-total")).to_contain_text("11")  # 9 000 + 2 000 + 300 delivery

    page.get_by_role("button", name="Check out").click()  # holds the cart, then shows the checkout
    page.wait_for_url("**/orders/checkout")
    expect(page.get_by_test_id("checkout-total")).to_contain_text("11")
    page.get_by_role("button", name=re.compile("Place the order")).click()
    page.wait_for_url(re.compile(r".*/orders/\d+/thanks$"))
    number = page.get_by_test_id("order-number").inner_text()
    assert re.fullmatch(r"#\d+", number)
    expect(badge).to_have_text("0")

    page.goto(live_server.url("/orders/"))
    expect(page.locator(".order-row")).to_have_count(1)
    expect(page.locator(".order-row")).to_contain_text(number)
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("order-status")).to_have_text("New")
