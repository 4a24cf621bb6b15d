"""Product summaries (what the catalog lists by) follow every change to offers, shops, products and categories."""

import importlib.util
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text, update

from storefront.catalog.models import Product
from storefront.catalog.summary import NOT_ON_SALE, Summary, refresh_product_summaries
from storefront.orders.services import place_order
from storefront.suppliers.services import switch_accepting
from tests.catalog.conftest import add_offer
from tests.factories import CategoryFactory, ProductFactory, ShopFactory
from tests.orders.order_helpers import shopper_with_cart

SUMMARY_COLUMNS = [getattr(Product, name) for name in Summary._fields]


def summary_of(session, product_id: int) -> Summary:
    return Summary(*session.execute(select(*SUMMARY_COLUMNS).where(Product.id == product_id)).one())


def test_the_fixture_catalog_is_summarised_as_the_cards_say(session, catalog):
    iphone = summary_of(session, catalog.iphone)
    # Two sellable offers (the paused shop's cheaper one does not count); the one in stock is the best.
    assert iphone == Summary(True, catalog.iphone_offer_a, Decimal("69500.00"), Decimal("79990.00"), 2, True)
    assert summary_of(session, catalog.nokia) == NOT_ON_SALE  # its only supplier has paused


def test_orm_changes_refresh_summaries_in_the_same_transaction(session, catalog):
    from storefront.catalog.models import Category, Offer

    offer_b = session.get(Offer, catalog.iphone_offer_b)
    offer_b.quantity = 3  # now the cheaper offer is in stock, and becomes the best
    session.flush()
    assert summary_of(session, catalog.iphone)[1:3] == (catalog.iphone_offer_b, Decimal("68000.00"))

    offer_b.is_active = False
    session.flush()
    assert summary_of(session, catalog.iphone)[1:5] == (catalog.iphone_offer_a, Decimal("69500.00"),
                                                        Decimal("79990.00"), 1)

    session.get(Category, catalog.phones).is_active = False
    session.flush()
    assert not summary_of(session, catalog.iphone).on_sale and not summary_of(session, catalog.galaxy).on_sale
    session.rollback()  # and a rolled-back change leaves nothing behind
    assert summary_of(session, catalog.iphone).best_offer_id == catalog.iphone_offer_a


def test_pausing_a_shop_takes_its_only_goods_off_sale(session, catalog):
    from storefront.catalog.models import Shop

    switch_accepting(session.get(Shop, catalog.shop_a), False)
    assert not summary_of(session, catalog.galaxy).on_sale  # shop A was its only supplier
    assert summary_of(session, catalog.iphone).best_offer_id == catalog.iphone_offer_b  # B still sells it
    switch_accepting(session.get(Shop, catalog.paused_shop), True)
    assert summary_of(session, catalog.nokia).on_sale


def test_moving_an_offer_refreshes_both_products(session):
    shop, category = ShopFactory(), CategoryFactory()
    first, second = ProductFactory(category=category), ProductFactory(category=category)
    offer = add_offer(first, shop, "100")
    session.flush()
    assert summary_of(session, first.id).on_sale and not summary_of(session, second.id).on_sale
    offer.product = second
    session.flush()
    assert not summary_of(session, first.id).on_sale and summary_of(session, second.id).on_sale


def test_checkout_updates_stock_in_the_summary(session, app):
    shop_a, shop_b, category = ShopFactory(), ShopFactory(), CategoryFactory()
    product = ProductFactory(category=category)
    cheap = add_offer(product, shop_a, "100", quantity=1)
    dear = add_offer(product, shop_b, "150", quantity=4)
    user, contact = shopper_with_cart((cheap, 1))
    session.commit()
    assert summary_of(session, product.id).best_offer_id == cheap.id
    place_order(user, contact.id, "key-1")  # takes the last unit with a bulk UPDATE the ORM never sees
    session.commit()
    assert summary_of(session, product.id) == Summary(True, dear.id, Decimal("150.00"), Decimal("150.00"), 2, True)


def test_a_refresh_writes_only_what_changed(session, catalog):
    assert refresh_product_summaries([catalog.iphone, catalog.galaxy, catalog.nokia]) == 0
    session.execute(update(Product).where(Product.id == catalog.galaxy).values(best_price=1, in_stock=False))
    assert refresh_product_summaries([catalog.iphone, catalog.galaxy, catalog.nokia]) == 1
    assert summary_of(session, catalog.galaxy).best_price == Decimal("53000.00")


def test_the_migration_backfill_agrees_with_the_service(session, catalog):
    # Migration 0003 fills the columns for goods that existed before it, in SQL: it must reach the same answer.
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0003_product_summaries.py"
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    products = [catalog.iphone, catalog.galaxy, catalog.airpods, catalog.cable, catalog.nokia]
    expected = {product_id: summary_of(session, product_id) for product_id in products}
    session.execute(update(Product).values(on_sale=True, best_offer_id=None, best_price=None, offer_count=9))
    for statement in migration.BACKFILL:
        session.execute(text(statement))
    assert {product_id: summary_of(session, product_id) for product_id in products} == expected


def test_the_facet_backfill_agrees_with_the_service(session, catalog):
    # Migration 0007b fills the precomputed facets in SQL for goods that existed before it: the same rows.
    from storefront.catalog.models import Category, facet_counts, product_facets

    galaxy = session.get(Product, catalog.galaxy)  # held: a collection change needs its parent alive until flush
    galaxy.extra_categories.append(session.get(Category, catalog.headphones))
    session.commit()
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0007b_catalog_facet_counts.py"
    spec = importlib.util.spec_from_file_location("migration_0007b", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def tables():
        return (sorted(session.execute(product_facets.select()).all()),
                sorted(session.execute(facet_counts.select().where(facet_counts.c.count > 0)).all()))

    expected = tables()
    assert expected[0] and expected[1]
    session.execute(product_facets.delete())
    session.execute(facet_counts.delete())
    for statement in migration.BACKFILL:
        session.execute(text(statement))
    assert tables() == expected
