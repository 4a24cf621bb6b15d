"""search_catalog and product_page: search, every filter and sort, paging, facets, what is for sale."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storefront.catalog.browsing import CatalogPage, list_categories, list_shops, product_page, search_catalog
from storefront.catalog.filters import CatalogQuery
from storefront.catalog.models import Offer, Product, Shop
from storefront.catalog.search_text import refresh_search_text, search_text_for
from storefront.domain_errors import NotFound
from tests.catalog.conftest import add_offer
from tests.factories import CategoryFactory, ProductFactory, ShopFactory


def names(query: CatalogQuery) -> list[str]:
    return [card.name for card in search_catalog(query).items]


def test_only_sellable_goods_are_listed(session, catalog):
    page = search_catalog(CatalogQuery())
    assert page.total == 4
    assert "Nokia 3310" not in [card.name for card in page.items]  # its only shop is paused


def test_cards_show_the_best_offer(session, catalog):
    cards = {card.id: card for card in search_catalog(CatalogQuery()).items}
    iphone = cards[catalog.iphone]
    # Shop B is cheaper but out of stock; the paused shop is cheaper still but not for sale.
    assert iphone.best_price == Decimal("69500.00")
    assert iphone.best_offer_id == catalog.iphone_offer_a
    assert iphone.price_rrc == Decimal("79990.00") and iphone.discounted
    assert iphone.offer_count == 2 and iphone.in_stock
    assert iphone.category == "Смартфоны"
    cable = cards[catalog.cable]
    assert cable.best_price == Decimal("500.00") and not cable.discounted  # an RRC below the price is not a discount


def test_out_of_stock_product_shows_the_cheapest_offer(session, catalog):
    session.get(Offer, catalog.iphone_offer_a).quantity = 0
    session.commit()
    card = next(c for c in search_catalog(CatalogQuery()).items if c.id == catalog.iphone)
    assert card.best_price == Decimal("68000.00") and card.best_offer_id == catalog.iphone_offer_b
    assert not card.in_stock


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("смартфон", {"Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)"}),
        ("СМАРТФОН apple", {"Смартфон Apple iPhone 15 128GB (чёрный)"}),
        ("черный", {"Смартфон Apple iPhone 15 128GB (чёрный)"}),  # ё and е are one letter to a reader
        ("APPLE", {"Смартфон Apple iPhone 15 128GB (чёрный)", "Apple AirPods Pro"}),
        ("airpods-pro", {"Apple AirPods Pro"}),  # the offer's model
        ("камерой", {"Смартфон Apple iPhone 15 128GB (чёрный)"}),  # the description
        ("bright SCREEN", {"Смартфон Samsung Galaxy S24 256GB (синий)"}),
        # Stemmed (Snowball, on both backends): other forms of a word find it.
        ("смартфоны", {"Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)"}),
        ("Смартфонов samsung", {"Смартфон Samsung Galaxy S24 256GB (синий)"}),
        ("bright screens", {"Смартфон Samsung Galaxy S24 256GB (синий)"}),
        ("100%", {"Кабель 100% медь_x"}),
        ("медь_x", {"Кабель 100% медь_x"}),
        ("%", {"Кабель 100% медь_x"}),  # a literal percent sign, not "anything"
        ("_", {"Кабель 100% медь_x"}),
        ("iphone nokia", set()),  # every word must match
        ("nokia", set()),  # not for sale
        ("zzz", set()),
    ],
)
def test_search(session, catalog, q, expected):
    assert set(names(CatalogQuery(q=q))) == expected


def test_the_escape_character_itself_is_literal_too(session, catalog):
    # LIKE escaping is SQLAlchemy's autoescape (escape character "/"): a slash or backslash is just a character.
    product = ProductFactory(name="Адаптер USB-C/Lightning 50\\50", category_id=catalog.phones)
    add_offer(product, session.get(Shop, catalog.shop_a), "990.00")
    refresh_search_text(product)
    session.commit()
    assert names(CatalogQuery(q="c/lightning")) == ["Адаптер USB-C/Lightning 50\\50"]
    assert names(CatalogQuery(q="50\\50")) == ["Адаптер USB-C/Lightning 50\\50"]
    assert names(CatalogQuery(q="/%")) == [] and names(CatalogQuery(q="c/_ightning")) == []


def test_search_text_folds_case_and_yo():
    assert search_text_for("Смартфон ЧЁРНЫЙ", ["Apple/X", "", "Apple/X"], "Straße") == "смартфон черный apple/x strasse"


def test_refresh_search_text_follows_edits(session, catalog):
    product = session.get(Product, catalog.galaxy)
    product.name = "Телефон Samsung"
    refresh_search_text(product)
    session.commit()
    assert names(CatalogQuery(q="телефон")) == ["Телефон Samsung"]
    assert names(CatalogQuery(q="смартфон samsung")) == []


def test_category_filter_includes_extra_categories(session, catalog):
    assert set(names(CatalogQuery(category_id=catalog.phones))) == {
        "Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)"}
    from storefront.catalog.editing import set_extra_categories

    set_extra_categories(catalog.airpods, [catalog.phones])
    session.commit()
    assert "Apple AirPods Pro" in names(CatalogQuery(category_id=catalog.phones))
    page = search_catalog(CatalogQuery(category_id=catalog.phones))
    assert page.category.name == "Смартфоны"


def test_shop_filter_counts_only_that_shops_offers(session, catalog):
    page = search_catalog(CatalogQuery(shop_id=catalog.shop_b))
    assert {card.name for card in page.items} == {"Смартфон Apple iPhone 15 128GB (чёрный)", "Apple AirPods Pro"}
    iphone = next(card for card in page.items if card.id == catalog.iphone)
    assert iphone.best_price == Decimal("68000.00") and iphone.offer_count == 1 and not iphone.in_stock
    assert page.shop.name == "Электролайн"


def test_a_paused_shop_lists_nothing(session, catalog):
    page = search_catalog(CatalogQuery(shop_id=catalog.paused_shop))
    assert page.total == 0 and not page.shop.accepting_orders


def test_price_range_applies_to_offers(session, catalog):
    assert set(names(CatalogQuery(price_min=Decimal(20000)))) == {
        "Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)"}
    assert names(CatalogQuery(price_max=Decimal(500))) == ["Кабель 100% медь_x"]
    within = search_catalog(CatalogQuery(price_min=Decimal(60000), price_max=Decimal(68000))).items
    assert [(c.id, c.best_price) for c in within] == [(catalog.iphone, Decimal("68000.00"))]
    assert names(CatalogQuery(price_min=Decimal(1000000))) == []


def test_in_stock_only(session, catalog):
    session.get(Offer, catalog.galaxy_offer).quantity = 0
    session.commit()
    cards = search_catalog(CatalogQuery(in_stock=True)).items
    assert catalog.galaxy not in [c.id for c in cards]
    iphone = next(c for c in cards if c.id == catalog.iphone)
    assert iphone.offer_count == 1  # shop B has none left


def test_parameter_filters(session, catalog):
    blue = CatalogQuery(category_id=catalog.phones, params={"Цвет": ("синий",)})
    assert names(blue) == ["Смартфон Samsung Galaxy S24 256GB (синий)"]
    either = CatalogQuery(category_id=catalog.phones, params={"Цвет": ("синий", "чёрный")})
    assert len(names(either)) == 2
    both = CatalogQuery(category_id=catalog.phones, params={"Цвет": ("синий",), "Память": ("128",)})
    assert names(both) == []
    assert names(CatalogQuery(params={"Цвет": ("зелёный",)})) == []


def test_facets_count_products_for_the_current_category(session, catalog):
    page = search_catalog(CatalogQuery(category_id=catalog.phones))
    facets = {facet.name: [(v.value, v.count, v.selected) for v in facet.values] for facet in page.facets}
    assert facets == {
        "Память": [("128", 1, False), ("256", 1, False)],  # numbers in numeric order
        "Цвет": [("синий", 1, False), ("чёрный", 1, False)],
    }
    # The whole catalog and search results have facets too (issue 20).
    assert facet_table(search_catalog(CatalogQuery())) == facets
    assert facet_table(search_catalog(CatalogQuery(q="смартфоны apple"))) == {
        "Память": [("128", 1, False)], "Цвет": [("чёрный", 1, False)]}


def facet_table(page) -> dict:
    return {facet.name: [(v.value, v.count, v.selected) for v in facet.values] for facet in page.facets}


def live_stats(query: CatalogQuery) -> tuple[int, dict]:
    """The total and facets aggregated from the offers themselves (what the precomputed ones must equal)."""
    from storefront.catalog.browsing import _conditions, _facets, _products_on_sale
    from storefront.extensions import db

    on_product, on_offer = _conditions(query)
    total = db.session.scalar(_products_on_sale(on_product, on_offer, func.count()))
    return total, facet_table(CatalogPage(query, (), 0, facets=_facets(query)))


def test_precomputed_facets_and_totals_follow_every_writer(session, catalog):
    # Issue 19: category pages and the whole catalog read counts kept by the summary writers; after each kind
    # of change they still equal a fresh aggregation over the offers.
    from storefront.catalog.cache import invalidate_catalog
    from storefront.catalog.models import Category, OfferParameter

    def check(categories=(catalog.phones, catalog.headphones)):
        session.commit()
        invalidate_catalog()  # as the staff services do after such changes
        for query in (CatalogQuery(), *(CatalogQuery(category_id=category_id) for category_id in categories)):
            page = search_catalog(query)
            assert (page.total, facet_table(page)) == live_stats(query), query

    check()
    galaxy = session.get(Product, catalog.galaxy)
    galaxy.offers[0].parameters[0].value = "зелёный"  # a parameter value edited
    check()
    galaxy.extra_categories.append(session.get(Category, catalog.headphones))  # listed in a second category
    check()
    session.get(Shop, catalog.shop_a).accepting_orders = False  # a shop paused
    check()
    session.get(Shop, catalog.shop_a).accepting_orders = True
    session.get(Offer, catalog.iphone_offer_b).is_active = False  # an offer withdrawn
    check()
    session.get(Product, catalog.airpods).category_id = catalog.phones  # moved to another category
    check()
    session.delete(session.scalars(select(OfferParameter).where(OfferParameter.offer_id == catalog.galaxy_offer)).first())
    check()
    session.get(Category, catalog.headphones).is_active = False  # a category switched off
    check([catalog.phones])


def test_facets_ignore_their_own_parameter_but_apply_the_others(session, catalog):
    page = search_catalog(CatalogQuery(category_id=catalog.phones, params={"Цвет": ("синий",)}))
    facets = {facet.name: [(v.value, v.count, v.selected) for v in facet.values] for facet in page.facets}
    assert facets["Цвет"] == [("синий", 1, True), ("чёрный", 1, False)]  # alternatives still counted
    assert facets["Память"] == [("256", 1, False)]  # narrowed by the colour


def test_facets_follow_search_and_stock(session, catalog):
    page = search_catalog(CatalogQuery(category_id=catalog.phones, q="apple"))
    assert {f.name: [v.value for v in f.values] for f in page.facets} == {"Память": ["128"], "Цвет": ["чёрный"]}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Apple AirPods Pro", "Кабель 100% медь_x", "Смартфон Apple iPhone 15 128GB (чёрный)",
                  "Смартфон Samsung Galaxy S24 256GB (синий)"]),
        ("price_asc", ["Кабель 100% медь_x", "Apple AirPods Pro", "Смартфон Samsung Galaxy S24 256GB (синий)",
                       "Смартфон Apple iPhone 15 128GB (чёрный)"]),
        ("price_desc", ["Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)",
                        "Apple AirPods Pro", "Кабель 100% медь_x"]),
    ],
)
def test_sorts(session, catalog, sort, expected):
    assert names(CatalogQuery(sort=sort)) == expected


def test_newest_first(session, catalog):
    from datetime import timedelta

    from storefront.database import utcnow

    for age, product_id in enumerate([catalog.cable, catalog.airpods, catalog.galaxy, catalog.iphone]):
        session.get(Product, product_id).created_at = utcnow() - timedelta(days=age)
    session.commit()
    assert [c.id for c in search_catalog(CatalogQuery(sort="newest")).items] == [
        catalog.cable, catalog.airpods, catalog.galaxy, catalog.iphone]


@pytest.fixture
def many(session):
    shop = ShopFactory()
    category = CategoryFactory(name="Много")
    for number in range(1, 26):
        add_offer(ProductFactory(name=f"Товар {number:02d}", category=category), shop, str(number * 10))
    session.commit()
    return category.id


def test_pagination_edges(session, many):
    first = search_catalog(CatalogQuery(page_size=10))
    assert first.total == 25 and first.pages == 3 and not first.has_prev and first.has_next
    assert [c.name for c in first.items][:2] == ["Товар 01", "Товар 02"]
    last = search_catalog(CatalogQuery(page=3, page_size=10))
    assert [c.name for c in last.items] == [f"Товар {n}" for n in range(21, 26)]
    assert last.has_prev and not last.has_next
    beyond = search_catalog(CatalogQuery(page=4, page_size=10))
    assert beyond.items == () and beyond.total == 25 and beyond.pages == 3  # still says how many there are
    exact = search_catalog(CatalogQuery(page_size=25))
    assert exact.pages == 1 and len(exact.items) == 25
    one = search_catalog(CatalogQuery(page_size=1, page=25))
    assert [c.name for c in one.items] == ["Товар 25"]


def test_page_window(session, many):
    assert search_catalog(CatalogQuery(page_size=1, page=1)).page_window() == [1, 2, 3, None, 25]
    assert search_catalog(CatalogQuery(page_size=1, page=12)).page_window() == [1, None, 10, 11, 12, 13, 14, None, 25]
    assert search_catalog(CatalogQuery(page_size=100)).page_window() == [1]


def test_empty_catalog(session):
    page = search_catalog(CatalogQuery())
    assert page.items == () and page.total == 0 and page.pages == 1


def test_unknown_or_inactive_category_and_unknown_shop_are_not_found(session, catalog):
    with pytest.raises(NotFound) as caught:
        search_catalog(CatalogQuery(category_id=999_999))
    assert caught.value.field == "category"
    with pytest.raises(NotFound) as caught:
        search_catalog(CatalogQuery(shop_id=999_999))
    assert caught.value.field == "shop"
    from storefront.catalog.editing import set_category_active

    set_category_active(catalog.headphones, False)
    session.commit()
    with pytest.raises(NotFound):
        search_catalog(CatalogQuery(category_id=catalog.headphones))


def test_navigation_lists_active_categories_and_open_shops(session, catalog):
    page = search_catalog(CatalogQuery(), navigation=True)
    assert [c.name for c in page.categories] == [c.name for c in list_categories()] == ["Наушники", "Смартфоны"]
    assert [s.name for s in page.shops] == [s.name for s in list_shops()] == ["Связной", "Электролайн"]
    assert search_catalog(CatalogQuery()).categories == ()


def test_product_page(session, catalog):
    page = product_page(catalog.iphone)
    product = page.product
    assert product.name.startswith("Смартфон Apple") and product.available
    assert [(o.shop_name, o.price, o.quantity) for o in product.offers] == [
        ("Электролайн", Decimal("68000.00"), 0), ("Связной", Decimal("69500.00"), 5)]
    assert product.best_offer.id == catalog.iphone_offer_a
    assert dict(product.parameters) == {"Память": ("128",), "Цвет": ("чёрный",)}
    assert product.category.name == "Смартфоны"
    assert [r.name for r in page.related] == ["Смартфон Samsung Galaxy S24 256GB (синий)"]  # Nokia is not on sale
    assert page.related[0].best_price == Decimal("53000.00")


def test_product_of_paused_shops_is_unavailable_not_missing(session, catalog):
    product = product_page(catalog.nokia).product
    assert not product.available and product.offers == () and product.best_offer is None


def test_unknown_product(session, catalog):
    with pytest.raises(NotFound):
        product_page(999_999)


@pytest.mark.parametrize("filtered", [False, True], ids=["search", "search and shop"])
def test_a_search_counts_up_to_the_limit_then_says_more(app, client, session, many, monkeypatch, filtered):
    """Counting every match grows with the catalog: past COUNT_LIMIT the total is a lower bound, said so on both
    doors, and the pages still lead on while they are full."""
    from storefront.catalog import browsing
    from storefront.catalog.cache import invalidate_catalog

    shop = "&shop=" + str(session.scalar(select(Shop.id))) if filtered else ""
    query = CatalogQuery(q="товар", page_size=10, shop_id=session.scalar(select(Shop.id)) if filtered else None)
    assert (search_catalog(query).total, search_catalog(query).total_exact) == (25, True)
    monkeypatch.setattr(browsing, "COUNT_LIMIT", 20)
    invalidate_catalog()  # the limit moved under a cached count
    first = search_catalog(query)
    assert (first.total, first.total_exact, first.pages) == (20, False, 2)
    second = search_catalog(query.with_changes(page=2))
    assert second.pages == 3 and second.has_next  # a full page past the count: there may be more
    last = search_catalog(query.with_changes(page=3))
    assert [c.name for c in last.items] == [f"Товар {n}" for n in range(21, 26)] and not last.has_next
    assert search_catalog(CatalogQuery()).total_exact  # the catalog's own count is kept exact, and cheap

    body = client.get(f"/api/v1/products?q=товар&page_size=10{shop}").json
    assert (body["total"], body["total_exact"], body["pages"]) == (20, False, 2)
    html = client.get(f"/?q=товар&page_size=10{shop}").get_data(as_text=True)
    assert "More than 20 products" in html and "25 products" not in html
    monkeypatch.setattr(browsing, "COUNT_LIMIT", 25)
    invalidate_catalog()
    assert client.get(f"/api/v1/products?q=товар{shop}").json["total_exact"] is True
