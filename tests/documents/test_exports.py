"""Exports: CSV (UTF-8 with BOM) and XLSX with the right columns and Cyrillic intact; filters; large ones as jobs."""

import csv
import io

from openpyxl import load_workbook

from storefront.documents import exports
from tests.backoffice.conftest import make_order
from tests.documents.doc_helpers import place_order
from tests.factories import ShopFactory, StaffFactory, UserFactory
from tests.orders.order_helpers import login

ORDER_COLUMNS = ["Order", "Placed", "Status", "Shopper", "E-mail", "Suppliers", "Goods", "Delivery", "Total",
                 "Recipient", "Address", "Phone"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_staff_export_orders_with_the_lists_filters(app, client, session):
    staff = StaffFactory()
    shop = ShopFactory(name="Электролайн")
    kept = make_order(shop=shop, email="анна@example.com")
    make_order(email="other@example.com")
    session.commit()
    login(client, staff)
    response = client.get(f"/staff/exports/orders.csv?shop={shop.id}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response.data)
    assert rows[0] == ORDER_COLUMNS
    assert [row[0] for row in rows[1:]] == [str(kept.id)]
    assert rows[1][4] == "анна@example.com" and rows[1][5] == "Электролайн" and rows[1][8] == "1000.00"
    book = read_xlsx(client.get(f"/staff/exports/orders.xlsx?shop={shop.id}").data)
    assert book[0] == ORDER_COLUMNS and book[1][0] == kept.id and book[1][5] == "Электролайн"
    assert float(book[1][8]) == 1000.0


def test_users_and_products_exports(app, client, session):
    staff = StaffFactory(name="Stella Петрова")
    session.commit()
    place_order(session)
    login(client, staff)
    users = read_xlsx(client.get("/staff/exports/users.xlsx?q=stella").data)
    assert users[0][:4] == ["Id", "E-mail", "Name", "Role"] and [row[2] for row in users[1:]] == ["Stella Петрова"]
    products = read_csv(client.get("/staff/exports/products.csv").data)
    assert products[0][:4] == ["Product id", "Product", "Category", "Shop"]
    assert any(row[1] == "Кофемолка" and row[3] == "Технопарк" for row in products[1:])


def test_a_supplier_exports_only_its_own_parts(app, client, session):
    _order, _user, owner = place_order(session)
    login(client, owner)
    rows = read_csv(client.get("/supplier/orders/export.csv").data)
    assert rows[0][:6] == ["Order", "Placed", "Status", "Product", "Model", "Quantity"]
    names = {row[3] for row in rows[1:]}
    assert names == {"Смартфон Apple iPhone XS Max", "Чехол"}  # never the other shop's Кофемолка


def test_shoppers_cannot_export(app, client, session):
    shopper = UserFactory()
    session.commit()
    login(client, shopper)
    assert client.get("/staff/exports/orders.csv").status_code == 403


def test_large_exports_run_as_a_job_with_progress(app, client, session):
    app.config["EXPORT_SYNC_LIMIT"] = 1
    staff = StaffFactory()
    make_order(email="a@example.com")
    make_order(email="b@example.com")
    session.commit()
    login(client, staff)
    offer = client.get("/staff/exports/orders.xlsx?status=new")
    assert offer.status_code == 200 and "Prepare the file" in offer.get_data(as_text=True)
    started = client.post("/exports", data={"kind": "orders", "format": "xlsx", "filters": '{"status": "new"}'})
    assert started.status_code == 303
    page = client.get(started.headers["Location"])
    assert page.status_code == 200 and 'data-state="ready"' in page.get_data(as_text=True)  # ran after the commit
    token = started.headers["Location"].rsplit("/", 1)[1]
    rows = read_xlsx(client.get(f"/exports/{token}/file").data)
    assert rows[0] == ORDER_COLUMNS and len(rows) == 3
    # Someone else's token is not found.
    other = StaffFactory()
    session.commit()
    login(client, other)
    assert client.get(f"/exports/{token}").status_code == 404


def test_api_exports_both_doors(app, client, session, api_login):
    staff = StaffFactory()
    make_order(email="анна@example.com")
    session.commit()
    headers = api_login(staff)
    response = client.get("/api/v1/admin/exports/orders?format=csv&q=анна", headers=headers)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response.data)
    assert rows[0] == ORDER_COLUMNS and rows[1][4] == "анна@example.com"
    app.config["EXPORT_SYNC_LIMIT"] = 0
    queued = client.get("/api/v1/admin/exports/users?format=xlsx", headers=headers)
    assert queued.status_code == 202
    status = client.get(queued.json["status_url"], headers=headers).json
    assert status["state"] == "ready"
    assert read_xlsx(client.get(status["download_url"], headers=headers).data)[0][0] == "Id"
    bad = client.get("/api/v1/admin/exports/orders?format=pdf", headers=headers)
    assert bad.status_code == 422


def test_progress_is_reported_while_writing(app, session):
    staff = StaffFactory()
    for n in range(3):
        make_order(email=f"p{n}@example.com")
    session.commit()
    seen = []
    exports.CHUNK, chunk = 1, exports.CHUNK
    try:
        exports.write(exports.orders_table(staff), "csv", io.BytesIO(), seen.append)
    finally:
        exports.CHUNK = chunk
    assert seen and seen == sorted(seen) and max(seen) <= 99
