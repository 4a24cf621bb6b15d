"""Shops' legal details: the checksums, who may edit them, both doors (portal / back-office and the API)."""

import pytest

from storefront.documents import legal
from storefront.documents.models import ShopLegalDetails
from storefront.domain_errors import Forbidden
from tests.documents.doc_helpers import LEGAL
from tests.factories import ShopFactory, StaffFactory, SupplierFactory
from tests.orders.order_helpers import login


def test_checksums():
    assert legal.inn_is_valid("7707083893") and not legal.inn_is_valid("7707083894")
    assert legal.inn_is_valid("500100732259") and not legal.inn_is_valid("500100732258")
    assert legal.ogrn_is_valid("1027700132195") and not legal.ogrn_is_valid("1027700132196")
    assert legal.ogrn_is_valid("304500116000157") and not legal.ogrn_is_valid("304500116000158")
    assert legal.account_matches_bik("40702810938000000001", "044525225")
    assert not legal.account_matches_bik("40702810938000000002", "044525225")


def test_validation_names_every_wrong_field():
    with pytest.raises(legal.InvalidLegalDetails) as caught:
        legal.validate({**LEGAL, "inn": "1234567890", "kpp": "12", "bik": "0445", "vat_rate": 13})
    assert set(caught.value.errors) == {"inn", "kpp", "bik", "vat_rate"}
    sole_trader = {**LEGAL, "inn": "500100732259", "kpp": "", "ogrn": "304500116000157", "vat_rate": None}
    assert legal.validate(sole_trader)["vat_rate"] is None
    with pytest.raises(legal.InvalidLegalDetails) as caught:
        legal.validate({**sole_trader, "kpp": "773601001"})
    assert set(caught.value.errors) == {"kpp"}


def test_a_supplier_edits_only_its_own_shop(app, session):
    shop, other = ShopFactory(), ShopFactory()
    supplier = SupplierFactory(shop=shop)
    session.commit()
    saved = legal.update_legal_details(supplier, shop.id, {**LEGAL, "inn": " 7707 083893 "})
    assert saved.inn == "7707083893" and saved.vat_rate == 20
    with pytest.raises(legal.ShopNotFound):
        legal.update_legal_details(supplier, other.id, LEGAL)
    supplier.is_verified = False
    with pytest.raises(Forbidden):
        legal.update_legal_details(supplier, shop.id, LEGAL)


def test_portal_form_saves_and_shows_field_errors(app, client, session):
    shop = ShopFactory()
    supplier = SupplierFactory(shop=shop)
    session.commit()
    login(client, supplier)
    assert client.get("/supplier/legal").status_code == 200
    bad = client.post("/supplier/legal", data={**LEGAL, "account": "40702810938000000002", "vat_rate": "20"})
    assert bad.status_code == 422 and "does not match the БИК" in bad.get_data(as_text=True)
    assert session.get(ShopLegalDetails, shop.id) is None
    good = client.post("/supplier/legal", data={**LEGAL, "vat_rate": "none"})
    assert good.status_code == 303
    session.expire_all()
    stored = session.get(ShopLegalDetails, shop.id)
    assert stored.legal_name == "ООО «Электролайн»" and stored.vat_rate is None


def test_staff_edit_any_shop_in_the_back_office(app, client, session):
    shop = ShopFactory()
    staff = StaffFactory()
    session.commit()
    login(client, staff)
    assert client.get(f"/staff/shops/{shop.id}/legal").status_code == 200
    assert client.post(f"/staff/shops/{shop.id}/legal", data={**LEGAL, "vat_rate": "10"}).status_code == 303
    session.expire_all()
    assert session.get(ShopLegalDetails, shop.id).vat_rate == 10


def test_partner_api_reads_and_replaces_the_details(app, client, session, api_login):
    shop = ShopFactory()
    supplier = SupplierFactory(shop=shop)
    session.commit()
    headers = api_login(supplier)
    empty = client.get("/api/v1/partner/legal-details", headers=headers)
    assert empty.status_code == 200 and empty.json["inn"] == "" and empty.json["vat_rate"] is None
    bad = client.put("/api/v1/partner/legal-details", headers=headers, json={**LEGAL, "inn": "7707083894"})
    assert bad.status_code == 422 and bad.json["code"] == "validation_error" and "inn" in bad.json["errors"]
    good = client.put("/api/v1/partner/legal-details", headers=headers, json=LEGAL)
    assert good.status_code == 200 and good.json["legal_name"] == "ООО «Электролайн»" and good.json["vat_rate"] == 20
    staff_headers = api_login(StaffFactory())
    staff_view = client.get(f"/api/v1/admin/shops/{shop.id}/legal-details", headers=staff_headers)
    assert staff_view.status_code == 200 and staff_view.json["inn"] == "7707083893"
    changed = client.put(f"/api/v1/admin/shops/{shop.id}/legal-details", headers=staff_headers,
                         json={**LEGAL, "vat_rate": None})
    assert changed.status_code == 200 and changed.json["vat_rate"] is None
