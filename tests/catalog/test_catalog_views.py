"""Catalog pages: every list URL as a full page and as its HTMX partial, bad input, the product page, query counts."""

import re
from urllib.parse import quote

import pytest
from sqlalchemy import event

from storefront.extensions import db
from tests.catalog.conftest import add_offer, parameter
from tests.factories import CategoryFactory, OfferParameterFactory, ProductFactory, ShopFactory, UserFactory

HX = {"HX-Request": "true"}


def page_and_partial(client, url):
    page = client.get(url)
    partial = client.get(url, headers=HX)
    return page, partial


@pytest.mark.parametrize("where", ["index", "category", "shop"])
def test_every_list_url_answers_a_page_and_a_partial(client, catalog, where):
    url = {"index": "/", "category": f"/category/{catalog.phones}", "shop": f"/shop/{catalog.shop_a}"}[where]
    page, partial = page_and_partial(client, url + "?q=смартфон")
    assert page.status_code == partial.status_code == 200
    html, fragment = page.get_data(as_text=True), partial.get_data(as_text=True)
    assert "<html" in html and 'class="site-header"' in html
    assert fragment.lstrip().startswith('<section id="results"') and "<html" not in fragment
    for body in (html, fragment):
        assert "Смартфон Samsung Galaxy S24" in body
        assert 'id="catalog-filters"' in body
    assert "HX-Request" in partial.headers["Vary"]


def test_catalog_page_cards(client, catalog):
    html = client.get("/").get_data(as_text=True)
    assert "Nokia 3310" not in html  # its only supplier is paused
    card = html[html.index("Смартфон Apple iPhone 15"):]
    card = card[:card.index("</li>")]
    assert re.search(r"<strong>₽69,500</strong>", card)  # the suite's English; Russian: tests/test_i18n.py
    assert re.search(r'<s class="rrc">.*₽79,990</s>', card)
    assert "2 suppliers" in card and "in stock" in card
    # Add to cart buys the best offer: a POST form with the CSRF token, one piece.
    assert 'method="post" action="/cart/add"' in card
    assert f'name="offer_id" value="{catalog.iphone_offer_a}"' in card
    assert 'name="quantity" value="1"' in card and 'name="csrf_token"' in card


def test_search_box_is_active_on_list_pages_and_plain_elsewhere(client, catalog):
    listing = client.get(f"/category/{catalog.phones}").get_data(as_text=True)
    box = re.search(r'<input id="site-search"[^>]*>', listing, re.DOTALL).group(0)
    assert f'hx-get="/category/{catalog.phones}"' in box and 'form="catalog-filters"' in box
    assert 'hx-push-url="true"' in box and "delay:300ms" in box
    product = client.get(f"/product/{catalog.iphone}").get_data(as_text=True)
    assert re.search(r'<form class="search" role="search" action="/" method="get">', product)


def test_filters_sort_and_paging_come_from_the_url(client, catalog):
    html = client.get(f"/?sort=price_desc&price_min=100&in_stock=1&shop={catalog.shop_a}").get_data(as_text=True)
    order = re.findall(r'class="product-name"><a [^>]*>([^<]+)<', html)
    assert order == ["Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)",
                     "Кабель 100% медь_x"]
    assert 'value="price_desc" selected' in html and 'name="in_stock" value="1" checked' in html
    assert f'<option value="{catalog.shop_a}" selected>' in html


def test_facets_on_category_page(client, catalog):
    html = client.get(f"/category/{catalog.phones}?param.Цвет=синий").get_data(as_text=True)
    assert "<legend>Цвет</legend>" in html
    assert re.search(r'name="param.Цвет" value="синий" checked>\s*синий <span class="muted">\(1\)</span>', html)
    assert "Смартфон Samsung" in html and "Смартфон Apple" not in html.split('id="catalog-heading"')[1]


def test_search_page_is_stemmed(client, catalog):
    html = client.get("/?q=смартфоны").get_data(as_text=True)
    assert re.findall(r'class="product-name"><a [^>]*>([^<]+)<', html) == [
        "Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)"]


def test_category_argument_redirects_to_the_category_url(client, catalog):
    response = client.get(f"/?category={catalog.phones}&q=apple&sort=name")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/category/{catalog.phones}?q=apple&sort=name"


@pytest.fixture
def thirty(session):
    shop = ShopFactory()
    category = CategoryFactory(name="Товары")
    for number in range(30):
        add_offer(ProductFactory(name=f"Товар {number:02d}", category=category), shop, "100")
    session.commit()
    return category.id


def test_pagination_links_keep_the_filters(client, thirty):
    html = client.get("/?q=товар&page_size=10&page=2").get_data(as_text=True)
    assert "Товар 10" in html and "Товар 09" not in html
    assert '<span aria-current="page">2</span>' in html
    assert f'href="/?q={quote("товар")}&amp;page_size=10"' in html  # page 1 is the address without page=
    assert f'href="/?q={quote("товар")}&amp;page=3&amp;page_size=10"' in html
    beyond = client.get("/?page=99")
    assert beyond.status_code == 200 and "no goods on this page" in beyond.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page_size=10000", "page_size"),
        ("price_min=-1", "price_min"),
        ("price_min=500&price_max=100", "price_max"),
        ("price_max=abc", "price_max"),
        ("q=" + "я" * 10_000, "q"),
        ("shop=abc", "shop"),
        ("sort=drop", "sort"),
        ("in_stock=perhaps", "in_stock"),
    ],
)
def test_bad_input_is_a_clear_400_page_and_partial(client, catalog, query, field):
    page, partial = page_and_partial(client, "/?" + query)
    assert page.status_code == partial.status_code == 400
    for body in (page.get_data(as_text=True), partial.get_data(as_text=True)):
        assert "Some filters could not be used" in body and f"<li>{field} " in body
        assert 'id="catalog-filters"' in body  # the form stays, to fix the value
        assert 'class="product-card"' not in body


@pytest.mark.parametrize("url", ["/category/999999", "/shop/999999", "/?shop=999999", "/product/999999",
                                 "/?category=999999"])
def test_unknown_ids_are_404(client, catalog, url):
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 404
    partial = client.get(url, headers=HX, follow_redirects=True)
    assert partial.status_code == 404 and "<html" not in partial.get_data(as_text=True)


@pytest.mark.parametrize(("q", "expected"), [("%", 1), ("_", 1), ("%%%", 0), ("' OR 1=1 --", 0), ("\\", 0)])
def test_wildcards_and_sql_in_search_are_literal(client, catalog, q, expected):
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="product-card"') == expected


def test_deactivated_category_page_is_gone(client, session, catalog):
    from storefront.catalog.editing import set_category_active

    set_category_active(catalog.headphones, False)
    session.commit()
    assert client.get(f"/category/{catalog.headphones}").status_code == 404
    assert "Наушники" not in client.get("/").get_data(as_text=True)


def test_shop_page(client, catalog):
    html = client.get(f"/shop/{catalog.shop_b}").get_data(as_text=True)
    assert "<h1 id=\"catalog-heading\">Электролайн" in html
    assert "Apple AirPods Pro" in html and "Кабель" not in html
    assert 'name="shop"' not in html  # the shop is the page, not a filter
    paused = client.get(f"/shop/{catalog.paused_shop}").get_data(as_text=True)
    assert "is not taking orders" in paused and 'class="product-card"' not in paused


def test_product_page(client, catalog):
    response = client.get(f"/product/{catalog.iphone}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-label="Breadcrumbs"' in html and f'href="/category/{catalog.phones}">Смартфоны</a>' in html
    assert "Флагман Apple с камерой 48 Мп." in html
    assert re.search(r'<th scope="row">Цвет</th><td>чёрный</td>', html)
    # A form per selling supplier with stock (the paused one left out); the one with none left says so, no box.
    assert html.count('class="add-to-cart"') == 2  # the sticky bar's form for the best offer, and its row's
    assert f'name="offer_id" value="{catalog.iphone_offer_a}"' in html
    assert re.search(r'name="quantity" value="1" min="1" max="5"', html)
    assert 'max="0"' not in html and '<p class="sold-out"' in html
    assert "Связной" in html and "Электролайн" in html and "Спит" not in html
    assert "More in Смартфоны" in html and "Смартфон Samsung Galaxy" in html


def test_product_whose_suppliers_paused_is_unavailable(client, catalog):
    response = client.get(f"/product/{catalog.nokia}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This product is unavailable" in html and 'class="add-to-cart"' not in html


def test_user_text_is_escaped(client, session, catalog):
    add_offer(ProductFactory(name="<script>alert(1)</script>", category_id=catalog.phones), session.get(
        __import__("storefront.catalog.models", fromlist=["Shop"]).Shop, catalog.shop_a), "10")
    session.commit()
    html = client.get("/?q=<script>").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# ------------------------------------------------------------------------------------------ query counts


@pytest.fixture
def big_category(session):
    shops = [ShopFactory() for _ in range(3)]
    category = CategoryFactory(name="Большая")
    products = []
    for number in range(40):
        product = ProductFactory(name=f"Изделие {number:02d}", category=category)
        for index, shop in enumerate(shops):
            add_offer(product, shop, str(100 + number + index), quantity=index, Цвет=["red", "blue"][number % 2],
                      Размер=str(number % 5))
        products.append(product.id)
    session.commit()
    return category.id, products


def count_queries(app, client, url) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, url
    return len(statements)


def test_list_pages_cost_a_fixed_number_of_queries(app, client, big_category):
    category_id, _ = big_category
    # First sight of a filter set: + the sidebar's categories and shops (cached for every list) and the total
    # (cached per filter set, shared by its pages, sizes and sorts).
    assert count_queries(app, client, "/?page_size=7") == 4
    # (The category's facets are precomputed and cached with its total since issue 19: one query less.)
    for base, expected in [("/?", 1), (f"/category/{category_id}?", 2), ("/?q=изделие&", 1),
                           (f"/category/{category_id}?param.Цвет=red&in_stock=1&sort=price_desc&", 3)]:
        count_queries(app, client, f"{base}page_size=7")
        counts = {size: count_queries(app, client, f"{base}page_size={size}&page={page}")
                  for size, page in [(1, 1), (10, 2), (40, 1), (100, 1)]}
        # the page's cards from the product summaries (+ the category on a category page; + the page's matching
        # offers when filters narrow the offers)
        assert set(counts.values()) == {expected}, (base, counts)
        # Asked again, the page comes from the cache.
        assert count_queries(app, client, f"{base}page_size=10&page=2") == 0


def test_product_page_costs_a_fixed_number_of_queries(app, client, session, big_category):
    _, products = big_category
    lonely = ProductFactory(name="Одинокий", category_id=big_category[0])
    add_offer(lonely, ShopFactory(), "10")
    session.commit()
    # product, its offers, its parameters, its offers' photos, related goods: however many offers it has
    assert count_queries(app, client, f"/product/{products[0]}") == 5
    assert count_queries(app, client, f"/product/{lonely.id}") == 5
    assert count_queries(app, client, f"/product/{products[0]}") == 0


def test_with_the_cache_off_every_page_reads_the_catalog_once(app, client, session, big_category):
    # Issue 19: the cached fragments read their page inside their own computation; with the cache switched off
    # that must still be the only read, on the full page, its fragment and the product page alike.
    category_id, products = big_category
    app.config["CATALOG_CACHE_TTL"] = 0
    list_url = f"/category/{category_id}?page_size=7"
    # the category, its cards, its precomputed facets and total, the sidebar's categories and shops
    assert count_queries(app, client, list_url) == 5
    client.get(list_url, headers=HX)
    assert count_queries(app, client, list_url) == 5  # every time: nothing is cached
    assert count_queries(app, client, f"/product/{products[0]}") == 5


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


def test_shared_results_carry_each_visitors_own_csrf_token(csrf_app, catalog):
    # The results fragment is rendered once and served to everyone: only the CSRF token differs per visitor.
    first, second = csrf_app.test_client(), csrf_app.test_client()
    page_one, page_two = first.get("/").get_data(as_text=True), second.get("/").get_data(as_text=True)
    partial_two = second.get("/", headers=HX).get_data(as_text=True)
    assert "__csrf_" not in page_one + page_two + partial_two
    (token_one,), (token_two,) = _tokens(page_one), _tokens(page_two)
    assert token_one != token_two
    assert f'"X-CSRFToken": "{token_one}"' in page_one  # the same session token as the page shell's
    assert _tokens(partial_two) == {token_two}

    # Each visitor's token is accepted for that visitor's session, and refused for the other's.
    form = {"offer_id": catalog.galaxy_offer, "quantity": 1, "next": "/"}
    assert first.post("/cart/add", data={**form, "csrf_token": token_two}).status_code == 400
    assert first.post("/cart/add", data={**form, "csrf_token": token_one}).status_code == 303


def test_the_csrf_slot_cannot_be_typed_by_a_visitor(app):
    # Search text lands in the shared fragment: were the slot a fixed string, a crafted link could make a page
    # print the visitor's token wherever the search text is shown. It is derived from the secret key instead.
    from storefront.templating import _csrf_slot

    with app.test_request_context():
        slot = _csrf_slot()
        app.secret_key = "another secret"
        assert _csrf_slot() != slot and len(slot) > 32


def test_shared_results_follow_the_catalog(client, session, catalog):
    # The cached fragment belongs to the catalog's generation: a committed change shows on the next request.
    from storefront.catalog.editing import rename_category

    assert "Смартфоны" in client.get("/?q=galaxy").get_data(as_text=True)
    rename_category(catalog.phones, "Телефоны")
    session.commit()
    html = client.get("/?q=galaxy").get_data(as_text=True)
    assert "Телефоны" in html and "Смартфоны" not in html


def test_shared_results_are_kept_per_language(app, client, session, catalog):
    # The results fragment is shared between sessions, so it is cached per interface language: the same list
    # in Russian, then in English, gives each its own words (a yes/no parameter's values here).
    from storefront.catalog.models import Product

    galaxy = session.get(Product, catalog.galaxy)
    OfferParameterFactory(offer=galaxy.offers[0], parameter=parameter("NFC"), value="True", value_type="bool")
    session.commit()
    app.config["STOREFRONT_LOCALE"] = "ru"
    url = f"/category/{catalog.phones}"
    russian = client.get(url).get_data(as_text=True)
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'value="True">\s*Да <span', russian) and "Yes" not in russian
    assert re.search(r'value="True">\s*Yes <span', english) and "Да <span" not in english
    assert re.search(r'value="True">\s*Да <span', client.get(url).get_data(as_text=True))  # and back


def test_the_shared_product_page_carries_each_visitors_token_and_follows_its_stock(csrf_app, catalog):
    # The product page's content is rendered once per URL and language too: each visitor still gets a token of
    # their own, and a committed stock change shows on the next request.
    from storefront.catalog.cache import invalidate_products
    from storefront.catalog.models import Offer
    from storefront.extensions import db

    first, second = csrf_app.test_client(), csrf_app.test_client()
    url = f"/product/{catalog.galaxy}"
    page_one, page_two = first.get(url).get_data(as_text=True), second.get(url).get_data(as_text=True)
    assert "__csrf_" not in page_one + page_two
    assert _tokens(page_one) and _tokens(page_two) and _tokens(page_one).isdisjoint(_tokens(page_two))
    with csrf_app.app_context():
        db.session.get(Offer, catalog.galaxy_offer).quantity = 77
        invalidate_products([catalog.galaxy])
        db.session.commit()
    assert 'max="77"' in first.get(url).get_data(as_text=True)


def test_only_a_visitor_with_everybodys_shell_is_served_the_shared_page(client, session, catalog):
    # Whole pages are shared between visitors whose header is everybody's (not signed in, nothing flashed, an
    # empty cart). Served from that cache first, a signed-in shopper, a guest with goods in the cart and a
    # pending flash still see their own header.
    from tests.orders.order_helpers import login

    for url in ("/", f"/category/{catalog.phones}", f"/product/{catalog.galaxy}"):
        assert _badge(client.get(url).get_data(as_text=True)) == "0"
    added = client.post("/cart/add", data={"offer_id": catalog.galaxy_offer, "quantity": 1, "next": "/"})
    assert added.status_code == 303
    flashed = client.get("/").get_data(as_text=True)
    assert 'class="flash flash-success"' in flashed and _badge(flashed) == "1"
    for url in ("/", f"/category/{catalog.phones}", f"/product/{catalog.galaxy}"):
        page = client.get(url).get_data(as_text=True)
        assert _badge(page) == "1" and 'class="flash flash-' not in page, url

    other = client.application.test_client()
    assert _badge(other.get("/").get_data(as_text=True)) == "0"  # and the shared page is still everybody's
    shopper = UserFactory()
    session.commit()
    login(other, shopper)
    for url in ("/", f"/product/{catalog.galaxy}"):
        page = other.get(url).get_data(as_text=True)
        assert 'class="account-name"' in page and 'class="logout-form"' in page, url


def _badge(html: str) -> str:
    return re.search(r'data-testid="cart-count">(\d+)<', html).group(1)


def test_the_api_list_is_served_from_its_cached_body_until_the_catalog_changes(app, client, session, catalog):
    from storefront.catalog.editing import rename_category

    first = client.get("/api/v1/products?q=galaxy")
    assert first.status_code == 200 and first.json["items"][0]["category"] == "Смартфоны"
    assert count_queries(app, client, "/api/v1/products?q=galaxy") == 0  # the cached body: no SQL
    assert client.get("/api/v1/products?q=galaxy").data == first.data
    rename_category(catalog.phones, "Телефоны")
    session.commit()
    changed = client.get("/api/v1/products?q=galaxy", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["items"][0]["category"] == "Телефоны"
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_every_door_shows_an_order_that_ran_a_good_out_without_forgetting_the_catalog(app, client, session, catalog):
    # Issue 19: the shared whole page, the HTMX fragment, the API list and a product page's related goods are
    # cached around the lists; they follow the cards an order changed, and nothing catalog-wide is forgotten.
    from storefront.catalog.cache import LISTS, get_cache
    from tests.catalog.test_catalog_cache import take

    def galaxy_stock() -> list[str]:
        page = client.get("/?q=galaxy").get_data(as_text=True)
        fragment = client.get("/?q=galaxy", headers=HX).get_data(as_text=True)
        api = client.get("/api/v1/products?q=galaxy").json["items"][0]["in_stock"]
        return [re.search(r'class="(in-stock|out-of-stock)"', html).group(1) for html in (page, fragment)] + [api]

    def related_prices() -> list[str]:  # the related goods' prices, digits only ("69500")
        html = client.get(f"/product/{catalog.galaxy}").get_data(as_text=True)
        related = html[html.index('class="related"'):]
        return [re.sub(r"\D", "", price) for price in re.findall(r'class="price"><strong>(.*?)</strong>', related)]

    assert galaxy_stock() == ["in-stock", "in-stock", True]
    assert related_prices() == ["69500"]  # the iPhone's best price: 69 500 ₽
    lists = get_cache().counters([LISTS])
    take(session, catalog.galaxy_offer, 16)
    take(session, catalog.iphone_offer_a, 5)  # its cheaper offer (68 000, none in stock) is its price now
    assert galaxy_stock() == ["out-of-stock", "out-of-stock", False]
    assert related_prices() == ["68000"]
    assert get_cache().counters([LISTS]) == lists


def test_the_search_heading_quotes_the_words_the_russian_way_and_escapes_them(app, client, catalog):
    app.config["STOREFRONT_LOCALE"] = "ru"
    russian = client.get("/?q=galaxy").get_data(as_text=True)
    english = client.get("/?q=galaxy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<span class="muted">· «galaxy»</span>' in russian
    assert '<span class="muted">· “galaxy”</span>' in english
    hostile = client.get("/?q=<b>x</b>").get_data(as_text=True)
    assert "«&lt;b&gt;x&lt;/b&gt;»" in hostile and "<b>x</b>" not in hostile
