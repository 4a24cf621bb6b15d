"""Supplier portal pages: full pages and HTMX partials, uploads, limits, CSRF, and who may see what."""

import io
import re

import pytest
from sqlalchemy import select

from storefront.catalog.models import Offer
from storefront.suppliers.models import ImportJob, ImportState
from tests.factories import ImportJobFactory, ShopFactory, SupplierFactory, UserFactory
from tests.orders.order_helpers import login
from tests.suppliers.supplier_helpers import DEMO, good, price_list

HX = {"HX-Request": "true"}


@pytest.fixture
def supplier(session):
    user = SupplierFactory(shop=ShopFactory(name="Технопарк Демо"))
    session.commit()
    return user


@pytest.fixture
def signed_in(client, supplier):
    login(client, supplier)
    return client


def upload(client, data: bytes, name="technopark.yaml", **extra):
    return client.post("/supplier/imports", data={"file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data")


def test_anonymous_goes_to_login_and_other_roles_get_403(client, session):
    assert client.get("/supplier/").status_code == 302
    shopper = UserFactory()
    session.commit()
    login(client, shopper)
    assert client.get("/supplier/").status_code == 403
    assert client.get("/supplier/imports").status_code == 403


def test_unverified_supplier_is_sent_to_confirm(client, session):
    user = SupplierFactory(is_verified=False)
    session.commit()
    login(client, user)
    response = client.get("/supplier/")
    assert response.status_code == 302 and "confirm" in response.headers["Location"]


def test_supplier_without_a_shop_gets_a_clear_404(client, session):
    user = SupplierFactory(shop=None)
    session.commit()
    login(client, user)
    response = client.get("/supplier/")
    assert response.status_code == 404 and "not linked to a shop" in response.get_data(as_text=True)


def test_dashboard_full_page_and_partial(signed_in, supplier):
    page = signed_in.get("/supplier/").get_data(as_text=True)
    assert "<html" in page and "Технопарк Демо" in page and 'id="supplier-dashboard"' in page
    assert 'data-testid="accepting-state">accepting orders' in page
    partial = signed_in.get("/supplier/", headers=HX).get_data(as_text=True)
    assert "<html" not in partial and partial.lstrip().startswith('<div id="supplier-dashboard"')


def test_upload_runs_the_import_and_shows_the_result(signed_in, supplier, session):
    response = upload(signed_in, (DEMO / "technopark.yaml").read_bytes())
    assert response.status_code == 303
    match = re.search(r"/supplier/imports/(\d+)$", response.headers["Location"])
    page = signed_in.get(match.group(0)).get_data(as_text=True)
    assert 'data-state="succeeded"' in page and 'data-testid="count-created">20<' in page
    assert "every 1s" not in page  # finished: the partial stops polling
    partial = signed_in.get(match.group(0), headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="import-status"') and "<html" not in partial
    assert len(session.scalars(select(Offer).where(Offer.shop_id == supplier.shop_id)).all()) == 20
    history = signed_in.get("/supplier/imports").get_data(as_text=True)
    assert "technopark.yaml" in history and "succeeded" in history
    assert signed_in.get("/supplier/imports", headers=HX).get_data(as_text=True).lstrip().startswith('<section id="import-history"')
    dashboard = signed_in.get("/supplier/").get_data(as_text=True)
    assert 'data-testid="active-goods">20<' in dashboard


def test_queued_import_page_polls_itself(signed_in, supplier, session):
    job = ImportJobFactory(shop=supplier.shop, state=ImportState.RUNNING, progress=40)
    session.commit()
    partial = signed_in.get(f"/supplier/imports/{job.id}", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in partial and 'value="40"' in partial and "importing" in partial


def test_failed_import_lists_every_problem(signed_in, supplier):
    bad = price_list("Технопарк Демо", [good(1, "A", price=-1, price_rrc=1), good(2, "B", category=9)])
    location = upload(signed_in, bad.encode()).headers["Location"]
    page = signed_in.get(location).get_data(as_text=True)
    assert 'data-state="failed"' in page and page.count('class="import-problem"') == 2
    assert "price cannot be negative" in page and "category 9 is not in the file" in page


def test_bad_yaml_never_500s(signed_in):
    for payload in (b"shop: [", b"!!python/object/apply:os.system ['id']", b"\x00\x01\x02", b"a: &a [*a]",
                    b"shop: ok\ngoods: 5"):
        response = upload(signed_in, payload)
        assert response.status_code in (303, 400), payload
        if response.status_code == 303:
            assert 'data-state="failed"' in signed_in.get(response.headers["Location"]).get_data(as_text=True)


def test_form_errors_are_shown(signed_in):
    response = signed_in.post("/supplier/imports", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file or give a URL" in response.get_data(as_text=True)
    response = signed_in.post("/supplier/imports", data={"url": "ftp://example.com/x.yaml"})
    assert response.status_code == 400 and "Only http" in response.get_data(as_text=True)
    response = upload(signed_in, b"   ")
    assert response.status_code == 400 and "empty" in response.get_data(as_text=True)
    partial = signed_in.post("/supplier/imports", data={"url": "javascript:alert(1)"}, headers=HX)
    assert partial.status_code == 200 and partial.get_data(as_text=True).lstrip().startswith('<form id="import-form"')
    assert signed_in.get("/supplier/imports/new").status_code == 200
    assert signed_in.get("/supplier/imports/new", headers=HX).get_data(as_text=True).lstrip().startswith("<form")


def test_upload_limits(app, signed_in, session):
    app.config["SUPPLIER_MAX_PRICELIST_BYTES"] = 2000
    response = upload(signed_in, b"#" * 3000)  # over the price-list cap, within the request slack
    assert response.status_code == 413 and "limit" in response.get_data(as_text=True)
    response = upload(signed_in, b"#" * 200_000)  # far over: refused while reading the request
    assert response.status_code == 413
    assert session.scalars(select(ImportJob)).all() == []


def test_a_price_list_may_exceed_the_site_wide_request_cap(app, signed_in, supplier, session):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    text = (DEMO / "technopark.yaml").read_bytes()
    assert len(text) > 1000
    assert upload(signed_in, text).status_code == 303
    # …for suppliers on the upload route only.
    assert signed_in.post("/supplier/accepting", data={"accepting": "0", "pad": "x" * 2000}).status_code == 413


def test_a_gigabyte_upload_is_refused_without_reading_it(signed_in, session):
    # The request says 1 GB is coming: refused on the header, before a byte of the body is read.
    response = signed_in.post("/supplier/imports", data=b"x" * 10, environ_overrides={"CONTENT_LENGTH": str(1024**3)},
                              content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert session.scalars(select(ImportJob)).all() == []


def test_url_import_from_the_page(signed_in, allow_local, pricelist_server):
    response = signed_in.post("/supplier/imports", data={"url": pricelist_server.url("/technopark.yaml")})
    assert response.status_code == 303
    assert 'data-testid="count-created">20<' in signed_in.get(response.headers["Location"]).get_data(as_text=True)
    refused = signed_in.post("/supplier/imports", data={"url": pricelist_server.url("/x", host="127.0.0.2")})
    assert "loopback" in signed_in.get(refused.headers["Location"]).get_data(as_text=True)


def test_accepting_toggle_full_and_htmx(signed_in, supplier, session):
    response = signed_in.post("/supplier/accepting", data={"accepting": "0"})
    assert response.status_code == 303
    session.refresh(supplier.shop)
    assert supplier.shop.accepting_orders is False
    partial = signed_in.post("/supplier/accepting", data={"accepting": "1"}, headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="accepting-orders"') and "Orders are accepted" in partial
    session.refresh(supplier.shop)
    assert supplier.shop.accepting_orders is True
    assert signed_in.post("/supplier/accepting", data={"accepting": "maybe"}).status_code == 303
    session.refresh(supplier.shop)
    assert supplier.shop.accepting_orders is True


def test_paused_shop_offers_cannot_be_bought(signed_in, supplier, session):
    upload(signed_in, (DEMO / "technopark.yaml").read_bytes())
    product_id = session.scalar(select(Offer.product_id).where(Offer.shop_id == supplier.shop_id, Offer.external_id == 700100))
    assert "Add to cart" in signed_in.get(f"/product/{product_id}").get_data(as_text=True)
    signed_in.post("/supplier/accepting", data={"accepting": "0"})
    assert "Add to cart" not in signed_in.get(f"/product/{product_id}").get_data(as_text=True)


def test_csrf_is_required(csrf_app, signed_in):
    assert signed_in.post("/supplier/accepting", data={"accepting": "0"}).status_code == 400
    assert upload(signed_in, b"shop: x").status_code == 400
    assert signed_in.post("/supplier/export").status_code in (302, 303, 400)
    page = signed_in.get("/supplier/imports/new").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_another_suppliers_import_is_404(signed_in, session):
    other = ImportJobFactory(shop=ShopFactory(name="Other"))
    session.commit()
    assert signed_in.get(f"/supplier/imports/{other.id}").status_code == 404
    assert signed_in.get(f"/supplier/imports/{other.id}", headers=HX).status_code == 404
    assert "Other" not in signed_in.get("/supplier/imports").get_data(as_text=True)


def test_export_download_round_trips(signed_in, supplier, session):
    upload(signed_in, (DEMO / "technopark.yaml").read_bytes())
    page = signed_in.get("/supplier/export").get_data(as_text=True)
    assert "20 goods" in page and "/supplier/export/price-list.yaml" in page
    assert signed_in.get("/supplier/export", headers=HX).get_data(as_text=True).lstrip().startswith('<section id="export"')
    response = signed_in.get("/supplier/export/price-list.yaml")
    assert response.mimetype == "application/x-yaml" and "attachment" in response.headers["Content-Disposition"]
    again = upload(signed_in, response.data, name="export.yaml")
    result = signed_in.get(again.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="count-unchanged">20<' in result and 'data-testid="count-updated">0<' in result


def test_large_shop_export_runs_as_a_job(app, signed_in, supplier, session, tmp_path):
    app.config["SUPPLIER_EXPORT_SYNC_LIMIT"] = 5
    app.config["SUPPLIER_EXPORT_DIR"] = str(tmp_path / "exports")
    upload(signed_in, (DEMO / "technopark.yaml").read_bytes())
    assert "Prepare the file" in signed_in.get("/supplier/export").get_data(as_text=True)
    assert signed_in.get("/supplier/export/price-list.yaml").status_code == 303
    response = signed_in.post("/supplier/export")
    assert response.status_code == 303
    location = response.headers["Location"]
    page = signed_in.get(location).get_data(as_text=True)  # in-process: already written
    assert 'data-state="ready"' in page
    token = location.rsplit("/", 1)[1]
    download = signed_in.get(f"/supplier/export/{token}/file")
    assert download.status_code == 200 and download.data.startswith("shop: Технопарк Демо".encode())
    # Another supplier cannot see or fetch it, and made-up tokens are 404.
    other = SupplierFactory(shop=ShopFactory(name="Other"))
    session.commit()
    login(signed_in, other)
    assert signed_in.get(location).status_code == 404
    assert signed_in.get(f"/supplier/export/{token}/file").status_code == 404
    assert signed_in.get("/supplier/export/../../etc/passwd").status_code == 404
