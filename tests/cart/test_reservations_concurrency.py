"""Shoppers race to hold and buy the last units: the holds and the orders together never exceed the stock."""

import threading

from storefront.accounts.models import User
from storefront.cart.models import StockReservation
from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.orders import services
from storefront.orders.models import OrderItem
from tests.factories import OfferFactory
from tests.orders.order_helpers import shopper_with_cart

SHOPPERS = 4
STOCK = 5


def test_concurrent_holds_and_checkouts_never_oversell(app, session):
    offer = OfferFactory(quantity=STOCK)
    buyers = [shopper_with_cart((offer, 2)) for _ in range(SHOPPERS)]
    session.commit()
    offer_id, jobs = offer.id, [(user.id, contact.id) for user, contact in buyers]
    session.remove()
    start = threading.Barrier(SHOPPERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def hold_then_buy(user_id: int, contact_id: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                start.wait(timeout=30)
                held = services.open_checkout(user).held.get(offer_id, 0)
                db.session.commit()
                services.place_order(user, contact_id, f"race-{user_id}")
                db.session.commit()
                outcome = f"sold after holding {held}"
            except services.OutOfStock:
                db.session.rollback()
                outcome = "short"
            except Exception as exc:
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=hold_then_buy, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == SHOPPERS and not [o for o in outcomes if o.startswith("error")], outcomes
    assert sorted(outcomes).count("sold after holding 2") == STOCK // 2  # whoever held, bought
    with app.app_context():
        left = db.session.get(Offer, offer_id).quantity
        sold = db.session.scalar(db.select(db.func.coalesce(db.func.sum(OrderItem.quantity), 0))
                                 .where(OrderItem.offer_id == offer_id))
        assert db.session.query(StockReservation).count() == 0
    assert sold == 4 and left == STOCK - sold == 1
