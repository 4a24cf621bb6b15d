"""Active search in a real Chromium: typing updates the results and the URL; filters and history follow."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def query_of(url: str) -> dict:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_typing_in_the_search_box_updates_results_and_url(catalog, live_server, page):
    page.goto(live_server.url(url_for("catalog.index")))
    cards = page.locator(".product-card")
    expect(cards).to_have_count(4)
    page.evaluate("window.loadMarker = 'same page'")  # survives only if the page is never reloaded

    page.locator("#site-search").press_sequentially("смартфон", delay=40)
    expect(cards).to_have_count(2)
    expect(page).to_have_url(re.compile(r"\?q=%D1%81%D0%BC"))
    assert query_of(page.url) == {"q": ["смартфон"]}  # blank filters are left out of the URL
    expect(page.locator("#catalog-heading")).to_contain_text("смартфон")

    page.get_by_label("In stock only").check()
    expect(page).to_have_url(re.compile(r"in_stock=1"))
    assert query_of(page.url)["q"] == ["смартфон"]
    expect(cards).to_have_count(2)

    page.locator("#site-search").fill("airpods")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Apple AirPods Pro")
    assert page.evaluate("window.loadMarker") == "same page"

    page.go_back()
    expect(page).to_have_url(re.compile(r"in_stock=1"))
    expect(cards).to_have_count(2)
    page.reload()  # a pushed URL is a real address
    expect(cards).to_have_count(2)
    expect(page.locator("#site-search")).to_have_value("смартфон")


def test_bad_price_shows_the_error_in_place(catalog, live_server, page):
    page.goto(live_server.url(url_for("catalog.show_category", category_id=catalog.phones)))
    page.get_by_role("spinbutton", name="from", exact=True).fill("500")
    page.get_by_role("spinbutton", name="from", exact=True).press("Tab")
    expect(page).to_have_url(re.compile(r"price_min=500"))
    page.get_by_role("spinbutton", name="to", exact=True).fill("100")
    page.get_by_role("spinbutton", name="to", exact=True).press("Tab")
    expect(page.get_by_role("alert")).to_contain_text("price_max must not be less than the minimum price")
    expect(page.locator("#catalog-filters")).to_be_visible()
