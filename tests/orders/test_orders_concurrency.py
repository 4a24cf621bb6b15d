"""Many shoppers race for the last units of one offer: never more sold than stocked, never negative stock."""

import threading

from storefront.accounts.models import User
from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.orders import services
from storefront.orders.models import OrderItem
from tests.factories import OfferFactory
from tests.orders.order_helpers import shopper_with_cart

SHOPPERS = 8
STOCK = 5


def test_concurrent_checkouts_never_oversell(app, session):
    offer = OfferFactory(quantity=STOCK, product__name="Последняя партия")
    # Each shopper wants 2: at most two orders fit into 5 units, and one unit must be left over.
    buyers = [shopper_with_cart((offer, 2)) for _ in range(SHOPPERS)]
    session.commit()
    offer_id = offer.id
    jobs = [(user.id, contact.id) for user, contact in buyers]
    session.remove()

    start = threading.Barrier(SHOPPERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(user_id: int, contact_id: int) -> None:
        with app.app_context():  # each thread: its own app context, session and connection
            try:
                user = db.session.get(User, user_id)
                start.wait(timeout=30)
                services.place_order(user, contact_id, f"race-{user_id}")
                db.session.commit()
                outcome = "sold"
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

    threads = [threading.Thread(target=buy, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == SHOPPERS and not [o for o in outcomes if o.startswith("error")], outcomes
    with app.app_context():
        left = db.session.get(Offer, offer_id).quantity
        sold = db.session.scalar(db.select(db.func.coalesce(db.func.sum(OrderItem.quantity), 0))
                                 .where(OrderItem.offer_id == offer_id))
    assert outcomes.count("sold") == STOCK // 2
    assert sold == 2 * outcomes.count("sold") <= STOCK
    assert left == STOCK - sold == 1
