"""The one parser of catalog arguments, shared by the pages and the API."""

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from storefront.catalog.filters import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    CatalogQuery,
    InvalidFilter,
    parse_catalog_query,
)
from storefront.domain_errors import DomainError


def test_empty_arguments_give_the_defaults():
    assert parse_catalog_query({}) == CatalogQuery()
    # A submitted form with blank fields means "not set".
    blank = MultiDict({"q": "", "shop": "", "price_min": "", "price_max": "", "in_stock": "", "sort": "", "page": ""})
    assert parse_catalog_query(blank) == CatalogQuery()


def test_every_argument_is_parsed():
    args = MultiDict([
        ("q", "  Смартфон   Apple "), ("category", "3"), ("shop", "7"), ("price_min", "1000"),
        ("price_max", "1999,90"), ("in_stock", "on"), ("sort", "price_desc"), ("page", "2"), ("page_size", "50"),
        ("param.Цвет", "чёрный"), ("param.Цвет", "синий"), ("param.Память", "128"),
    ])
    query = parse_catalog_query(args)
    assert query == CatalogQuery(
        q="Смартфон Apple", category_id=3, shop_id=7, price_min=Decimal("1000.00"), price_max=Decimal("1999.90"),
        in_stock=True, params={"Цвет": ("синий", "чёрный"), "Память": ("128",)}, sort="price_desc", page=2,
        page_size=50,
    )
    assert query.offset == 50


def test_a_plain_mapping_with_lists_works_like_a_multidict():
    query = parse_catalog_query({"param.Цвет": ["синий", "чёрный"], "page": "3"})
    assert query.params == {"Цвет": ("синий", "чёрный")} and query.page == 3


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "²"}, "page"),
        ({"page": "99999999999999999999"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": str(MAX_PAGE_SIZE + 1)}, "page_size"),
        ({"page_size": "10000"}, "page_size"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_min": "NaN"}, "price_min"),
        ({"price_max": "Infinity"}, "price_max"),
        ({"price_max": "1e400"}, "price_max"),
        ({"price_min": "cheap"}, "price_min"),
        ({"price_min": "500", "price_max": "100"}, "price_max"),
        ({"category": "x"}, "category"),
        ({"category": "0"}, "category"),
        ({"shop": "1.5"}, "shop"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"sort": "random()"}, "sort"),
        ({"q": "x" * 10_000}, "q"),
        ({"param.Цвет": "x" * 600}, "param.Цвет"),
    ],
)
def test_bad_arguments_are_refused_by_name(args, field):
    with pytest.raises(InvalidFilter) as caught:
        parse_catalog_query(args)
    assert isinstance(caught.value, DomainError)
    assert field in caught.value.errors
    assert caught.value.status == 400


def test_every_bad_argument_is_reported_at_once():
    with pytest.raises(InvalidFilter) as caught:
        parse_catalog_query({"page": "0", "price_min": "-5", "sort": "bogus"})
    assert set(caught.value.errors) == {"page", "price_min", "sort"}
    assert caught.value.field == "price_min"  # the first in the order the form lists them


def test_fixed_fields_from_the_path_win():
    assert parse_catalog_query({"category": "9"}, category_id=2).category_id == 2


def test_to_args_round_trips_and_leaves_defaults_out():
    query = parse_catalog_query(MultiDict([("q", "iphone"), ("price_min", "100.50"), ("param.Цвет", "синий"),
                                           ("sort", "newest"), ("page", "4"), ("in_stock", "1")]))
    args = query.to_args()
    assert args == {"q": "iphone", "price_min": "100.5", "in_stock": 1, "sort": "newest", "page": 4,
                    "param.Цвет": ["синий"]}
    assert parse_catalog_query(MultiDict([(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])])) == query
    assert CatalogQuery().to_args() == {}
    assert "page" not in query.to_args(page=None)
    assert "param.Цвет" not in query.to_args(params={})


def test_cache_keys_tell_queries_apart():
    assert CatalogQuery(q="a").cache_key() == CatalogQuery(q="a").cache_key()
    keys = {CatalogQuery().cache_key(), CatalogQuery(page=2).cache_key(), CatalogQuery(page_size=DEFAULT_PAGE_SIZE + 1).cache_key(),
            CatalogQuery(params={"a": ("b",)}).cache_key(), CatalogQuery(in_stock=True).cache_key()}
    assert len(keys) == 5
