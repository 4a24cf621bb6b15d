"""/api/v1/partner: imports (file or URL), export, the order-acceptance state and the shop's part of orders."""

import io

import pytest

from storefront.extensions import db
from tests.api.conftest import assert_error
from tests.factories import (
    ImportJobFactory,
    OrderItemFactory,
    OrderPartFactory,
    ShopFactory,
    StaffFactory,
    SupplierFactory,
)
from tests.suppliers.supplier_helpers import DEMO


@pytest.fixture
def supplier(session):
    user = SupplierFactory(shop=ShopFactory(name="Технопарк Демо"))
    session.commit()
    return user


@pytest.fixture
def headers(auth_headers, supplier):
    return auth_headers(supplier)


def test_file_import_then_poll_and_export_round_trip(client, headers):
    response = client.post("/api/v1/partner/price-list", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO((DEMO / "technopark.yaml").read_bytes()), "technopark.yaml")})
    assert response.status_code == 202, response.json
    import_id = response.json["import_id"]
    job = client.get(f"/api/v1/partner/imports/{import_id}", headers=headers).json
    assert job["state"] == "done" and job["errors"] == []
    assert job["counts"] == {"created": 20, "updated": 0, "unchanged": 0, "deactivated": 0}
    listing = client.get("/api/v1/partner/imports", headers=headers).json
    assert listing["total"] == 1 and listing["items"][0]["id"] == import_id
    exported = client.get("/api/v1/partner/price-list", headers=headers)
    assert exported.status_code == 200 and exported.mimetype == "application/x-yaml"
    again = client.post("/api/v1/partner/price-list", headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(exported.data), "export.yaml")}).json["import_id"]
    counts = client.get(f"/api/v1/partner/imports/{again}", headers=headers).json["counts"]
    assert counts == {"created": 0, "updated": 0, "unchanged": 20, "deactivated": 0}


def test_invalid_file_is_a_failed_import_with_problems(client, headers):
    response = client.post("/api/v1/partner/price-list", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"shop: [oops"), "bad.yaml")})
    job = client.get(f"/api/v1/partner/imports/{response.json['import_id']}", headers=headers).json
    assert job["state"] == "failed" and "not valid YAML" in job["errors"][0]["message"]


def test_url_import(client, headers, allow_local, pricelist_server):
    response = client.post("/api/v1/partner/price-list", headers=headers,
                           json={"url": pricelist_server.url("/technopark.yaml")})
    assert response.status_code == 202
    job = client.get(f"/api/v1/partner/imports/{response.json['import_id']}", headers=headers).json
    assert job["state"] == "done" and job["counts"]["created"] == 20
    assert_error(client.post("/api/v1/partner/price-list", headers=headers, json={"url": "file:///etc/passwd"}),
                 422, "validation_error")
    assert_error(client.post("/api/v1/partner/price-list", headers=headers, json={"nothing": 1}), 422)


def test_url_import_has_its_own_json_operation(client, headers, allow_local, pricelist_server):
    """One body shape per operation, so generated clients get a function for each (the old JSON body stays)."""
    response = client.post("/api/v1/partner/price-list/url", headers=headers,
                           json={"url": pricelist_server.url("/technopark.yaml")})
    assert response.status_code == 202
    job = client.get(f"/api/v1/partner/imports/{response.json['import_id']}", headers=headers).json
    assert job["state"] == "done" and job["counts"]["created"] == 20
    body = assert_error(client.post("/api/v1/partner/price-list/url", headers=headers,
                                    json={"url": "file:///etc/passwd"}), 422, "validation_error")
    assert "url" in body["errors"]
    assert "url" in assert_error(client.post("/api/v1/partner/price-list/url", headers=headers, json={}), 422)["errors"]


def test_state_get_and_patch(client, headers, supplier, session):
    assert client.get("/api/v1/partner/state", headers=headers).json == {"accepting_orders": True}
    response = client.patch("/api/v1/partner/state", headers=headers, json={"accepting_orders": False})
    assert response.status_code == 200 and response.json == {"accepting_orders": False}
    session.refresh(supplier.shop)
    assert supplier.shop.accepting_orders is False
    assert_error(client.patch("/api/v1/partner/state", headers=headers, json={"accepting_orders": "perhaps"}), 422)


def test_orders_show_only_own_lines_and_can_be_confirmed_and_shipped(client, headers, supplier, session):
    mine = OrderPartFactory(shop=supplier.shop)
    other = OrderPartFactory(order=mine.order, shop=ShopFactory(name="Конкурент"))
    OrderItemFactory(part=mine, product_name="Наш товар")
    OrderItemFactory(part=other, product_name="Чужой товар")
    session.commit()
    listing = client.get("/api/v1/partner/orders", headers=headers).json
    assert listing["total"] == 1
    assert [line["product_name"] for line in listing["items"][0]["items"]] == ["Наш товар"]
    assert listing["items"][0]["next_statuses"] == ["confirmed", "cancelled"]
    order_id = mine.order_id
    assert client.post(f"/api/v1/partner/orders/{order_id}/confirm", headers=headers).json["status"] == "confirmed"
    assert_error(client.post(f"/api/v1/partner/orders/{order_id}/confirm", headers=headers), 409, "invalid_transition")
    shipped = client.post(f"/api/v1/partner/orders/{order_id}/ship", headers=headers).json
    assert shipped["status"] == "sent" and [i["product_name"] for i in shipped["items"]] == ["Наш товар"]
    assert client.get("/api/v1/partner/orders?status=sent", headers=headers).json["total"] == 1


def test_another_suppliers_import_and_order_are_404(client, headers, session):
    other_shop = ShopFactory(name="Other")
    job = ImportJobFactory(shop=other_shop)
    part = OrderPartFactory(shop=other_shop)
    session.commit()
    assert_error(client.get(f"/api/v1/partner/imports/{job.id}", headers=headers), 404)
    assert_error(client.post(f"/api/v1/partner/orders/{part.order_id}/confirm", headers=headers), 404)
    assert_error(client.post(f"/api/v1/partner/orders/{part.order_id}/ship", headers=headers), 404)


def test_supplier_role_only(client, auth_headers, session):
    staff = StaffFactory()
    session.commit()
    assert_error(client.get("/api/v1/partner/imports", headers=auth_headers(staff)), 403)
    assert_error(client.get("/api/v1/partner/imports"), 401)


def test_upload_over_the_cap_is_413(app, client, headers):
    app.config["SUPPLIER_MAX_PRICELIST_BYTES"] = 1000
    response = client.post("/api/v1/partner/price-list", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"#" * 1500), "big.yaml")})
    assert_error(response, 413)
    response = client.post("/api/v1/partner/price-list", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"#" * 200_000), "huge.yaml")})
    assert_error(response, 413)
    assert db.session.query(db.func.count()).select_from(ImportJobFactory._meta.model).scalar() == 0
