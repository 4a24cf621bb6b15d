"""Numeric parameters filter as ranges (`param_min.<name>` / `param_max.<name>`) on the pages and in the API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from storefront.catalog.filters import InvalidFilter, parse_catalog_query
from storefront.catalog.search_text import refresh_search_text
from tests.api.conftest import assert_error
from tests.catalog.conftest import add_offer, parameter
from tests.factories import OfferParameterFactory, ProductFactory


@pytest.fixture
def screens(catalog, session):
    """Diagonals written both ways ("6,1", "6.7"), and a parameter mixing a number with text ("лёгкий")."""
    from storefront.catalog.models import Category, Offer, Shop
    from storefront.extensions import db

    phones, shop = db.session.get(Category, catalog.phones), db.session.get(Shop, catalog.shop_a)
    for offer_id, diagonal in ((catalog.iphone_offer_a, "6,1"), (catalog.iphone_offer_b, "6,1"),
                               (catalog.galaxy_offer, "6.2")):
        OfferParameterFactory(offer=db.session.get(Offer, offer_id), parameter=parameter("Диагональ"), value=diagonal)
    big = ProductFactory(name="Смартфон Big 6.7", category=phones, description="")
    add_offer(big, shop, "40000", quantity=2, Диагональ="6.7", Вес="лёгкий")
    OfferParameterFactory(offer=db.session.get(Offer, catalog.galaxy_offer), parameter=parameter("Вес"), value="168")
    session.flush()
    refresh_search_text(big)
    session.commit()
    return catalog


def names(html: str) -> list[str]:
    return re.findall(r'class="product-name"><a [^>]*>([^<]+)<', html)


def test_parser_reads_ranges_with_either_decimal_mark():
    query = parse_catalog_query({"param_min.Диагональ": "6,1", "param_max.Диагональ": "6.5", "param_max.Вес": "200"})
    assert query.ranges == {"Диагональ": (Decimal("6.1"), Decimal("6.5")), "Вес": (None, Decimal("200"))}
    assert query.to_args()["param_min.Диагональ"] == "6.1"
    assert parse_catalog_query(query.to_args()) == query
    with pytest.raises(InvalidFilter) as raised:
        parse_catalog_query({"param_min.Диагональ": "7", "param_max.Диагональ": "6", "param_min.Вес": "1e5"})
    assert set(raised.value.errors) == {"param_max.Диагональ", "param_min.Вес"}


def test_numeric_facet_shows_a_range_and_filters_the_page(client, screens):
    html = client.get(f"/category/{screens.phones}").get_data(as_text=True)
    facet = html.split("<legend>Диагональ</legend>")[1].split("</fieldset>")[0]
    assert 'name="param_min.Диагональ"' in facet and 'placeholder="6.1"' in facet and 'placeholder="6.7"' in facet
    assert 'type="checkbox"' not in facet
    weight = html.split("<legend>Вес</legend>")[1].split("</fieldset>")[0]
    assert 'type="checkbox"' in weight  # "лёгкий" is not a number: exact values
    html = client.get(f"/category/{screens.phones}?param_min.Диагональ=6,15&param_max.Диагональ=6.7"
                      ).get_data(as_text=True)
    assert names(html) == ["Смартфон Big 6.7", "Смартфон Samsung Galaxy S24 256GB (синий)"]
    assert 'name="param_min.Диагональ" step="any" inputmode="decimal"\n               placeholder="6.1" value="6,15"' in html
    html = client.get("/?q=смартфон&param_max.Диагональ=6.1").get_data(as_text=True)
    assert names(html) == ["Смартфон Apple iPhone 15 128GB (чёрный)"]


def test_bad_range_is_a_form_error(client, screens):
    response = client.get(f"/category/{screens.phones}?param_min.Диагональ=7&param_max.Диагональ=6")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "param_max.Диагональ must not be less than the minimum value" in html
    assert re.search(r'name="param_max.Диагональ"[^>]*aria-invalid="true"', html)
    response = client.get("/?param_min.Диагональ=abc")
    assert response.status_code == 400 and "param_min.Диагональ must be a number" in response.get_data(as_text=True)


def test_api_range_filter_and_errors(client, screens):
    def names_of(query: str) -> list[str]:
        response = client.get(f"/api/v1/products?{query}")
        assert response.status_code == 200, response.json
        return [item["name"] for item in response.json["items"]]

    assert names_of("param_min.Диагональ=6.2") == ["Смартфон Big 6.7", "Смартфон Samsung Galaxy S24 256GB (синий)"]
    assert names_of("param_min.Диагональ=6,0&param_max.Диагональ=6,1") == ["Смартфон Apple iPhone 15 128GB (чёрный)"]
    # Text values ("лёгкий") are never cast (PostgreSQL would raise): they just do not match.
    assert names_of("param_min.Вес=100&param_max.Вес=200") == ["Смартфон Samsung Galaxy S24 256GB (синий)"]
    facets = client.get(f"/api/v1/products?category={screens.phones}&param_max.Диагональ=6.2").json["facets"]
    diagonal = next(f for f in facets if f["name"] == "Диагональ")
    assert (diagonal["numeric"], diagonal["low"], diagonal["high"], diagonal["range_max"]) == (True, "6.1", "6.7", "6.2")
    assert next(f for f in facets if f["name"] == "Вес")["numeric"] is True  # only "168" is left within the range
    facets = client.get(f"/api/v1/products?category={screens.phones}").json["facets"]
    assert next(f for f in facets if f["name"] == "Вес")["numeric"] is False  # "лёгкий" is not a number
    assert_error(client.get("/api/v1/products?param_min.Диагональ=7&param_max.Диагональ=6"), 400, "invalid_filter")
    assert_error(client.get("/api/v1/products?param_max.Диагональ=six"), 400, "invalid_filter")
