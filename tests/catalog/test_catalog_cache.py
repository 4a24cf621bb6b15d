"""The catalog cache serves repeated reads and forgets exactly what a change touched."""

from decimal import Decimal

import pytest

from storefront.catalog.browsing import product_page, search_catalog
from storefront.catalog.cache import (
    MemoryBackend,
    RedisBackend,
    cached,
    get_cache,
    invalidate_catalog,
)
from storefront.catalog.editing import rename_category
from storefront.catalog.filters import CatalogQuery
from storefront.catalog.models import Offer, Shop


def best_price(product_id: int) -> Decimal:
    return next(c.best_price for c in search_catalog(CatalogQuery()).items if c.id == product_id)


def change_price(session, offer_id: int, price: str) -> None:
    session.get(Offer, offer_id).price = Decimal(price)
    session.commit()


@pytest.fixture(params=["memory", "redis"])
def cache_backend(request, app):
    if request.param == "redis":
        request.getfixturevalue("clean_redis")
        app.config["REDIS_URL"] = request.getfixturevalue("redis_url")
    return request.param


def test_backend_follows_the_configuration(app, session, cache_backend):
    expected = RedisBackend if cache_backend == "redis" else MemoryBackend
    assert isinstance(get_cache(), expected)


def test_caching_can_be_switched_off(app, session):
    app.config["CATALOG_CACHE_TTL"] = 0
    calls = []
    assert cached("k", ["g"], lambda: calls.append(1) or "v") == "v"
    assert cached("k", ["g"], lambda: calls.append(1) or "v") == "v"
    assert len(calls) == 2 and get_cache() is None


def test_a_price_change_is_seen_after_invalidation(session, catalog, cache_backend):
    assert best_price(catalog.galaxy) == Decimal("53000.00")
    assert product_page(catalog.galaxy).product.offers[0].price == Decimal("53000.00")
    change_price(session, catalog.galaxy_offer, "49000")
    # Served from the cache until someone says the price changed...
    assert best_price(catalog.galaxy) == Decimal("53000.00")
    assert product_page(catalog.galaxy).product.offers[0].price == Decimal("53000.00")
    invalidate_catalog(product_ids=[catalog.galaxy])
    assert best_price(catalog.galaxy) == Decimal("49000.00")
    assert product_page(catalog.galaxy).product.offers[0].price == Decimal("49000.00")


def test_invalidation_is_precise_for_product_pages(session, catalog, cache_backend):
    product_page(catalog.iphone)
    product_page(catalog.galaxy)
    change_price(session, catalog.iphone_offer_a, "1")
    change_price(session, catalog.galaxy_offer, "2")
    invalidate_catalog(product_ids=[catalog.galaxy])
    assert product_page(catalog.galaxy).product.offers[0].price == Decimal("2.00")
    # The iPhone's page was not named, so it is still the cached one.
    assert {o.price for o in product_page(catalog.iphone).product.offers} == {Decimal("68000.00"), Decimal("69500.00")}


def test_invalidating_a_shop_reaches_every_product_it_offers(session, catalog, cache_backend):
    assert product_page(catalog.airpods).product.available
    session.get(Shop, catalog.shop_b).accepting_orders = False
    session.commit()
    invalidate_catalog(shop_ids=[catalog.shop_b])
    assert not product_page(catalog.airpods).product.available
    assert catalog.airpods not in {c.id for c in search_catalog(CatalogQuery()).items}


def test_staff_edits_invalidate_when_they_commit_not_before(session, catalog, cache_backend):
    assert product_page(catalog.iphone).product.category.name == "Смартфоны"
    rename_category(catalog.phones, "Телефоны")
    session.rollback()  # a rolled-back edit forgets its invalidation
    assert product_page(catalog.iphone).product.category.name == "Смартфоны"
    rename_category(catalog.phones, "Телефоны")
    session.commit()
    assert product_page(catalog.iphone).product.category.name == "Телефоны"
    assert search_catalog(CatalogQuery(), navigation=True).categories[-1].name == "Телефоны"


def test_a_value_computed_during_an_invalidation_is_never_served(app, session, cache_backend):
    calls = []

    def compute():
        # The data changes (and is invalidated) while this value is being computed from the old data.
        invalidate_catalog(product_ids=[42])
        calls.append(1)
        return len(calls)

    assert cached("race", ["product:42"], compute) == 1
    assert cached("race", ["product:42"], lambda: "fresh") == "fresh"


def take(session, offer_id: int, quantity: int) -> None:
    """What checkout does to stock: a bulk UPDATE, then `stock_changed`, then the commit."""
    from sqlalchemy import update

    from storefront.catalog.stock import stock_changed

    session.execute(update(Offer).where(Offer.id == offer_id).values(quantity=Offer.quantity - quantity)
                    .execution_options(synchronize_session=False))
    stock_changed({offer_id: -quantity})
    session.commit()


def recomputed(read) -> bool:
    """Whether `read()` had to compute anything (a miss), rather than be served whole from the cache."""
    misses = get_cache().misses
    read()
    return get_cache().misses != misses


def card(query: CatalogQuery, product_id: int):
    return next((c for c in search_catalog(query).items if c.id == product_id), None)


def test_an_order_forgets_only_the_lists_showing_what_it_changed(session, catalog, cache_backend):
    # Issue 19: an order forgets the pages of the products it took stock from, and of the lists only those that
    # show a card it changed, so a shop that is selling keeps its lists cached.
    from storefront.catalog.cache import LISTS, PRICES, STOCK

    everything, by_price = CatalogQuery(), CatalogQuery(sort="price_asc")
    headphones, in_stock = CatalogQuery(category_id=catalog.headphones), CatalogQuery(in_stock=True)
    for query in (everything, by_price, headphones, in_stock):
        search_catalog(query)
    counters = get_cache().counters([LISTS, PRICES, STOCK])

    take(session, catalog.galaxy_offer, 1)  # 15 left: no card changes, only the product's page
    assert get_cache().counters([LISTS, PRICES, STOCK]) == counters
    assert not any(recomputed(lambda q=q: search_catalog(q)) for q in (everything, by_price, headphones, in_stock))
    assert product_page(catalog.galaxy).product.offers[0].quantity == 15

    take(session, catalog.galaxy_offer, 15)  # the last units: its card says "out of stock" wherever it is shown
    assert not card(everything, catalog.galaxy).in_stock and not card(by_price, catalog.galaxy).in_stock
    assert card(in_stock, catalog.galaxy) is None  # the lists filtered on offers' stock lose it
    assert not recomputed(lambda: search_catalog(headphones))  # a list not showing it stays cached
    assert get_cache().counters([LISTS, PRICES]) == counters[:2]

    # The iPhone's cheaper offer has no stock: selling out the other one makes the cheaper one its price.
    take(session, catalog.iphone_offer_a, 5)
    assert card(everything, catalog.iphone).best_price == Decimal("68000.00")
    assert card(by_price, catalog.iphone).best_price == Decimal("68000.00")
    # A best price moved: the lists in price order may be in another order now, the others only show its card.
    assert get_cache().counters([PRICES]) != counters[1:2]
    assert get_cache().counters([LISTS]) == counters[:1]  # still no catalog-wide invalidation
    assert not recomputed(lambda: search_catalog(headphones))


def test_a_value_computed_while_a_card_it_shows_changes_is_never_served(app, session, cache_backend):
    from storefront.catalog.cache import LISTS, card_generation, shows_cards

    calls = []

    def compute():
        shows_cards([42])
        get_cache().bump([card_generation(42)])  # an order committed while this ran: the value may be stale
        calls.append(1)
        return "stale"

    assert cached("race", [LISTS], compute) == "stale"
    assert cached("race", [LISTS], lambda: "fresh") == "fresh"


def test_a_value_around_a_cached_one_depends_on_its_cards(app, session, cache_backend):
    # The page around a list is cached too: it is forgotten with the cards of the list inside it, even when the
    # list itself was a cache hit while the page was computed.
    from storefront.catalog.cache import LISTS, card_generation, shows_cards

    def inner():
        shows_cards([7])
        return "list"

    computed = []

    def page():
        computed.append(1)
        return cached("inner", [LISTS], inner) + f" page {len(computed)}"

    cached("inner", [LISTS], inner)  # the list first, on its own
    assert cached("page", [LISTS], page) == "list page 1"
    assert cached("page", [LISTS], page) == "list page 1"
    get_cache().bump([card_generation(8)])  # another card: still cached
    assert cached("page", [LISTS], page) == "list page 1"
    get_cache().bump([card_generation(7)])
    assert cached("page", [LISTS], page) == "list page 2"
