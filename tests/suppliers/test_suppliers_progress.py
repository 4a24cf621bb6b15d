"""Progress of the long supplier jobs: the import's percentage moves per chunk through every phase (on SQLite
too, where the job row cannot be written while the import holds the write lock), the export's percentage moves
as it reads and writes the goods, and the pages (and the API) show it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.jobs import progress as live_progress
from storefront.suppliers import export, importer, services
from storefront.suppliers.models import ImportJob, ImportState, progress_key
from storefront.suppliers.pricelist import dump_price_list, dump_price_list_parts
from tests.factories import ImportJobFactory, ShopFactory, SupplierFactory
from tests.orders.order_helpers import login
from tests.suppliers.supplier_helpers import DEMO, good, import_text, price_list

HX = {"HX-Request": "true"}


def goods(count: int, price: int = 100) -> list[dict]:
    return [good(n, f"Phone {n}", price=price + n, parameters={"Цвет": f"c{n % 3}", "Память": n})
            for n in range(1, count + 1)]


def between(values: list[int], low: int, high: int) -> list[int]:
    return [v for v in values if low < v < high]


def test_apply_reports_every_chunk_of_every_phase(session, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    shop = ShopFactory(name="Связной")
    seen: list[int] = []
    importer.apply_price_list(shop, importer.parse_price_list(price_list("Связной", goods(12))), seen.append)
    db.session.commit()
    assert seen == sorted(seen) and 35 <= seen[0] and seen[-1] == 99
    # Six chunks of goods compared, twelve offers and twenty-four parameters inserted, each a step of its slice.
    assert len(between(seen, 35, 50)) >= 5
    assert len(between(seen, 70, 80)) >= 5
    assert len(between(seen, 80, 92)) >= 10

    # A second file changes every price and drops two goods: the offer updates move the 60–70 slice.
    seen.clear()
    importer.apply_price_list(shop, importer.parse_price_list(price_list("Связной", goods(10, price=500))),
                              seen.append)
    db.session.commit()
    assert seen == sorted(seen) and len(between(seen, 60, 70)) >= 5


def test_the_import_page_sees_the_percentage_move_during_the_apply_phase(session, monkeypatch, backend):
    """What the page reads (the row, or the live store while running) goes up through intermediate values while
    the import's own transaction is still open — on SQLite as well as PostgreSQL. No sleeps: the job's own
    progress calls are where we look."""
    monkeypatch.setattr(importer, "CHUNK", 2)
    user = SupplierFactory(shop=ShopFactory(name="Связной"))
    job = services.start_file_import(user, "big.yaml", price_list("Связной", goods(16)).encode())
    job_id = job.id
    report = live_progress.report
    shown: list[tuple[int, int]] = []  # (the job row's progress, what the page would show)

    def watch(key: str, pct: int) -> None:
        report(key, pct)
        if key != progress_key(job_id) or pct <= 35:  # the apply phase
            return
        # A reader on a connection of its own, as the polling page is.
        with db.engine.connect() as connection:
            state, row_progress = connection.execute(
                select(ImportJob.state, ImportJob.progress).where(ImportJob.id == job_id)).one()
        shown.append((row_progress, ImportJob(id=job_id, state=state, progress=row_progress).current_progress))

    monkeypatch.setattr(live_progress, "report", watch)
    db.session.commit()  # the job runs now (no Redis, no pool threads in tests)
    db.session.expire_all()
    assert db.session.get(ImportJob, job_id).state == ImportState.SUCCEEDED
    page = [pct for _, pct in shown]
    assert page == sorted(page) and len(set(between(page, 35, 100))) >= 15
    rows = {row for row, _ in shown}
    if backend == "sqlite":
        assert rows == {35}  # the row cannot move while the import holds SQLite's write lock: the store does
    else:
        assert len(rows) >= 15  # PostgreSQL takes the row's updates alongside
    assert live_progress.read(progress_key(job_id)) is None  # finished: the row (100) speaks again


@pytest.fixture
def supplier(session):
    user = SupplierFactory(shop=ShopFactory(name="Технопарк Демо"))
    session.commit()
    return user


def test_page_and_api_show_the_live_percentage_of_a_running_import(client, supplier, session, auth_headers):
    job = ImportJobFactory(shop=supplier.shop, state=ImportState.RUNNING, progress=35)
    session.commit()
    live_progress.report(progress_key(job.id), 64)
    login(client, supplier)
    page = client.get(f"/supplier/imports/{job.id}").get_data(as_text=True)
    assert '<progress max="100" value="64"' in page and "<html" in page and "hx-get" in page
    partial = client.get(f"/supplier/imports/{job.id}", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="import-status"') and 'value="64"' in partial
    api = client.get(f"/api/v1/partner/imports/{job.id}", headers=auth_headers(supplier))
    assert api.json["progress"] == 64
    # Finished jobs show what their row says, whatever a stale store holds.
    job.state, job.progress = ImportState.SUCCEEDED, 100
    session.commit()
    assert client.get(f"/api/v1/partner/imports/{job.id}", headers=auth_headers(supplier)).json["progress"] == 100
    live_progress.clear(progress_key(job.id))


@pytest.mark.redis
def test_the_live_store_is_redis_when_jobs_run_in_a_worker(app, session, clean_redis, redis_url):
    app.config["REDIS_URL"] = redis_url  # what the web process and `flask worker` share
    live_progress.report("import:7", 42)
    assert live_progress.read("import:7") == 42 and int(clean_redis.get("storefront:progress:import:7")) == 42
    assert 0 < clean_redis.ttl("storefront:progress:import:7") <= live_progress.TTL
    live_progress.clear("import:7")
    assert live_progress.read("import:7") is None


# ----------------------------------------------------------------------------------------------------- export


def test_the_yaml_in_pieces_is_the_yaml_whole():
    items = [good(n, f"Телефон «{n}»: 5G", parameters={"Цвет": "синий", "SIM": 2}) for n in range(1, 8)]
    categories = [{"id": 224, "name": "Смартфоны"}]
    assert "".join(dump_price_list_parts("Связной", categories, items, 3)) == dump_price_list("Связной", categories, items)
    assert "".join(dump_price_list_parts("Связной", categories, [], 3)) == dump_price_list("Связной", categories, [])


def test_export_job_moves_its_percentage_and_the_page_shows_it(app, client, supplier, session, tmp_path, monkeypatch):
    app.config["SUPPLIER_EXPORT_DIR"] = str(tmp_path / "exports")
    app.config["SUPPLIER_EXPORT_SYNC_LIMIT"] = 5
    import_text(supplier.shop, (DEMO / "technopark.yaml").read_text(encoding="utf-8"))
    monkeypatch.setattr(export, "CHUNK", 3)
    login(client, supplier)
    seen: list[int] = []  # what the export page reads, each time the job moves
    write = export.ProgressFile.__call__

    def watch(self, pct: int) -> None:
        write(self, pct)
        seen.append(services.export_status(supplier, token).progress)

    monkeypatch.setattr(export.ProgressFile, "__call__", watch)
    token = "0" * 32
    folder = tmp_path / "exports" / f"shop-{supplier.shop_id}"
    folder.mkdir(parents=True)
    (folder / f"{token}.pending").touch()
    pending = client.get(f"/supplier/export/{token}").get_data(as_text=True)
    assert 'data-state="pending"' in pending and '<progress max="100" value="0"' in pending

    export.run_export(supplier.shop_id, token)
    # Twenty goods, three a step: seven steps reading, seven writing, plus the phases' edges.
    assert seen == sorted(seen) and len(set(between(seen, 0, 100))) >= 12
    assert between(seen, 10, 50) and between(seen, 50, 99)
    ready = client.get(f"/supplier/export/{token}", headers=HX).get_data(as_text=True)
    assert 'data-state="ready"' in ready and "<progress" not in ready and "hx-get" not in ready
    assert (folder / f"{token}.yaml").read_text(encoding="utf-8") == export.price_list_yaml(supplier.shop)
    assert sorted(p.name for p in folder.iterdir()) == [f"{token}.yaml"]


def test_pending_export_page_polls_and_shows_the_marker_percentage(app, client, supplier, tmp_path):
    app.config["SUPPLIER_EXPORT_DIR"] = str(tmp_path / "exports")
    token = "ab" * 16
    folder = tmp_path / "exports" / f"shop-{supplier.shop_id}"
    folder.mkdir(parents=True)
    (folder / f"{token}.pending").write_text("47", encoding="ascii")
    login(client, supplier)
    page = client.get(f"/supplier/export/{token}").get_data(as_text=True)
    assert "<html" in page and '<progress max="100" value="47"' in page and "47%" in page
    partial = client.get(f"/supplier/export/{token}", headers=HX).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="export-job"')
    assert f'hx-get="/supplier/export/{token}"' in partial and 'value="47"' in partial
    (folder / f"{token}.pending").write_text("garbage", encoding="ascii")  # a marker from before: no number
    assert 'value="0"' in client.get(f"/supplier/export/{token}", headers=HX).get_data(as_text=True)
