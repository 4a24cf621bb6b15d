"""/api/v1/categories, /shops, /products: the catalog service through the API, ETags, and staff edits."""

from __future__ import annotations

from decimal import Decimal

from storefront.catalog.cache import invalidate_catalog
from storefront.catalog.models import Category, Offer, Product
from tests.api.conftest import assert_error
from tests.catalog.conftest import catalog  # noqa: F401 - the shared catalog fixture
from tests.factories import StaffFactory, UserFactory


def test_categories_and_shops(client, catalog):  # noqa: F811
    listed = client.get("/api/v1/categories").json
    assert [c["name"] for c in listed["items"]] == ["Наушники", "Смартфоны"]
    assert listed["total"] == 2 and listed["page_size"] == 20
    assert client.get(f"/api/v1/categories/{catalog.phones}").json == {
        "id": catalog.phones, "name": "Смартфоны", "is_active": True
    }
    assert_error(client.get("/api/v1/categories/999999"), 404, "not_found")
    shops = client.get("/api/v1/shops").json
    assert [s["name"] for s in shops["items"]] == ["Связной", "Электролайн"]  # the paused shop is not listed
    paused = client.get(f"/api/v1/shops/{catalog.paused_shop}").json
    assert paused["name"] == "Спит" and paused["accepting_orders"] is False
    assert_error(client.get("/api/v1/shops/999999"), 404)
    assert_error(client.get("/api/v1/shops?page_size=1000"), 422, "validation_error")


def test_product_search_filters_and_pages_like_the_page(client, catalog):  # noqa: F811
    def names(query=""):
        response = client.get(f"/api/v1/products?{query}")
        assert response.status_code == 200, response.json
        return [item["name"] for item in response.json["items"]]

    assert len(names()) == 4  # the paused shop's only product is not on sale
    assert names("q=смартфон") == names("q=СМАРТФОН") and len(names("q=смартфон")) == 2
    assert names(f"category={catalog.headphones}&sort=price_asc") == ["Кабель 100% медь_x", "Apple AirPods Pro"]
    assert names(f"shop={catalog.shop_b}") == ["Apple AirPods Pro", "Смартфон Apple iPhone 15 128GB (чёрный)"]
    assert names("price_min=20000&price_max=60000") == ["Смартфон Samsung Galaxy S24 256GB (синий)"]
    assert names(f"category={catalog.phones}&param.Цвет=синий") == ["Смартфон Samsung Galaxy S24 256GB (синий)"]
    assert names("q=%25") == ["Кабель 100% медь_x"]  # wildcards are plain characters
    page = client.get("/api/v1/products?page_size=3&page=2&sort=name").json
    assert (page["total"], page["pages"], page["page"], page["page_size"], len(page["items"])) == (4, 2, 2, 3, 1)
    iphone = client.get(f"/api/v1/products?q=iphone&category={catalog.phones}").json
    card = iphone["items"][0]
    assert card["best_price"] == "69500.00" and card["price_rrc"] == "79990.00" and card["discounted"] is True
    assert card["offer_count"] == 2 and card["in_stock"] is True and card["best_offer_id"] == catalog.iphone_offer_a
    assert {f["name"] for f in iphone["facets"]} == {"Цвет", "Память"}


def test_product_filter_errors_are_clear_4xx(client, catalog):  # noqa: F811
    body = assert_error(client.get("/api/v1/products?price_min=10&price_max=5"), 400, "invalid_filter")
    assert "price_max" in body["errors"]
    assert "page_size" in assert_error(client.get("/api/v1/products?page_size=1000"), 400)["errors"]
    assert "page" in assert_error(client.get("/api/v1/products?page=0"), 400)["errors"]
    assert "sort" in assert_error(client.get("/api/v1/products?sort=random"), 400)["errors"]
    assert_error(client.get("/api/v1/products?category=999999"), 404)
    assert_error(client.get("/api/v1/products?q=" + "x" * 10_000), 400)


def test_product_detail_with_offers_and_parameters(client, catalog):  # noqa: F811
    product = client.get(f"/api/v1/products/{catalog.iphone}").json
    assert product["name"].startswith("Смартфон Apple iPhone 15") and product["available"] is True
    assert product["category"] == {"id": catalog.phones, "name": "Смартфоны", "is_active": True}
    assert [o["id"] for o in product["offers"]] == [catalog.iphone_offer_b, catalog.iphone_offer_a]  # cheapest first
    assert product["offers"][0] == {
        "id": catalog.iphone_offer_b, "shop": {"id": catalog.shop_b, "name": "Электролайн"},
        "model": "apple/iphone-15", "price": "68000.00", "price_rrc": "79990.00", "quantity": 0,
    }
    assert product["parameters"] == {"Память": ["128"], "Цвет": ["чёрный"]}
    nokia = client.get(f"/api/v1/products/{catalog.nokia}").json
    assert nokia["available"] is False and nokia["offers"] == []
    assert_error(client.get("/api/v1/products/999999"), 404)


def test_etag_and_conditional_get(client, session, catalog, auth_headers):  # noqa: F811
    for url in ("/api/v1/products", f"/api/v1/products/{catalog.iphone}"):
        first = client.get(url)
        etag = first.headers["ETag"]
        assert etag and client.get(url).headers["ETag"] == etag
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    staff = StaffFactory()
    session.commit()
    list_etag = client.get("/api/v1/products").headers["ETag"]
    product_etag = client.get(f"/api/v1/products/{catalog.iphone}").headers["ETag"]
    renamed = client.patch(f"/api/v1/products/{catalog.iphone}", json={"name": "iPhone 15 (чёрный)"},
                           headers=auth_headers(staff))
    assert renamed.status_code == 200 and renamed.json["name"] == "iPhone 15 (чёрный)"
    changed = client.get(f"/api/v1/products/{catalog.iphone}", headers={"If-None-Match": product_etag})
    assert changed.status_code == 200 and changed.json["name"] == "iPhone 15 (чёрный)"
    assert client.get("/api/v1/products", headers={"If-None-Match": list_etag}).status_code == 200


def test_catalog_writes_are_staff_only(client, session, catalog, auth_headers):  # noqa: F811
    shopper = UserFactory()
    session.commit()
    headers = auth_headers(shopper)
    assert_error(client.post("/api/v1/categories", json={"name": "X"}, headers=headers), 403)
    assert_error(client.patch(f"/api/v1/products/{catalog.iphone}", json={"name": "X"}, headers=headers), 403)
    assert_error(client.delete(f"/api/v1/products/{catalog.iphone}", headers=headers), 403)
    assert_error(client.post("/api/v1/products", json={"name": "X", "category_id": catalog.phones}), 401)


def test_staff_manage_categories(client, session, catalog, auth_headers):  # noqa: F811
    staff = StaffFactory()
    session.commit()
    headers = auth_headers(staff)
    created = client.post("/api/v1/categories", json={"name": "  Cables  "}, headers=headers)
    assert created.status_code == 201 and created.json["name"] == "Cables"
    new_id = created.json["id"]
    assert_error(client.post("/api/v1/categories", json={"name": "cables"}, headers=headers), 409)
    renamed = client.patch(f"/api/v1/categories/{new_id}", json={"name": "Провода"}, headers=headers)
    assert renamed.json == {"id": new_id, "name": "Провода", "is_active": True}
    assert_error(client.patch(f"/api/v1/categories/{new_id}", json={}, headers=headers), 422)
    assert_error(client.delete(f"/api/v1/categories/{catalog.phones}?hard=true", headers=headers), 409, "conflict")
    assert client.delete(f"/api/v1/categories/{catalog.phones}", headers=headers).status_code == 204  # soft
    assert_error(client.get(f"/api/v1/categories/{catalog.phones}"), 404)
    assert all(i["category_id"] != catalog.phones for i in client.get("/api/v1/products").json["items"])
    restored = client.patch(f"/api/v1/categories/{catalog.phones}", json={"is_active": True}, headers=headers)
    assert restored.json["is_active"] is True
    assert client.delete(f"/api/v1/categories/{new_id}?hard=true", headers=headers).status_code == 204
    session.expire_all()
    assert session.get(Category, new_id) is None and session.get(Category, catalog.phones) is not None


def test_staff_manage_products(client, session, catalog, auth_headers):  # noqa: F811
    staff = StaffFactory()
    session.commit()
    headers = auth_headers(staff)
    created = client.post("/api/v1/products", json={"name": "USB-C cable", "category_id": catalog.headphones},
                          headers=headers)
    assert created.status_code == 201
    product = created.json
    assert product["category"]["id"] == catalog.headphones and product["offers"] == [] and product["available"] is False
    missing = client.post("/api/v1/products", json={"name": "X", "category_id": 999999}, headers=headers)
    assert_error(missing, 404)
    listed = client.patch(f"/api/v1/products/{catalog.cable}", json={"extra_category_ids": [catalog.phones]},
                          headers=headers)
    assert listed.status_code == 200
    in_phones = client.get(f"/api/v1/products?category={catalog.phones}").json["items"]
    assert catalog.cable in {item["id"] for item in in_phones}
    assert client.delete(f"/api/v1/products/{catalog.cable}", headers=headers).status_code == 204  # off sale
    assert catalog.cable not in {i["id"] for i in client.get("/api/v1/products").json["items"]}
    assert client.get(f"/api/v1/products/{catalog.cable}").json["is_active"] is False  # the link still answers
    back = client.patch(f"/api/v1/products/{catalog.cable}", json={"is_active": True}, headers=headers)
    assert back.json["is_active"] is True
    assert_error(client.delete(f"/api/v1/products/{catalog.cable}?hard=true", headers=headers), 409)
    assert client.delete(f"/api/v1/products/{product['id']}?hard=true", headers=headers).status_code == 204
    session.expire_all()
    assert session.get(Product, product["id"]) is None and session.get(Product, catalog.cable) is not None


def test_price_change_shows_at_once(client, session, catalog):  # noqa: F811
    before = client.get(f"/api/v1/products/{catalog.airpods}").json
    assert before["offers"][0]["price"] == "19990.00"
    offer = session.get(Offer, before["offers"][0]["id"])
    offer.price = Decimal(18990)
    session.commit()
    invalidate_catalog(product_ids=[catalog.airpods])  # what an import or a stock change does
    assert client.get(f"/api/v1/products/{catalog.airpods}").json["offers"][0]["price"] == "18990.00"


def test_product_search_is_stemmed(client, catalog):  # noqa: F811
    # Issue 20: another form of the word ("смартфоны", plural) finds the "Смартфон …" goods, on both backends.
    found = client.get("/api/v1/products?q=смартфоны").json
    assert sorted(item["name"] for item in found["items"]) == [
        "Смартфон Apple iPhone 15 128GB (чёрный)", "Смартфон Samsung Galaxy S24 256GB (синий)"]
    assert found["total"] == 2
