"""Hostile input (issue 17): out-of-range ids and pages, NUL characters, deep JSON — 4xx, never a 500.

Every test runs on SQLite and PostgreSQL; PostgreSQL is where these used to fail (`NumericValueOutOfRange`,
"text fields cannot contain NUL"), SQLite where Python integers overflow its 64-bit ones.
"""

from __future__ import annotations

import json

import pytest
from werkzeug.routing import IntegerConverter

from storefront.converters import MAX_ID, IdConverter
from storefront.input_guard import MAX_JSON_DEPTH, json_too_deep
from storefront.models import Conversation, Order
from storefront.pagination import MAX_PAGE, page_of, paginate
from tests.api.conftest import assert_error
from tests.factories import PASSWORD, OfferFactory, OrderFactory, StaffFactory, UserFactory
from tests.orders.order_helpers import login

HUGE = "99999999999999999999"  # beyond 64 bits
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def app(app):
    # The error page must render after a failure, as in production (no exception propagated to the test).
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/product/2147483648", 404),
        ("/category/2147483648", 404),
        ("/shop/2147483648", 404),
        (f"/product/{HUGE}", 404),
        ("/product/0", 404),
        ("/?page=100000000000000000000", 400),
        ("/?q=a%00b", 400),
        ("/?param.x%00=1", 400),
        ("/?page_size=100000", 400),
        (f"/?category={HUGE}", 302),  # the filter becomes the category's address, which is then a 404
    ],
)
def test_hostile_page_urls_are_4xx(client, session, url, status):
    OfferFactory()
    session.commit()
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 302:
        assert client.get(response.headers["Location"]).status_code == 404


def test_nul_on_a_page_names_the_problem(client):
    response = client.get("/?q=a%00b")
    assert response.status_code == 400
    assert "NUL characters" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/products/2147483648", 404, "not_found"),
        (f"/api/v1/products/{HUGE}", 404, "not_found"),
        ("/api/v1/categories/2147483648", 404, "not_found"),
        ("/api/v1/shops/2147483648", 404, "not_found"),
        ("/api/v1/products?page=100000000000000000000", 400, "invalid_filter"),
        ("/api/v1/products?page_size=100000", 400, "invalid_filter"),
        ("/api/v1/products?q=a%00b", 400, "invalid_characters"),
        ("/api/v1/products?param.x%00=1", 400, "invalid_characters"),
        ("/api/v1/categories?page=100000000000000000000", 422, "validation_error"),
        ("/api/v1/categories?page_size=100000", 422, "validation_error"),
    ],
)
def test_hostile_api_urls_are_4xx_json(client, session, url, status, code):
    OfferFactory()
    session.commit()
    assert_error(client.get(url), status, code)


def test_the_products_list_itself_still_answers(client, session):
    OfferFactory(product__name="Чайник")
    session.commit()
    response = client.get("/api/v1/products")
    assert response.status_code == 200 and response.json["total"] == 1


def _id_rules(app):
    return [rule for rule in app.url_map.iter_rules() if any(isinstance(c, IntegerConverter)
                                                             for c in rule._converters.values())]


def test_every_route_with_an_id_uses_the_bounded_converter(app):
    rules = _id_rules(app)
    assert len(rules) >= 50  # ~44 page routes and the API's
    unbounded = [rule.rule for rule in rules
                 if any(isinstance(c, IntegerConverter) and not isinstance(c, IdConverter)
                        for c in rule._converters.values())]
    assert unbounded == []


@pytest.mark.parametrize("value", [str(MAX_ID + 1), HUGE])
def test_every_id_route_answers_404_for_an_id_out_of_range(app, client, session, value):
    staff = StaffFactory()
    session.commit()
    login(client, staff)  # the routes with an id are mostly for staff; routing refuses before any login check
    for rule in _id_rules(app):
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<id:{name}>", value)
        url = url.replace("<any(confirm, ship):action>", "confirm").replace("<token>", "x")
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        response = client.open(url, method=method)
        # 405 when a rule for another method has the same shape: werkzeug checks the method before converting.
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert client.get(url).status_code in (404, 405), url


def test_deep_json_is_refused_before_authentication(client):
    for url in ("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/orders", "/api/v1/cart/items"):
        body = assert_error(client.post(url, data=DEEP, content_type="application/json"), 400,
                            "too_deeply_nested")
        assert str(MAX_JSON_DEPTH) in body["message"]


def test_deep_json_on_a_page_is_a_400_page(client):
    response = client.post("/login", data=DEEP, content_type="application/json")
    assert response.status_code == 400 and "nest deeper" in response.get_data(as_text=True)


def test_json_as_deep_as_allowed_still_reaches_the_endpoint(client):
    depth = MAX_JSON_DEPTH - 1  # inside the body's own object
    nested = json.loads("[" * depth + "]" * depth)
    assert_error(client.post("/api/v1/auth/login", json={"email": nested, "password": "x"}), 422)


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        (b'{"a": [1, 2, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}', False),  # brackets inside a string
        (b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', False),  # after an escaped quote
        (b"[" * (MAX_JSON_DEPTH + 1), True),  # unterminated still counts
        (b"[]" * 10_000, False),  # many brackets, no depth
        (b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), True),
    ],
)
def test_json_depth_is_measured_on_the_raw_text(text, too_deep):
    assert json_too_deep(text) is too_deep


@pytest.mark.parametrize("field", ["email", "password"])
def test_nul_in_the_login_form_is_a_form_error(client, session, field):
    user = UserFactory(email="ann@example.com")
    session.commit()
    data = {"email": user.email, "password": PASSWORD, field: "ann\x00@example.com"}
    response = client.post("/login", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "Text must not contain NUL characters." in html
    assert '<form' in html and 'name="email"' in html  # the form again, not an error page
    assert "\x00" not in html


def test_nul_in_the_register_form_is_a_form_error_and_nothing_is_written(client, session):
    from storefront.accounts.models import User

    response = client.post("/register", data={"name": "Ann\x00", "email": "ann@example.com", "password": PASSWORD,
                                              "confirm": PASSWORD, "account_type": "shopper"})
    assert response.status_code in (200, 400)
    assert "Text must not contain NUL characters." in response.get_data(as_text=True)
    assert session.query(User).count() == 0


def test_nul_in_api_bodies_is_a_400(client, session):
    assert_error(client.post("/api/v1/auth/login", json={"email": "a\x00@example.com", "password": "x"}), 400,
                 "invalid_characters")
    assert_error(client.post("/api/v1/auth/login", data={"email": "a\x00@example.com", "password": "x"}), 400,
                 "invalid_characters")


def test_a_number_beyond_the_integer_columns_in_a_form_is_a_field_error(client, session):
    shopper = UserFactory()
    session.commit()
    login(client, shopper)
    response = client.post("/cart/add", data={"offer_id": "9" * 30, "quantity": "1"})
    assert response.status_code < 500
    response = client.post("/cart/add", data={"offer_id": "1", "quantity": "9" * 30})
    assert response.status_code < 500


def test_huge_page_numbers_on_list_pages_are_bounded(client, session):
    shopper = UserFactory()
    OrderFactory(user=shopper)
    session.commit()
    login(client, shopper)
    response = client.get("/orders/?page=100000000000000000000")
    assert response.status_code == 200


def test_paginate_bounds_the_page_and_its_size(session):
    from sqlalchemy import select

    OrderFactory()
    session.commit()
    page = paginate(select(Order).order_by(Order.id), page=10**20, page_size=10**6)
    assert (page.page, page.page_size, page.items, page.total) == (MAX_PAGE, 100, [], 1)
    assert page_of([1, 2, 3], page=10**20, page_size=-5).items == []


def test_get_of_a_support_link_with_a_huge_order_is_a_404(client, session):
    shopper = UserFactory()
    session.commit()
    login(client, shopper)
    assert client.get(f"/support/?order={HUGE}").status_code == 404
    assert session.query(Conversation).count() == 0
