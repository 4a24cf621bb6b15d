"""One cart, five orders (issue 17): concurrent checkouts of one cart give exactly one order, on both doors.

Five threads, each with its own test client (so its own app context, session and database connection), wait
on a barrier and then place an order from the same cart with different idempotency keys. The checkout locks
the cart first (a row lock on the shopper on PostgreSQL, the write lock on SQLite), so exactly one wins and
the others read the cart it emptied: 409 `empty_cart` (or `checkout_in_progress`), nothing written.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.orders.models import Order, OrderItem
from tests.api.conftest import auth_headers, tokens_for  # noqa: F401 — the API's token fixtures
from tests.factories import OfferFactory
from tests.orders.order_helpers import login, shopper_with_cart

CHECKOUTS = 5
STOCK = 10
LOSING_CODES = {"empty_cart", "checkout_in_progress"}


@pytest.fixture
def app(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")  # never into the app's instance/
    return app


@pytest.fixture
def one_cart(app, session):
    """A verified shopper with one line (1 unit) in the cart, of an offer with 10 in stock."""
    offer = OfferFactory(quantity=STOCK, price=Decimal("1500.00"), product__name="Кофемолка")
    user, contact = shopper_with_cart((offer, 1))
    session.commit()
    return user, contact.id, offer.id


def _race(app, send):
    """Clients, a thread body that runs `send(client, n)` once the barrier releases every thread, and the list
    its answers go into, as (status, API error code or "")."""
    start = threading.Barrier(CHECKOUTS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def run(n: int, client) -> None:
        try:
            start.wait(timeout=30)
            response = send(client, n)
            code = response.json.get("code", "") if response.is_json else ""
            outcome = (response.status_code, code)
        except Exception as exc:  # a crash in a thread must fail the test, not vanish
            outcome = (-1, repr(exc))
        with lock:
            answers.append(outcome)

    clients = [app.test_client() for _ in range(CHECKOUTS)]
    return clients, run, answers


def _start(clients, run) -> None:
    threads = [threading.Thread(target=run, args=(n, client)) for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def _assert_one_order(app, user_id: int, offer_id: int) -> None:
    with app.app_context():
        orders = db.session.scalars(db.select(Order).where(Order.user_id == user_id)).all()
        sold = db.session.scalar(db.select(db.func.coalesce(db.func.sum(OrderItem.quantity), 0))
                                 .where(OrderItem.offer_id == offer_id))
        left = db.session.get(Offer, offer_id).quantity
        db.session.remove()
    assert len(orders) == 1
    assert sold == 1
    assert left == STOCK - 1


def test_five_concurrent_api_checkouts_of_one_cart_make_one_order(app, session, one_cart, auth_headers):  # noqa: F811
    user, contact_id, offer_id = one_cart
    headers = auth_headers(user)
    user_id = user.id
    session.remove()  # the threads must not share the fixture's connection (SQLite would deadlock on it)

    def send(client, n):
        return client.post("/api/v1/orders", json={"contact_id": contact_id},
                           headers={**headers, "Idempotency-Key": f"race-{n}"})

    clients, run, answers = _race(app, send)
    _start(clients, run)

    assert len(answers) == CHECKOUTS, answers
    assert sorted(status for status, _ in answers) == [201] + [409] * (CHECKOUTS - 1), answers
    assert {code for status, code in answers if status == 409} <= LOSING_CODES, answers
    _assert_one_order(app, user_id, offer_id)


def test_five_concurrent_page_checkouts_of_one_cart_make_one_order(app, session, one_cart):
    user, contact_id, offer_id = one_cart
    user_id = user.id

    def send(client, n):
        form = {"contact_id": contact_id, "idempotency_key": f"page-race-{n}"}
        return client.post("/orders/checkout", data=form)

    clients, run, answers = _race(app, send)
    for client in clients:
        login(client, user)  # each client carries its own signed-in session cookie
    session.remove()
    _start(clients, run)

    assert len(answers) == CHECKOUTS, answers
    # The winner is redirected to the thank-you page; the others see the checkout again with a 409.
    assert sorted(status for status, _ in answers) == [303] + [409] * (CHECKOUTS - 1), answers
    _assert_one_order(app, user_id, offer_id)
