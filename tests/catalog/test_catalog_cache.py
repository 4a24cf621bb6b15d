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


def test_stock_changes_forget_the_lists_only_when_a_list_would_show_them(session, catalog, cache_backend):
    # Issue 19: an order forgets the pages of the products it took stock from; the lists (shared by every
    # shopper) only when what they show changed — a summary, or an offer running out or coming back.
    from sqlalchemy import update

    from storefront.catalog.cache import LISTS
    from storefront.orders.stock import stock_changed

    def take(offer_id: int, quantity: int) -> None:
        session.execute(update(Offer).where(Offer.id == offer_id).values(quantity=Offer.quantity - quantity)
                        .execution_options(synchronize_session=False))
        stock_changed({offer_id: -quantity})
        session.commit()

    def galaxy_card():
        return next(c for c in search_catalog(CatalogQuery()).items if c.id == catalog.galaxy)

    lists = get_cache().counters([LISTS])
    assert galaxy_card().in_stock and product_page(catalog.galaxy).product.offers[0].quantity == 16
    take(catalog.galaxy_offer, 1)
    assert get_cache().counters([LISTS]) == lists  # the lists stay cached...
    assert product_page(catalog.galaxy).product.offers[0].quantity == 15  # ...its page does not
    take(catalog.galaxy_offer, 15)  # the last units: the card must say "out of stock" now
    assert get_cache().counters([LISTS]) != lists
    assert not galaxy_card().in_stock
    assert product_page(catalog.galaxy).product.offers[0].quantity == 0
