"""A supplier's journey in Chromium: upload a sample price list, watch the import, see the goods in the catalog."""

import re

import pytest
from playwright.sync_api import expect

from storefront.catalog.models import Shop
from storefront.extensions import db
from storefront.suppliers.importer import run_import
from tests.factories import PASSWORD, ImportJobFactory, ShopFactory, SupplierFactory
from tests.suppliers.supplier_helpers import DEMO

pytestmark = pytest.mark.browser


@pytest.fixture
def supplier_email(app):
    with app.app_context():
        user = SupplierFactory(shop=ShopFactory(name="Технопарк Демо", accepting_orders=True))
        db.session.commit()
        return user.email


def log_in(page, live_server, email):
    page.goto(live_server.url("/login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_upload_watch_progress_and_find_the_goods(app, live_server, page, supplier_email):
    log_in(page, live_server, supplier_email)
    page.goto(live_server.url("/supplier/"))
    expect(page.get_by_test_id("accepting-state")).to_have_text("accepting orders")

    # A queued import: the status partial polls itself while a worker (here: the test) runs the job.
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.name == "Технопарк Демо"))
        job = ImportJobFactory(shop=shop, source="technopark.yaml", payload=(DEMO / "technopark.yaml").read_text("utf-8"))
        db.session.commit()
        job_id = job.id
    page.goto(live_server.url(f"/supplier/imports/{job_id}"))
    expect(page.get_by_test_id("import-state")).to_have_text("waiting in the queue")
    page.evaluate("window.__same_page = true")
    with app.app_context():
        run_import(job_id)
    expect(page.get_by_test_id("count-created")).to_have_text("20", timeout=10_000)
    assert page.evaluate("window.__same_page") is True  # updated by the polling partial, no reload

    # Uploading the same file through the form: nothing changes, all 20 unchanged.
    page.get_by_role("link", name="Import another file").click()
    page.set_input_files("input[name=file]", str(DEMO / "technopark.yaml"))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r".*/supplier/imports/\d+$"))
    expect(page.get_by_test_id("count-unchanged")).to_have_text("20")
    expect(page.get_by_test_id("count-created")).to_have_text("0")

    # The goods are in the catalog.
    page.goto(live_server.url("/?q=Galaxy S24"))
    expect(page.get_by_text("Смартфон Samsung Galaxy S24 128GB (чёрный)").first).to_be_visible()

    # Switching order acceptance off goes through htmx, in place.
    page.goto(live_server.url("/supplier/"))
    page.evaluate("window.__same_page = true")
    page.get_by_role("button", name="Stop accepting orders").click()
    expect(page.get_by_test_id("accepting-state")).to_have_text("not accepting orders")
    assert page.evaluate("window.__same_page") is True
