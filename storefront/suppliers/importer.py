"""Apply a validated price list to a shop, all or nothing, in set-based statements (a few per CHUNK goods).

`apply_price_list(shop, price_list)` runs inside the caller's transaction and only flushes: an error anywhere
rolls everything back. The shop row is locked first, so two imports for one shop run one after the other.

Matching: offers by (shop, external id); the shop's category ids onto shared categories by name (created when
new: two shops' "224" are unrelated); products are shared across shops by name (a product with the same name
and an offer of the same model first, else the oldest of that name), so one product lists every supplier's
offer. An existing product's category, description and `is_active` belong to staff: the importer never
changes them (a product staff deactivated stays off). Goods missing from the list are deactivated, never
deleted. Nothing that is already as the file says is written: importing the same file twice issues no
INSERT, UPDATE or DELETE the second time.

Memory: the file is compared with the shop's offers CHUNK goods at a time, and what the comparison keeps refers
to the parsed goods instead of copying rows, so a worker holds the goods plus one chunk, never the whole catalogue
twice. All offers are compared and all products looked up before the first offer is written, so those lookups
see the shop as it was before the import.

`run_import(import_id)` is the background job: fetch (URL) or read (upload), parse, apply, record the counts
and every problem on the ImportJob. Progress moves per chunk of every phase; it goes to the live progress store
(storefront/jobs/progress.py), which the page reads on both backends, and to the job row in separate short
transactions where the database allows (on SQLite, whose single writer is the import, only between phases);
the counts and the data commit together.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from operator import attrgetter
from typing import TypeVar

from flask import current_app
from flask_babel import gettext
from sqlalchemy import (
    ColumnElement,
    Row,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import QueryableAttribute

from storefront.catalog.cache import invalidate_catalog
from storefront.catalog.models import (
    Category,
    Offer,
    OfferParameter,
    Parameter,
    Product,
    Shop,
    ShopCategory,
)
from storefront.catalog.search_text import search_stems_for, search_text_for
from storefront.catalog.summary import refresh_product_summaries
from storefront.database import insert_rows, one_of, utcnow
from storefront.domain_errors import Conflict, DomainError
from storefront.extensions import db
from storefront.jobs import progress as live_progress
from storefront.jobs.heap import collector_paused
from storefront.jobs.progress import Stage
from storefront.suppliers.fetch import fetch_price_list
from storefront.suppliers.models import ImportJob, ImportPayload, ImportState, progress_key
from storefront.suppliers.photos import fetch_photos, link_photos
from storefront.suppliers.preview import goods_fingerprint, record_preview_items, too_many_deactivated
from storefront.suppliers.pricelist import (
    Good,
    Limits,
    PriceList,
    PriceListInvalid,
    Problem,
    decode,
    parse_price_list,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
CHUNK = 5000  # IN (...) lists and executemany batches: well under SQLite's and PostgreSQL's bind limits
Progress = Callable[[int], None]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    touched_products: set[int] = field(default_factory=set)  # whose catalog entries must be invalidated


def chunks(items: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    size = size or CHUNK  # read when called, so a test can make chunks small
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _one_of(column: QueryableAttribute, values: list) -> ColumnElement[bool]:
    return one_of(column, values, db.session.get_bind().dialect.name)


def _insert(model: type, rows: Iterable[dict], tick: Callable[[int], None] | None = None) -> None:
    """Insert in CHUNK-row batches; `tick(rows so far)` after each, so a long insert reports as it goes."""
    done = 0
    for batch in chunks(rows):
        insert_rows(db.session.connection(), model.__table__, batch)
        done += len(batch)
        if tick:
            tick(done)


def limits() -> Limits:
    config = current_app.config
    return Limits(max_bytes=config["SUPPLIER_MAX_PRICELIST_BYTES"], max_goods=config["SUPPLIER_MAX_GOODS"])


# --------------------------------------------------------------------------------------------------- applying


def _insert_ignoring_duplicates(model, rows: list[dict], key: str):
    """INSERT … ON CONFLICT (key) DO NOTHING: another shop's import may create the same name meanwhile."""
    dialect = db.session.get_bind().dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    for batch in chunks(rows):
        db.session.execute(builder(model).on_conflict_do_nothing(index_elements=[key]), batch)


def _ids_by_name(model, names: set[str], create: bool) -> dict[str, int]:
    """{name: id} for shared rows (categories, parameter names), creating the missing ones when asked."""
    found: dict[str, int] = {}
    for batch in chunks(sorted(names)):
        rows = db.session.execute(select(model.name, model.id).where(_one_of(model.name, batch)))
        found.update((name, id_) for name, id_ in rows)
    missing = names - found.keys()
    if missing and create:
        _insert_ignoring_duplicates(model, [{"name": name} for name in sorted(missing)], "name")
        found.update(_ids_by_name(model, missing, create=False))
    return found


def _lock_shop(shop: Shop) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # take SQLite's one write lock now
        return
    db.session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update())


def _map_categories(shop: Shop, price_list: PriceList) -> dict[int, int]:
    """{the shop's category id: shared category id}; new or renamed shop categories are (re)linked by name."""
    links = {row.external_id: row for row in db.session.execute(
        select(ShopCategory.id, ShopCategory.external_id, ShopCategory.name, ShopCategory.category_id)
        .where(ShopCategory.shop_id == shop.id)
    )}
    wanted = {row.external_id: row.name for row in price_list.categories}
    changed = {ext: name for ext, name in wanted.items() if ext not in links or links[ext].name != name}
    shared = _ids_by_name(Category, set(changed.values()), create=True)
    new_links = [{"shop_id": shop.id, "external_id": ext, "name": name, "category_id": shared[name]}
                 for ext, name in changed.items() if ext not in links]
    renamed = [{"id": links[ext].id, "name": name, "category_id": shared[name]}
               for ext, name in changed.items() if ext in links]
    for batch in chunks(new_links):
        db.session.execute(insert(ShopCategory), batch)
    if renamed:
        db.session.execute(update(ShopCategory), renamed)
    mapping = {ext: row.category_id for ext, row in links.items()}
    mapping.update({ext: shared[name] for ext, name in changed.items()})
    return mapping


OFFER_COLUMNS = ("model", "price", "price_rrc", "quantity")  # compared with the good's; in this order
_offer_values = attrgetter(*OFFER_COLUMNS)


@dataclass(slots=True)
class _Change:
    """An existing offer the file may change: its good by reference and only the old values still needed."""

    offer_id: int
    product_id: int  # the offer's product now
    good: Good
    renamed: bool  # the good's name is not its product's: it moves to the product of its new name
    columns: tuple[str, ...]  # of OFFER_COLUMNS those that differ, plus "is_active" to turn the offer back on
    parameters: bool  # its parameters differ from the good's


@dataclass
class _Plan:
    """The file compared with the shop's offers, kept small: goods by reference, no database rows."""

    new: list[Good] = field(default_factory=list)
    changed: list[_Change] = field(default_factory=list)
    needs_product: list[Good] = field(default_factory=list)  # new and renamed goods, in file order
    vanished: list[tuple[int, int]] = field(default_factory=list)  # (offer id, product id): active, not in the file
    unchanged: int = 0


def _rows(statement) -> list[Row]:
    """A chunk's rows, plain, on the session's connection and transaction: reads of columns need none of the
    ORM's loading."""
    return db.session.connection().execute(statement).all()


def _existing_offers(shop: Shop, external_ids: list[int]) -> dict[int, Row]:
    return {row.external_id: row for row in _rows(
        select(Offer.id, Offer.external_id, Offer.product_id, Offer.model, Offer.price, Offer.price_rrc,
               Offer.quantity, Offer.is_active, Product.name.label("product_name"))
        .join(Product, Product.id == Offer.product_id)
        .where(Offer.shop_id == shop.id, _one_of(Offer.external_id, external_ids))
    )}


def _existing_parameters(offer_ids: list[int]) -> dict[int, tuple]:
    """{offer id: its (name, value, type) sorted}, comparable with `Good.parameters` as a whole."""
    parameters: dict[int, list] = defaultdict(list)
    for offer_id, name, value, value_type in _rows(
        select(OfferParameter.offer_id, Parameter.name, OfferParameter.value, OfferParameter.value_type)
        .join(Parameter, Parameter.id == OfferParameter.parameter_id)
        .where(_one_of(OfferParameter.offer_id, offer_ids))
    ):
        parameters[offer_id].append((name, value, value_type))
    return {offer_id: tuple(sorted(rows)) for offer_id, rows in parameters.items()}


def _compare_chunk(shop: Shop, goods: list[Good], plan: _Plan) -> None:
    existing = _existing_offers(shop, [good.external_id for good in goods])
    parameters = _existing_parameters([row.id for row in existing.values()]) if existing else {}
    for good in goods:
        old = existing.get(good.external_id)
        if old is None:
            plan.new.append(good)
            plan.needs_product.append(good)
            continue
        renamed = old.product_name != good.name
        if renamed:
            plan.needs_product.append(good)
        columns: tuple[str, ...] = ()
        if _offer_values(good) != _offer_values(old):  # for most goods none differ: one C-level comparison
            columns = tuple(name for name in OFFER_COLUMNS if getattr(good, name) != getattr(old, name))
        if not old.is_active:
            columns += ("is_active",)
        params_changed = good.parameters != parameters.get(old.id, ())
        if renamed or columns or params_changed:
            plan.changed.append(_Change(old.id, old.product_id, good, renamed, columns, params_changed))
        else:
            plan.unchanged += 1


def _vanished(shop: Shop, goods: list[Good]) -> list[tuple[int, int]]:
    """(offer id, product id) of the shop's active offers the file no longer lists, read a batch at a time."""
    in_file = {good.external_id for good in goods}
    rows = db.session.connection().execute(
        select(Offer.id, Offer.external_id, Offer.product_id).where(Offer.shop_id == shop.id, Offer.is_active)
        .execution_options(yield_per=CHUNK)
    )
    return [(offer_id, product_id) for offer_id, external_id, product_id in rows if external_id not in in_file]


def _compare(shop: Shop, goods: list[Good], stage: Stage) -> _Plan:
    """Compare the file with the shop's offers CHUNK goods at a time: only one chunk's rows are ever loaded."""
    plan = _Plan()
    done = 0
    for batch in chunks(goods):
        _compare_chunk(shop, batch, plan)
        done += len(batch)
        stage.step(done, len(goods))
    plan.vanished = _vanished(shop, goods)
    return plan


def _products_named(names: set[str]) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """({(name, model): the first product of that name with an offer of that model}, {name: its oldest product})."""
    by_model: dict[tuple[str, str], int] = {}
    by_name: dict[str, int] = {}
    for batch in chunks(sorted(names)):
        for product_id, name, model in db.session.execute(
            select(Product.id, Product.name, Offer.model)
            .outerjoin(Offer, Offer.product_id == Product.id)
            .where(_one_of(Product.name, batch))
            .order_by(Product.id)
        ):
            by_name.setdefault(name, product_id)
            if model is not None:
                by_model.setdefault((name, model), product_id)
    return by_model, by_name


def _resolve_products(goods: list[Good], mapping: dict[int, int],
                      stage: Stage) -> tuple[dict[tuple[str, str], int], set[int]]:
    """{(name, model): product id} for these goods, by name (+ model), creating products for new names."""
    by_model, by_name = _products_named({good.name for good in goods})
    stage.step(1, 3)
    resolved: dict[tuple[str, str], int | None] = {}
    # New products: one per new name, in the category of its first good, searchable by its goods' models.
    first: dict[str, Good] = {}
    more_models: dict[str, list[str]] = {}  # of a new name's later goods: most names have a single good
    for good in goods:
        key = (good.name, good.model)
        if key not in resolved:
            resolved[key] = by_model.get(key, by_name.get(good.name))
        if resolved[key] is None and first.setdefault(good.name, good) is not good:
            more_models.setdefault(good.name, []).append(good.model)
    created: set[int] = set()
    rows = (_with_stems({"name": name, "category_id": mapping[good.category_id], "description": "",
                         "search_text": search_text_for(name, [good.model, *more_models.get(name, ())], "")})
            for name, good in first.items())
    # Inserted in bulk (no RETURNING: with ordered rows SQLite falls back to one INSERT per row, and a COPY has
    # none), then the ids by name. Only names no product had are inserted, so the names find exactly the new rows.
    _insert(Product, rows, lambda done: stage.step(1 + done / len(first), 3))
    for batch in chunks(list(first)):
        for product_id, name in db.session.execute(
            select(Product.id, Product.name).where(_one_of(Product.name, batch)).order_by(Product.id)
        ):
            if name not in by_name:
                by_name[name] = product_id
                created.add(product_id)
    for key, product_id in resolved.items():
        if product_id is None:
            resolved[key] = by_name[key[0]]
    return resolved, created


def _with_stems(row: dict) -> dict:
    row["search_stems"] = search_stems_for(row["search_text"])  # bulk inserts skip the ORM's listener
    return row


def _refresh_search_text(product_ids: set[int]) -> None:
    """Recompute `search_text` (name + every offer's model) for products whose offers changed, where it differs."""
    updates = []
    for batch in chunks(sorted(product_ids)):
        models: dict[int, list[str]] = defaultdict(list)
        for product_id, model in db.session.execute(
            select(Offer.product_id, Offer.model).where(_one_of(Offer.product_id, batch)).order_by(Offer.id)
        ):
            models[product_id].append(model)
        for product_id, name, description, current in db.session.execute(
            select(Product.id, Product.name, Product.description, Product.search_text).where(_one_of(Product.id, batch))
        ):
            text = search_text_for(name, models[product_id], description or "")
            if text != current:
                updates.append({"id": product_id, "search_text": text, "search_stems": search_stems_for(text)})
    for batch in chunks(updates):
        db.session.execute(update(Product), batch)


def _offer_changes(change: _Change, products: dict[tuple[str, str], int]) -> dict:
    """The columns to set on a changed offer: {} when only its parameters differ."""
    good = change.good
    changes: dict = {}
    if change.renamed and (product_id := products[(good.name, good.model)]) != change.product_id:
        changes["product_id"] = product_id
    for name in change.columns:
        changes[name] = True if name == "is_active" else getattr(good, name)
    return changes


def _tally(plan: _Plan, products: dict[tuple[str, str], int], created_products: set[int],
           result: ImportResult) -> set[int]:
    """Count the plan into `result`; the products whose search text may change."""
    refresh: set[int] = set()
    for good in plan.new:
        product_id = products[(good.name, good.model)]
        result.touched_products.add(product_id)
        if product_id not in created_products:
            refresh.add(product_id)  # an existing product gains a model to be found by
    for change in plan.changed:
        changes = _offer_changes(change, products)
        product_id = changes.get("product_id", change.product_id)
        if "product_id" in changes:
            refresh.update((product_id, change.product_id))
            result.touched_products.add(change.product_id)
        if "model" in changes:
            refresh.add(product_id)
        if changes or change.parameters:
            result.updated += 1
            result.touched_products.add(product_id)
        else:
            result.unchanged += 1
    result.touched_products.update(product_id for _, product_id in plan.vanished)
    return refresh


def _offer_updates(changes: list[_Change], products: dict[tuple[str, str], int], now: datetime) -> Iterator[dict]:
    for change in changes:
        if columns := _offer_changes(change, products):
            yield {"id": change.offer_id, "updated_at": now, **columns}


def _new_offers(shop: Shop, goods: list[Good], products: dict[tuple[str, str], int]) -> Iterator[dict]:
    for good in goods:
        yield {"product_id": products[(good.name, good.model)], "shop_id": shop.id, "external_id": good.external_id,
               "model": good.model, "price": good.price, "price_rrc": good.price_rrc, "quantity": good.quantity,
               "is_active": True}


def _parameter_owners(shop: Shop, replaced: list[_Change], new: list[Good]) -> Iterator[tuple[int, Good]]:
    """(offer id, good) for every offer whose parameters are to be inserted; new offers' ids by external id."""
    for change in replaced:
        yield change.offer_id, change.good
    for batch in chunks(new):
        by_external = {good.external_id: good for good in batch}
        ids = db.session.execute(
            select(Offer.id, Offer.external_id)
            .where(Offer.shop_id == shop.id, _one_of(Offer.external_id, list(by_external)))
        ).all()  # read whole before the caller's next INSERT
        for offer_id, external_id in ids:
            yield offer_id, by_external[external_id]


def _write_parameters(shop: Shop, replaced: list[_Change], new: list[Good], stage: Stage) -> None:
    """Replace the parameters of offers whose parameters changed; add those of `new` goods (each has some)."""
    for batch in chunks([change.offer_id for change in replaced]):
        db.session.execute(delete(OfferParameter).where(_one_of(OfferParameter.offer_id, batch)))
    names = {name for good in chain((change.good for change in replaced), new) for name, _, _ in good.parameters}
    ids = _ids_by_name(Parameter, names, create=True)
    rows = ({"offer_id": offer_id, "parameter_id": ids[name], "value": value, "value_type": kind}
            for offer_id, good in _parameter_owners(shop, replaced, new) for name, value, kind in good.parameters)
    total = sum(len(change.good.parameters) for change in replaced) + sum(len(good.parameters) for good in new)
    _insert(OfferParameter, rows, lambda done: stage.step(done, total))


class GoodsChanged(Conflict):
    """A preview is applied only to the goods it was compared with."""

    code = "goods_changed"


def _check_shop(shop: Shop, price_list: PriceList) -> None:
    if price_list.shop != shop.name:
        raise PriceListInvalid([Problem(
            f"This price list is for the shop “{price_list.shop}”, but your shop is “{shop.name}”; "
            "nothing was imported.", field="shop")])


def compare_price_list(shop: Shop, price_list: PriceList, progress: Progress | None = None) -> _Plan:
    """What applying the list would do, reading only (the preview): the same comparison as the apply."""
    _check_shop(shop, price_list)
    return _compare(shop, price_list.goods, Stage(progress or (lambda _pct: None), 35, 80))


def deactivation_share_exceeded(shop: Shop, price_list: PriceList) -> bool:
    """Would this list deactivate more than the configured share of the shop's active goods? (A cheap read:
    the shop's active external ids, no comparison.)"""
    active = db.session.scalar(
        select(func.count()).select_from(Offer).where(Offer.shop_id == shop.id, Offer.is_active)) or 0
    return too_many_deactivated(active, len(_vanished(shop, price_list.goods)))


def apply_price_list(shop: Shop, price_list: PriceList, progress: Progress | None = None,
                     fingerprint: str | None = None) -> ImportResult:
    """Make the shop's offers what the list says (see the module docstring); flush only, never commit.

    With `fingerprint` (applying a preview) the shop's goods must still be as they were when previewed:
    GoodsChanged otherwise, checked under the shop's lock."""
    progress = progress or (lambda _pct: None)
    _check_shop(shop, price_list)
    _lock_shop(shop)
    if fingerprint is not None and goods_fingerprint(shop.id) != fingerprint:
        raise GoodsChanged(gettext("The shop's goods changed since the preview; nothing was imported. "
                                   "Preview the file again."))
    mapping = _map_categories(shop, price_list)
    # The percentage moves per chunk of every phase (CHUNK goods or rows), so even a 40,000-goods file reports
    # every second or two; the slices follow the phases' usual share of the time.
    plan = _compare(shop, price_list.goods, Stage(progress, 35, 50))
    products, created_products = _resolve_products(plan.needs_product, mapping, Stage(progress, 50, 60))
    progress(60)

    result = ImportResult(created=len(plan.new), unchanged=plan.unchanged, deactivated=len(plan.vanished))
    refresh = _tally(plan, products, created_products, result)
    # Writes, each a set-based statement (executemany batches): nothing at all when nothing changed.
    now = utcnow()
    stage, done, total = Stage(progress, 60, 70), 0, len(plan.changed) + len(plan.vanished)
    for batch in chunks(_offer_updates(plan.changed, products, now)):
        db.session.execute(update(Offer), batch)
        done += len(batch)
        stage.step(done, total)
    for batch in chunks([offer_id for offer_id, _ in plan.vanished]):
        db.session.execute(update(Offer).where(_one_of(Offer.id, batch)).values(is_active=False, updated_at=now)
                           .execution_options(synchronize_session=False))
        done += len(batch)
        stage.step(done, total)
    progress(70)
    stage = Stage(progress, 70, 80)
    _insert(Offer, _new_offers(shop, plan.new, products), lambda done: stage.step(done, len(plan.new)))
    progress(80)
    replaced = [change for change in plan.changed if change.parameters]
    with_parameters = [good for good in plan.new if good.parameters]
    if replaced or with_parameters:
        _write_parameters(shop, replaced, with_parameters, Stage(progress, 80, 92))
    progress(92)
    if refresh:
        _refresh_search_text(refresh)
    progress(94)
    # The bulk writes above bypassed the ORM's hook. A chunk of summaries at a time: seconds on a large file.
    refresh_product_summaries(result.touched_products, tick=Stage(progress, 94, 99).step)
    db.session.flush()
    progress(99)
    return result


# -------------------------------------------------------------------------------------------------------- job


class _ProgressWriter:
    """Reports a running import's percentage: always to the live progress store (jobs/progress.py), which the
    page reads on either backend, and to ImportJob.progress in its own short transaction whenever the database
    allows one — on SQLite not during the apply phase, whose transaction holds the only write lock (committing
    the apply in chunks instead would give up all-or-nothing)."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.key = progress_key(import_id)
        self.last = -1
        # SQLite has one writer at a time: while the import's transaction writes, a second one would wait.
        self.concurrent = db.engine.dialect.name != "sqlite"
        self.applying = False

    def __call__(self, pct: int) -> None:
        if pct <= self.last:
            return
        self.last = pct
        live_progress.report(self.key, pct)
        if self.applying and not self.concurrent:
            return
        with db.engine.begin() as connection:
            connection.execute(
                update(ImportJob.__table__)
                .where(ImportJob.__table__.c.id == self.import_id, ImportJob.__table__.c.state == ImportState.RUNNING.value)
                .values(progress=pct)
            )


def _problems(exc: Exception) -> list[dict]:
    if isinstance(exc, PriceListInvalid):
        problems = [p.as_dict() for p in exc.problems]
        if exc.total > len(problems):
            problems.append(Problem(f"… and {exc.total - len(problems):,} more problems.").as_dict())
        return problems
    if isinstance(exc, DomainError):
        return [Problem(exc.message, field=exc.field).as_dict()]
    return [Problem("The import stopped because of an error on our side; nothing was changed. "
                    "Please try again later.").as_dict()]


def _fresh_job(import_id: int) -> ImportJob:
    """The job row as it is now: the progress writer updates it on a connection of its own."""
    return db.session.get(ImportJob, import_id, populate_existing=True)


def _stored_payload(import_id: int) -> str | None:
    """The uploaded YAML, read on a connection of its own. On PostgreSQL that connection is then closed, not
    pooled: libpq keeps a receive buffer as large as the largest value it has received (tens of MB here) for as
    long as the connection lives."""
    with db.engine.connect() as connection:
        payload = connection.scalar(select(ImportPayload.text).where(ImportPayload.import_id == import_id))
        if connection.dialect.name == "postgresql":
            connection.invalidate()
    return payload


def _drop_payload(import_id: int) -> None:
    """Delete the upload once its job has run (by id: loading it to delete it would read it all again)."""
    db.session.execute(delete(ImportPayload).where(ImportPayload.import_id == import_id))


def _finish_failed(import_id: int, exc: Exception) -> None:
    _drop_payload(import_id)
    job = _fresh_job(import_id)
    job.state = ImportState.FAILED
    job.errors = _problems(exc)
    job.finished_at = utcnow()
    db.session.commit()


def run_import(import_id: int) -> None:
    """The job: run one queued import to the end. A failure is recorded on the job, never raised to the worker."""
    with collector_paused():
        _run_import(import_id)


def _finish_preview(import_id: int, shop: Shop, price_list: PriceList, fetched: bytes | str | None,
                    progress: Progress, confirmation_required: bool) -> None:
    """Record what the list would do and stop there (state `previewed`); the file stays for the apply."""
    plan = compare_price_list(shop, price_list, progress)
    fingerprint = goods_fingerprint(shop.id)
    record_preview_items(import_id, plan)
    progress(95)
    if fetched is not None:  # a URL import: the apply must use exactly the text previewed, not fetch again
        text = fetched if isinstance(fetched, str) else decode(fetched)  # parsed already: it decodes
        db.session.add(ImportPayload(import_id=import_id, text=text))
    job = _fresh_job(import_id)
    job.state, job.progress, job.finished_at = ImportState.PREVIEWED, 100, utcnow()
    job.created_count, job.updated_count = len(plan.new), len(plan.changed)
    job.unchanged_count, job.deactivated_count = plan.unchanged, len(plan.vanished)
    job.confirmation_required, job.goods_fingerprint = confirmation_required, fingerprint
    db.session.commit()


def _run_import(import_id: int) -> None:
    job = db.session.get(ImportJob, import_id)
    if job is None or job.state in (ImportState.SUCCEEDED, ImportState.FAILED, ImportState.PREVIEWED):
        return  # a second delivery of a finished job
    job.state, job.started_at, job.progress, job.errors = ImportState.RUNNING, utcnow(), 5, []
    source_kind, source, shop_id = job.source_kind, job.source, job.shop_id
    dry_run, confirmed, fingerprint = job.dry_run, job.confirmed, job.goods_fingerprint
    db.session.commit()
    payload = _stored_payload(import_id)
    write_progress = _ProgressWriter(import_id)
    try:
        config = current_app.config
        fetched = None
        if source_kind == "url" and payload is None:  # an applied preview has the text it fetched
            payload = fetched = fetch_price_list(source, max_bytes=config["SUPPLIER_MAX_PRICELIST_BYTES"],
                                                 timeout=config["SUPPLIER_FETCH_TIMEOUT"],
                                                 allowlist=config["SUPPLIER_URL_ALLOWLIST"])
            write_progress(15)
        price_list = parse_price_list(payload or "", limits())
        payload = None  # the text is no longer needed: free it before the apply phase
        write_progress(35)
        write_progress.applying = True
        shop = db.session.get(Shop, shop_id)
        if dry_run or (not confirmed and deactivation_share_exceeded(shop, price_list)):
            # Asked for, or a plain upload that would switch off too much of the shop: stop at the preview.
            _finish_preview(import_id, shop, price_list, fetched, write_progress, confirmation_required=not dry_run)
            live_progress.clear(progress_key(import_id))
            return
        fetched = None
        # Photos are downloaded before the write transaction and kept (content-addressed) even if it fails;
        # a preview writes no goods, so it fetches none.
        photos, warnings = fetch_photos(price_list.goods)
        db.session.commit()
        result = apply_price_list(db.session.get(Shop, shop_id), price_list, write_progress,
                                  fingerprint if confirmed else None)
        result.touched_products |= link_photos(shop_id, price_list.goods, photos)
        _drop_payload(import_id)
        job = _fresh_job(import_id)
        job.state, job.progress, job.finished_at = ImportState.SUCCEEDED, 100, utcnow()
        job.created_count, job.updated_count = result.created, result.updated
        job.unchanged_count, job.deactivated_count = result.unchanged, result.deactivated
        job.warnings = warnings
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, DomainError):
            log.exception("price-list import %s failed", import_id)
        _finish_failed(import_id, exc)
        live_progress.clear(progress_key(import_id))
        return
    live_progress.clear(progress_key(import_id))  # the row now says 100 (committed above)
    if result.touched_products:
        invalidate_catalog(product_ids=result.touched_products)

