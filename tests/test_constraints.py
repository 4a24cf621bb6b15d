"""The database itself protects the data: these writes bypass every service and must still be refused."""

from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storefront.database import utcnow
from tests.factories import OfferFactory, ShopFactory, UserFactory


def rejected(session, statement: str, **params) -> bool:
    try:
        with session.begin_nested():
            session.execute(text(statement), params)
    except IntegrityError:
        return True
    return False


def test_negative_stock_is_rejected(session):
    offer = OfferFactory()
    session.commit()
    assert rejected(session, "UPDATE offers SET quantity = -1 WHERE id = :id", id=offer.id)


def test_negative_price_is_rejected(session):
    offer = OfferFactory()
    session.commit()
    assert rejected(session, "UPDATE offers SET price = -5 WHERE id = :id", id=offer.id)


def test_duplicate_shop_external_id_is_rejected(session):
    offer = OfferFactory(external_id=4216292)
    session.commit()
    with pytest.raises(IntegrityError):
        OfferFactory(shop=offer.shop, external_id=4216292)
    session.rollback()


def test_same_external_id_in_two_shops_is_fine(session):
    first = OfferFactory(external_id=224)
    OfferFactory(external_id=224, shop=ShopFactory())
    session.commit()
    assert first.external_id == 224


def test_same_email_in_another_letter_case_is_rejected(session):
    UserFactory(email="buyer@example.com")
    session.commit()
    with pytest.raises(IntegrityError):
        UserFactory(email="Buyer@Example.COM")
    session.rollback()


def test_money_is_exact(session):
    offer = OfferFactory(price=Decimal("0.10") + Decimal("0.20"))
    session.commit()
    session.expire_all()
    assert offer.price == Decimal("0.30")


def test_timestamps_are_timezone_aware(session):
    user = UserFactory()
    session.commit()
    session.expire_all()
    assert user.created_at.tzinfo is not None
    assert abs((utcnow() - user.created_at).total_seconds()) < 60


def test_deleting_a_shop_keeps_order_lines(session):
    from tests.factories import OrderItemFactory

    item = OrderItemFactory()
    session.commit()
    session.delete(item.part.shop)
    session.commit()
    session.expire_all()
    assert item.offer_id is None and item.product_name  # the snapshot stays


@pytest.mark.postgresql
def test_postgresql_rejects_each_constraint_itself(session, backend):
    assert backend == "postgresql"
    offer = OfferFactory(external_id=1)
    UserFactory(email="case@example.com")
    session.commit()
    assert rejected(session, "UPDATE offers SET quantity = -1 WHERE id = :id", id=offer.id)
    assert rejected(
        session,
        "INSERT INTO offers (product_id, shop_id, external_id, model, price, price_rrc, quantity, is_active,"
        " created_at, updated_at) VALUES (:p, :s, 1, '', 1, 1, 1, true, now(), now())",
        p=offer.product_id, s=offer.shop_id,
    )
    assert rejected(
        session,
        "INSERT INTO users (email, name, password_hash, role, is_verified, is_active, session_version,"
        " created_at, updated_at) VALUES ('CASE@Example.com', 'x', 'x', 'shopper', false, true, 1, now(), now())",
    )
