"""The import job (in-process without Redis): states, counts, problems, progress, URL sources, cache."""

import gc

from sqlalchemy import func, select

from storefront.catalog.browsing import get_shop, list_shops
from storefront.catalog.models import Offer
from storefront.extensions import db
from storefront.suppliers import importer, services
from storefront.suppliers.importer import _ProgressWriter, run_import
from storefront.suppliers.models import ImportJob, ImportPayload, ImportState
from tests.factories import ImportJobFactory, ShopFactory, SupplierFactory
from tests.suppliers.supplier_helpers import DEMO, good, price_list


def supplier(name="Технопарк Демо"):
    return SupplierFactory(shop=ShopFactory(name=name))


def offer_count(shop_id):
    return db.session.scalar(select(func.count()).select_from(Offer).where(Offer.shop_id == shop_id))


def test_uploaded_file_is_imported_after_the_commit(session):
    user = supplier()
    job = services.start_file_import(user, "technopark.yaml", (DEMO / "technopark.yaml").read_bytes())
    assert job.state == ImportState.QUEUED and offer_count(user.shop_id) == 0
    job_id = job.id
    db.session.commit()  # the job runs now (no Redis)
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job.state == ImportState.SUCCEEDED and job.progress == 100
    assert (job.created_count, job.updated_count, job.unchanged_count, job.deactivated_count) == (20, 0, 0, 0)
    assert job.payload is None and job.errors == [] and job.finished_at >= job.started_at
    assert offer_count(user.shop_id) == 20


def test_rolled_back_request_queues_nothing(session):
    user = supplier()
    services.start_file_import(user, "technopark.yaml", (DEMO / "technopark.yaml").read_bytes())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0
    assert offer_count(user.shop_id) == 0


def test_invalid_file_fails_with_every_problem_and_changes_nothing(session):
    user = supplier("S")
    services.start_file_import(user, "a.yaml", price_list("S", [good(1, "A")]).encode())
    db.session.commit()
    bad = price_list("S", [good(1, "A", price=-1, price_rrc=1), good(2, "B", category=5), good(3, "C", quantity="x")])
    job = services.start_file_import(user, "b.yaml", bad.encode())
    job_id = job.id
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert job.state == ImportState.FAILED
    assert {(p["item"], p["field"]) for p in job.errors} == {("item 1", "price"), ("item 2", "category"), ("item 3", "quantity")}
    assert offer_count(user.shop_id) == 1
    assert db.session.scalar(select(Offer.price).where(Offer.shop_id == user.shop_id)) == 1000


def test_wrong_shop_name_fails_with_a_clear_reason(session):
    user = supplier("Мой магазин")
    job = services.start_file_import(user, "x.yaml", price_list("Чужой магазин", [good(1, "A")]).encode())
    job_id = job.id
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert job.state == ImportState.FAILED and "Чужой магазин" in job.errors[0]["message"]
    assert job.errors[0]["field"] == "shop"


def test_file_that_is_not_utf8_is_a_failed_import_at_once(session):
    user = supplier("S")
    job = services.start_file_import(user, "cp1251.yaml", "shop: Связной".encode("cp1251"))
    assert job.state == ImportState.FAILED and "UTF-8" in job.errors[0]["message"]


def test_unexpected_errors_fail_the_import_and_keep_the_worker_alive(session, monkeypatch):
    from storefront.suppliers import importer

    user = supplier("S")
    monkeypatch.setattr(importer, "_refresh_search_text", lambda ids: 1 / 0)
    monkeypatch.setattr(importer, "_resolve_products", lambda *a: 1 / 0)
    job = services.start_file_import(user, "a.yaml", price_list("S", [good(1, "A")]).encode())
    job_id = job.id
    db.session.commit()  # must not raise
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert job.state == ImportState.FAILED and "error on our side" in job.errors[0]["message"]
    assert offer_count(user.shop_id) == 0


def test_finished_jobs_are_not_run_twice(session):
    job = ImportJobFactory(state=ImportState.SUCCEEDED, payload="shop: x")
    db.session.commit()
    run_import(job.id)
    db.session.refresh(job)
    assert job.state == ImportState.SUCCEEDED and job.payload == "shop: x"


def test_progress_is_written_in_its_own_transaction(session, backend):
    job = ImportJobFactory(state=ImportState.RUNNING, progress=5)
    db.session.commit()
    writer = _ProgressWriter(job.id)
    writer(40)
    writer(30)  # progress never goes back
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).progress == 40
    writer.applying = True
    writer(60)  # while the import writes: PostgreSQL takes it, SQLite (one writer) waits for the end
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).progress == (60 if backend == "postgresql" else 40)


def test_url_import_from_the_local_server(session, allow_local, pricelist_server):
    user = supplier()
    job = services.start_url_import(user, pricelist_server.url("/technopark.yaml"))
    job_id = job.id
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert job.state == ImportState.SUCCEEDED and job.created_count == 20
    assert job.source_kind == "url" and job.source.endswith("/technopark.yaml")


def test_url_import_redirected_to_a_refused_address_fails(session, allow_local, pricelist_server):
    user = supplier()
    target = pricelist_server.url("/technopark.yaml", host="127.0.0.2")
    job = services.start_url_import(user, pricelist_server.url(f"/redirect?{target}"))
    job_id = job.id
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert job.state == ImportState.FAILED and "127.0.0.2 is a loopback" in job.errors[0]["message"]
    assert offer_count(user.shop_id) == 0


def test_url_import_without_the_allowlist_refuses_loopback(session, pricelist_server):
    user = supplier()
    job = services.start_url_import(user, pricelist_server.url("/technopark.yaml"))
    job_id = job.id
    db.session.commit()
    job = db.session.get(ImportJob, job_id)
    db.session.refresh(job)
    assert job.state == ImportState.FAILED and "loopback" in job.errors[0]["message"]
    assert pricelist_server.requests == []


def test_import_and_the_switch_refresh_the_cached_catalog(session):
    user = supplier("S")
    services.start_file_import(user, "a.yaml", price_list("S", [good(1, "A", price=100)]).encode())
    db.session.commit()
    assert get_shop(user.shop_id).accepting_orders is True
    assert [s.id for s in list_shops()] == [user.shop_id]  # now cached
    services.set_accepting_orders(user, False)
    db.session.commit()
    assert get_shop(user.shop_id).accepting_orders is False
    assert list_shops() == ()


def test_the_collector_is_paused_for_the_import_and_resumed_after(session, monkeypatch):
    seen = []
    parse = importer.parse_price_list
    monkeypatch.setattr(importer, "parse_price_list", lambda *args: seen.append(gc.isenabled()) or parse(*args))
    user = supplier()
    services.start_file_import(user, "technopark.yaml", (DEMO / "technopark.yaml").read_bytes())
    db.session.commit()  # runs the job
    assert seen == [False] and gc.isenabled() and offer_count(user.shop_id) == 20


def test_the_upload_waits_in_its_own_row_and_goes_once_the_job_ran(session):
    def stored(job_id):
        return db.session.scalar(select(ImportPayload.text).where(ImportPayload.import_id == job_id))

    user = supplier()
    good_file = (DEMO / "technopark.yaml").read_bytes()
    queued = services.start_file_import(user, "technopark.yaml", good_file)
    bad = services.start_file_import(user, "bad.yaml", b"shop: [")
    db.session.flush()
    ids = queued.id, bad.id
    assert stored(ids[0]) == good_file.decode() and stored(ids[1]) == "shop: ["
    db.session.commit()  # both run: one succeeds, one fails
    db.session.expire_all()
    assert [db.session.get(ImportJob, job_id).state for job_id in ids] == [ImportState.SUCCEEDED, ImportState.FAILED]
    assert stored(ids[0]) is None and stored(ids[1]) is None
