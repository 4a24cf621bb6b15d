"""One unit of work per request and per socket message: commit on success, nothing kept on any failure.

What was committed is read through a connection of its own: the test shares the request's session (pytest-flask
keeps one app context), which would also see rows only flushed.
"""

from __future__ import annotations

import logging

import pytest
from flask import abort
from sqlalchemy import func, select, text

from storefront.accounts import sessions
from storefront.cart import services as cart_services
from storefront.cart.models import CartItem
from storefront.catalog.models import Category
from storefront.domain_errors import Conflict, DomainError
from storefront.extensions import db
from storefront.htmx import error_status
from storefront.models import Message
from storefront.support import services as support_services
from storefront.support.frames import ChatParty, decode, handle_frame
from storefront.unit_of_work import commit_even_on, unit_of_work
from tests.api.conftest import bearer, tokens_for  # noqa: F401 - the API's token fixture
from tests.factories import CategoryFactory, ConversationFactory, OfferFactory, UserFactory
from tests.orders.order_helpers import start_session

HX = {"HX-Request": "true"}


def committed(model) -> int:
    """Rows of `model` another connection sees: only what was committed."""
    with db.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model.__table__))


class HalfWay(DomainError):
    status = 409
    code = "half_way"


def fail_after_writing(error: Exception):
    """A cart service that stores the line, then fails (as a rule checked too late would)."""
    real = cart_services.add_item

    def add_item(owner, offer_id, quantity=1):
        real(owner, offer_id, quantity)
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == 1  # the row is written
        raise error

    return add_item


@pytest.fixture
def offer(session):
    offer = OfferFactory(quantity=5)
    session.commit()
    return offer


@pytest.fixture
def shopper_headers(session, tokens_for):  # noqa: F811
    user = UserFactory()
    session.commit()
    return bearer(tokens_for(user).access_token)


def add_through(door: str, client, offer_id: int, headers: dict, htmx: bool = False):
    if door == "page":
        return client.post("/cart/add", data={"offer_id": offer_id, "quantity": 1}, headers=HX if htmx else {})
    return client.post("/api/v1/cart/items", json={"offer_id": offer_id, "quantity": 1}, headers=headers)


@pytest.mark.parametrize("door", ["page", "api"])
def test_the_boundary_commits_what_the_service_only_flushed(client, offer, shopper_headers, door):
    answer = add_through(door, client, offer.id, shopper_headers)
    assert answer.status_code in (201, 303), answer.get_data(as_text=True)
    assert committed(CartItem) == 1


@pytest.mark.parametrize("door, htmx, status", [("page", False, 303), ("page", True, 200), ("api", False, 409)])
def test_a_domain_error_half_way_leaves_nothing_written(client, offer, shopper_headers, monkeypatch, door, htmx,
                                                        status):
    monkeypatch.setattr(cart_services, "add_item", fail_after_writing(HalfWay("Refused half-way.")))
    answer = add_through(door, client, offer.id, shopper_headers, htmx)
    assert answer.status_code == status
    if door == "api":
        assert answer.json["code"] == "half_way"
    assert committed(CartItem) == 0
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0


@pytest.mark.parametrize("door", ["page", "api"])
def test_an_unexpected_exception_half_way_leaves_nothing_written(app, client, offer, shopper_headers, monkeypatch,
                                                                 door):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer with the 500 page, as in production
    monkeypatch.setattr(cart_services, "add_item", fail_after_writing(RuntimeError("bug")))
    answer = add_through(door, client, offer.id, shopper_headers)
    assert answer.status_code == 500
    assert answer.is_json == (door == "api")
    assert committed(CartItem) == 0


def test_an_htmx_error_answered_as_200_commits_nothing(app, client):
    @app.post("/test/htmx-refusal")
    def refuse():
        CategoryFactory(name="Half-way")
        return "<p class=error>No.</p>", error_status(409)

    assert client.post("/test/htmx-refusal").status_code == 409
    answer = client.post("/test/htmx-refusal", headers=HX)
    assert answer.status_code == 200 and "No." in answer.get_data(as_text=True)  # htmx swaps only 2xx
    assert committed(Category) == 0


def test_a_refusal_that_must_leave_a_trace_commits_only_its_block(app, client):
    @app.post("/test/refusal-with-trace")
    def refuse():
        with commit_even_on(Conflict):
            CategoryFactory(name="Kept")
            raise Conflict("Refused, but recorded.")

    @app.post("/test/refusal-without-trace")
    def refuse_other():
        with commit_even_on(Conflict):
            CategoryFactory(name="Dropped")
            abort(400)

    assert client.post("/test/refusal-with-trace").status_code == 409
    assert client.post("/test/refusal-without-trace").status_code == 400
    with db.engine.connect() as connection:
        assert connection.scalars(select(Category.name)).all() == ["Kept"]


@pytest.mark.postgresql
@pytest.mark.parametrize("swallowed", [True, False])
def test_the_error_page_renders_after_a_failed_statement(app, client, caplog, swallowed):
    # The header's cart badge queries the database: in a failed PostgreSQL transaction it could not.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test/failed-statement")
    def failed_statement():
        try:
            db.session.execute(text("SELECT * FROM no_such_table"))
        except Exception:
            if not swallowed:
                raise
        abort(404)

    with client.session_transaction() as flask_session:
        flask_session["cart_key"] = "guest-cart"
    with caplog.at_level(logging.ERROR):
        answer = client.get("/test/failed-statement")
    assert answer.status_code == (404 if swallowed else 500)
    assert "</html>" in answer.get_data(as_text=True)  # the whole error page
    assert "could not count the cart" not in caplog.text


@pytest.fixture
def chat(session):
    user = UserFactory()
    conversation = ConversationFactory(shopper=user)
    key = start_session(user)  # the socket checks its server-side session on every frame
    return ChatParty(user.id, sessions.find_live(key=key).id, conversation.id)


def test_each_socket_message_is_its_own_unit_of_work(chat):
    assert handle_frame(chat, decode('{"body": "Hello"}')) is None
    assert committed(Message) == 1


@pytest.mark.parametrize("error, code", [(HalfWay("Refused half-way."), "half_way"), (RuntimeError("bug"), "unavailable")])
def test_a_socket_message_failing_half_way_leaves_nothing_written(chat, monkeypatch, error, code):
    real = support_services.post_message

    def post_message(conversation, user, body):
        real(conversation, user, body)
        raise error

    monkeypatch.setattr(support_services, "post_message", post_message)
    assert handle_frame(chat, decode('{"body": "Hello"}'))["error"] == code
    assert committed(Message) == 0
    assert handle_frame(chat, decode('{"read": 1}')) is None  # the socket goes on with the next message


def test_unit_of_work_commits_on_success_and_rolls_back_on_any_exception(app):
    with unit_of_work():
        CategoryFactory(name="Kept")
    with pytest.raises(KeyError), unit_of_work():
        CategoryFactory(name="Dropped")
        raise KeyError("bug")
    with db.engine.connect() as connection:
        assert connection.scalars(select(Category.name)).all() == ["Kept"]
