"""The shop in Chromium at a phone's 375 px and a desktop's 1280 px: no page wider than the screen, the phone
layout's drawer / menu / sticky buying bar, the desktop layout bugs of issue 20, and axe-core (0 serious or
critical violations) on the main pages in both locales.

Set SCREENSHOT_DIR to also save PNGs of the catalogue, a product, the cart, checkout and an order at both widths.
"""

from __future__ import annotations

import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from storefront.extensions import db
from storefront.media.services import store_image
from tests.factories import (
    PASSWORD,
    CategoryFactory,
    OfferFactory,
    OfferParameterFactory,
    ParameterFactory,
    ProductFactory,
    ShopFactory,
    StaffFactory,
    SupplierFactory,
)
from tests.orders.order_helpers import shopper_with_cart

pytestmark = [pytest.mark.browser, pytest.mark.sqlite]  # layout and markup: the backend makes no difference
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def shop(app):
    """Two suppliers, a category with a facet, long names, photos, an out-of-stock good, and accounts with a
    cart (two lines) and an order."""
    from tests.backoffice.conftest import make_order

    with app.app_context():
        phones = CategoryFactory(name="Смартфоны")
        shop_a = ShopFactory(name="Электролайн", accepting_orders=True)
        shop_b = ShopFactory(name="Технопарк Демо Длинное Название Магазина", accepting_orders=True)
        colour = ParameterFactory(name="Цвет")
        photo = store_image(_png((30, 90, 170))).hash
        offers = []
        for number in range(6):
            product = ProductFactory(
                name=f"Смартфон Apple iPhone XS Max 512GB (золотистый) вариант номер {number}",
                category=phones, photo_hash=photo if number % 2 == 0 else None,
            )
            offer = OfferFactory(product=product, shop=shop_a, price=Decimal(90_000 + number), quantity=number % 3,
                                 model=f"apple/iphone/xs-max-{number}-very-long-model-name")
            OfferParameterFactory(offer=offer, parameter=colour, value="золотистый" if number % 2 else "чёрный")
            OfferFactory(product=product, shop=shop_b, price=Decimal(95_000 + number), quantity=7)
            offers.append(offer)
        shopper, _ = shopper_with_cart((offers[1], 1), (offers[2], 2))
        order = make_order(shopper=shopper, shop=shop_a)
        supplier = SupplierFactory(shop=shop_a)
        staff = StaffFactory()
        db.session.commit()
        return {"product": offers[0].product_id, "order": order.id, "shopper": shopper.email,
                "supplier": supplier.email, "staff": staff.email}


def _log_in(page, url, email):
    page.context.clear_cookies()
    page.goto(url("/login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_no_page_is_wider_than_a_phone(shop, live_server, browser):
    # bypass_csp for axe (see below): a line table left to scroll in its box is an axe violation only on phones.
    context = browser.new_context(viewport={"width": 375, "height": 800}, bypass_csp=True)
    page = context.new_page()
    url = live_server.url
    wide = {}
    problems = {}

    def visit(path, shot=None):
        page.goto(url(path))
        page.wait_for_load_state()
        if _width(page) > 375:
            wide[path] = _width(page)
        if shot:
            _shot(page, f"{shot}-375")
        found = _axe(page)
        if found:
            problems[path] = found

    try:
        for path in ("/register", "/login"):
            visit(path)
        # A checkbox keeps its own size beside its label (a full-width one pushed "Remember me" aside).
        assert page.locator("#remember").bounding_box()["width"] < 40
        visit("/", "catalog")
        # The filters are a closed drawer on phones: the goods come first.
        drawer = page.locator("details.filters-drawer")
        assert drawer.get_attribute("open") is None
        assert page.locator(".product-card").first.bounding_box()["y"] < 800
        drawer.locator("summary").click()
        expect(page.locator("#catalog-filters")).to_be_visible()
        visit("/?q=смартфон")
        _log_in(page, url, shop["shopper"])
        # A compact header: one menu instead of rows of links.
        expect(page.locator(".site-menu > summary")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_hidden()
        page.locator(".site-menu > summary").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        visit(f"/product/{shop['product']}", "product")
        bar = page.locator(".buy-bar")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        box = bar.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 800 + 1  # still in reach at the page's end
        # Offers are stacked cards: each row a block, its cells labelled.
        assert page.locator("table.offers tr[data-offer]").first.evaluate("e => getComputedStyle(e).display") == "block"
        visit("/cart/", "cart")
        visit("/orders/checkout", "checkout")
        visit("/orders/")
        visit(f"/orders/{shop['order']}", "order")
        _log_in(page, url, shop["supplier"])
        visit("/supplier/")
        visit("/supplier/orders")  # the status links wrap
        _log_in(page, url, shop["staff"])
        visit("/staff/")
        visit("/staff/users")
    finally:
        context.close()
    assert wide == {}
    assert problems == {}


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return result


def test_desktop_layout_and_accessibility_in_both_locales(shop, live_server, browser):
    # bypass_csp: axe is injected as a script of the test, which the shop's CSP (rightly) refuses.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    url = live_server.url
    problems = {}
    try:
        _log_in(page, url, shop["shopper"])
        for locale in ("en", "ru"):
            context.set_extra_http_headers({"Accept-Language": locale})
            for path, shot in (("/", "catalog"), ("/?q=смартфон", None), (f"/product/{shop['product']}", "product"),
                               ("/cart/", "cart"), ("/orders/checkout", "checkout"), (f"/orders/{shop['order']}", "order")):
                page.goto(url(path))
                page.wait_for_load_state()
                if locale == "en" and shot:
                    _shot(page, f"{shot}-1280")
                found = _axe(page)
                if found:
                    problems[f"{locale} {path}"] = found
        context.set_extra_http_headers({"Accept-Language": "en"})

        # The sidebar scrolls with the page, not on its own; facets are in it.
        page.goto(url("/"))
        sidebar = page.locator(".catalog-sidebar")
        assert sidebar.evaluate("e => getComputedStyle(e).overflowY") == "visible"
        assert sidebar.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
        expect(page.locator("#catalog-filters")).to_be_visible()  # the drawer is an open panel on desktops

        # Breadcrumbs are a trail, not a numbered list.
        page.goto(url(f"/product/{shop['product']}"))
        crumbs = page.locator("nav.breadcrumbs ol")
        assert crumbs.evaluate("e => getComputedStyle(e).listStyleType") == "none"
        assert crumbs.evaluate("e => getComputedStyle(e).display") == "flex"
        expect(page.locator(".gallery img").first).to_have_attribute("src", re.compile(r"^/media/[0-9a-f]{64}/800\.webp$"))

        # Checkout: the address inputs never overlap; the place-order button comes after the address form.
        page.goto(url("/orders/checkout"))
        page.locator("details.add-contact summary").click()
        boxes = page.locator(".contact-fields input").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                overlap_y = min(a[3], b[3]) - max(a[1], b[1])
                assert overlap_x <= 0 or overlap_y <= 0, (a, b)
        button = page.locator("#place-order-button").bounding_box()
        form = page.locator("details.add-contact").bounding_box()
        assert button["y"] >= form["y"] + form["height"]

        # A cart quantity above the stock is refused out loud.
        page.goto(url("/cart/"))
        field = page.locator("input.qty").first
        field.fill("99")
        field.dispatch_event("change")
        expect(page.locator("#cart [role=alert]")).to_contain_text("in stock")
    finally:
        context.close()
    assert problems == {}
