"""Price-list previews: `dry_run` writes no goods and records counts and items; apply applies exactly that file
(409 once the shop's goods changed); a plain upload deactivating too much of the shop stops at a preview."""

import io

import pytest
import yaml

from storefront.catalog.models import Offer
from storefront.suppliers.models import ImportPayload
from tests.api.conftest import assert_error
from tests.factories import ShopFactory, SupplierFactory
from tests.orders.order_helpers import login
from tests.suppliers.supplier_helpers import good, price_list

SHOP = "Превью"


@pytest.fixture
def supplier(session):
    user = SupplierFactory(shop=ShopFactory(name=SHOP))
    session.commit()
    return user


@pytest.fixture
def headers(auth_headers, supplier):
    return auth_headers(supplier)


def _upload(client, headers, goods, dry_run=False):
    text = price_list(SHOP, goods).encode()
    response = client.post("/api/v1/partner/price-list" + ("?dry_run=true" if dry_run else ""), headers=headers,
                           content_type="multipart/form-data", data={"file": (io.BytesIO(text), "list.yaml")})
    assert response.status_code == 202, response.json
    return client.get(f"/api/v1/partner/imports/{response.json['import_id']}", headers=headers).json


def _export(client, headers) -> dict[int, dict]:
    exported = yaml.safe_load(client.get("/api/v1/partner/price-list", headers=headers).data)
    return {g["id"]: g for g in exported["goods"]}


FIRST = [good(1, "Телефон один"), good(2, "Телефон два", price=2000), good(3, "Телефон три"),
         good(5, "Телефон пять"), good(6, "Телефон шесть")]
SECOND = [good(1, "Телефон один"), good(2, "Телефон два", price=1800), good(4, "Телефон четыре"),
          good(5, "Телефон пять"), good(6, "Телефон шесть")]  # 4 is new, 2 is cheaper, 3 is gone


def test_dry_run_previews_then_apply_applies_that_file(client, headers, session):
    assert _upload(client, headers, FIRST)["state"] == "done"
    before = _export(client, headers)
    job = _upload(client, headers, SECOND, dry_run=True)
    assert job["state"] == "previewed" and job["dry_run"] and not job["confirmation_required"]
    assert job["counts"] == {"created": 1, "updated": 1, "unchanged": 3, "deactivated": 1}
    assert _export(client, headers) == before  # nothing was written

    page = client.get(f"/api/v1/partner/imports/{job['id']}/items?page_size=2", headers=headers).json
    assert page["total"] == 3 and len(page["items"]) == 2
    second = client.get(f"/api/v1/partner/imports/{job['id']}/items?page=2&page_size=2", headers=headers).json
    items = {item["action"]: item for item in page["items"] + second["items"]}
    assert items["created"]["external_id"] == 4 and items["created"]["new_price"] == "1000.00"
    assert (items["updated"]["old_price"], items["updated"]["new_price"]) == ("2000.00", "1800.00")
    assert "price" in items["updated"]["changes"]
    assert items["deactivated"]["external_id"] == 3

    applied = client.post(f"/api/v1/partner/imports/{job['id']}/apply", headers=headers)
    assert applied.status_code == 202, applied.json
    done = client.get(f"/api/v1/partner/imports/{job['id']}", headers=headers).json
    assert done["state"] == "done" and done["counts"]["deactivated"] == 1
    after = _export(client, headers)
    assert after[2]["price"] in (1800, "1800.00", 1800.0) and 4 in after and 3 not in after
    assert session.query(ImportPayload).count() == 0  # the file went once applied
    assert_error(client.post(f"/api/v1/partner/imports/{job['id']}/apply", headers=headers), 409, "not_previewed")


def test_apply_is_refused_once_the_goods_changed(client, headers, session):
    _upload(client, headers, FIRST)
    job = _upload(client, headers, SECOND, dry_run=True)
    offer = session.query(Offer).filter_by(external_id=5).one()
    offer.price = 999  # staff (or another import) changed a good meanwhile
    session.commit()
    assert_error(client.post(f"/api/v1/partner/imports/{job['id']}/apply", headers=headers), 409, "goods_changed")
    assert 4 not in _export(client, headers)


def test_plain_upload_deactivating_too_much_stops_at_the_preview(app, client, headers):
    _upload(client, headers, FIRST)
    job = _upload(client, headers, FIRST[:3])  # two of five (40 %) would be deactivated
    assert job["state"] == "previewed" and job["confirmation_required"] and not job["dry_run"]
    assert job["counts"]["deactivated"] == 2
    assert len(_export(client, headers)) == 5
    app.config["IMPORT_DEACTIVATE_CONFIRM_SHARE"] = 0.5
    assert _upload(client, headers, FIRST[:3])["state"] == "done"
    assert len(_export(client, headers)) == 3


def test_url_preview_applies_the_text_it_fetched(client, headers, allow_local, pricelist_server):
    _upload(client, headers, FIRST)
    pricelist_server.files["/list.yaml"] = price_list(SHOP, SECOND).encode()
    response = client.post("/api/v1/partner/price-list?dry_run=true", headers=headers,
                           json={"url": pricelist_server.url("/list.yaml")})
    import_id = response.json["import_id"]
    pricelist_server.files["/list.yaml"] = price_list(SHOP, FIRST[:1]).encode()  # the file moves on meanwhile
    assert client.post(f"/api/v1/partner/imports/{import_id}/apply", headers=headers).status_code == 202
    job = client.get(f"/api/v1/partner/imports/{import_id}", headers=headers).json
    assert job["state"] == "done", job["errors"]
    assert sorted(_export(client, headers)) == [1, 2, 4, 5, 6]


def test_the_page_previews_shows_the_difference_and_applies(client, supplier, session):
    login(client, supplier)
    first = price_list(SHOP, FIRST).encode()
    client.post("/supplier/imports", data={"file": (io.BytesIO(first), "a.yaml")}, content_type="multipart/form-data")
    response = client.post("/supplier/imports", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(price_list(SHOP, SECOND).encode()), "b.yaml"), "preview": "y"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert 'data-testid="apply-import"' in html and "Телефон четыре" in html and "Телефон три" in html
    assert session.query(Offer).filter_by(external_id=4).count() == 0
    assert "import-previewed\">previewed<" in client.get("/supplier/imports").get_data(as_text=True)
    apply_url = response.headers["Location"] + "/apply"
    assert client.post(apply_url).status_code == 303
    assert session.query(Offer).filter_by(external_id=4).count() == 1
    assert "Imported." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_unapplied_preview_expires_and_drops_its_file(client, headers, session):
    from datetime import timedelta

    from storefront.periodic import PERIODIC
    from storefront.suppliers.jobs import expire_unapplied_previews
    from storefront.suppliers.models import ImportJob

    assert (expire_unapplied_previews, 3600) in PERIODIC
    _upload(client, headers, FIRST)
    job_id = _upload(client, headers, SECOND, dry_run=True)["id"]
    assert expire_unapplied_previews() == 0  # still fresh
    job = session.get(ImportJob, job_id)
    job.finished_at -= timedelta(hours=49)
    session.commit()
    assert expire_unapplied_previews() == 1
    job = client.get(f"/api/v1/partner/imports/{job_id}", headers=headers).json
    assert job["state"] == "failed" and "expired" in job["errors"][0]["message"]
    assert session.query(ImportPayload).count() == 0
    assert_error(client.post(f"/api/v1/partner/imports/{job_id}/apply", headers=headers), 409, "not_previewed")
