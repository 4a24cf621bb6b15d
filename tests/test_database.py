"""Shared database helpers: `insert_rows` (COPY on PostgreSQL) writes exactly what an INSERT would."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from storefront.catalog.models import Offer, Product
from storefront.database import insert_rows, one_of, utcnow
from tests.factories import CategoryFactory, ProductFactory, ShopFactory

AWKWARD = ["tab\there", "line\nbreak", "back\\slash \\N", "quote ' \" ;", "Смартфон «Про» ✓", "\\.", ""]


def test_insert_rows_writes_values_exactly_and_fills_defaults(session):
    category = CategoryFactory()
    session.commit()
    before = utcnow()
    insert_rows(session.connection(), Product.__table__,
                [{"name": f"n{i}", "category_id": category.id, "description": text, "search_text": text}
                 for i, text in enumerate(AWKWARD)])
    rows = session.execute(select(Product).where(Product.category_id == category.id).order_by(Product.name)).scalars()
    by_name = {row.name: row for row in rows}
    assert [by_name[f"n{i}"].description for i in range(len(AWKWARD))] == AWKWARD
    first = by_name["n0"]
    # Left out, so filled as an INSERT fills them: scalar defaults and the timestamps.
    assert (first.is_active, first.on_sale, first.offer_count, first.in_stock, first.best_price) == (
        True, False, 0, False, None)
    assert before - timedelta(seconds=1) <= first.created_at <= utcnow()
    assert abs(first.updated_at - first.created_at) < timedelta(seconds=1)


def test_insert_rows_binds_through_column_types_and_joins_the_transaction(session):
    shop, product = ShopFactory(), ProductFactory()
    session.commit()
    insert_rows(session.connection(), Offer.__table__, [
        {"product_id": product.id, "shop_id": shop.id, "external_id": 2**62 + n, "model": "", "price": price,
         "price_rrc": price, "quantity": 1, "is_active": True}
        for n, price in enumerate([Decimal("2.499"), Decimal(7), Decimal("110000.50")])])
    prices = session.scalars(select(Offer.price).where(Offer.shop_id == shop.id).order_by(Offer.external_id)).all()
    assert prices == [Decimal("2.50"), Decimal("7.00"), Decimal("110000.50")]  # Money rounds as it binds
    session.rollback()
    assert session.scalars(select(Offer.id).where(Offer.shop_id == shop.id)).all() == []


def test_insert_rows_with_nothing_to_insert_does_nothing(session):
    insert_rows(session.connection(), Product.__table__, [])
    assert session.scalar(select(Product.id)) is None


def test_one_of_finds_exactly_the_listed_ids_and_names(session):
    category = CategoryFactory()
    names = ["Смартфон «Про» \"X\"", "it's", "plain", "ẞharp\\"]
    products = [ProductFactory(name=name, category=category) for name in names]
    session.commit()
    dialect = session.get_bind().dialect.name
    wanted = [*names[:2], "absent"]
    assert sorted(session.scalars(select(Product.name).where(one_of(Product.name, wanted, dialect)))) == sorted(names[:2])
    ids = [products[0].id, products[3].id, 10**6]
    assert sorted(session.scalars(select(Product.id).where(one_of(Product.id, ids, dialect)))) == sorted(ids[:2])
    assert session.scalars(select(Product.id).where(one_of(Product.id, [], dialect))).all() == []


def test_money_reads_back_exact_cents_from_columns_and_expressions(session):
    shop, product = ShopFactory(), ProductFactory()
    amounts = [Decimal("0.10"), Decimal("19.99"), Decimal(100), Decimal("0.01"), Decimal("9999999999.99")]
    session.add_all(Offer(product=product, shop=shop, external_id=n + 1, model="", price=amount, price_rrc=amount,
                          quantity=1, is_active=True) for n, amount in enumerate(amounts))
    session.commit()
    session.expire_all()
    read = session.scalars(select(Offer.price).where(Offer.shop_id == shop.id).order_by(Offer.external_id)).all()
    assert read == amounts and all(value.as_tuple().exponent == -2 for value in read)
    cheapest = session.scalar(select(func.min(Offer.price)).where(Offer.shop_id == shop.id))
    assert cheapest == Decimal("0.01") and str(cheapest) == "0.01"  # an expression keeps the column's type
    assert session.scalar(select(func.min(Offer.price)).where(Offer.shop_id == -1)) is None
