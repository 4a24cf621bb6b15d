"""Apply a validated price list to a shop, all or nothing, in a fixed number of set-based statements.

`apply_price_list(shop, price_list)` runs inside the caller's transaction and only flushes: an error anywhere
rolls everything back. The shop row is locked first, so two imports for one shop run one after the other.

Matching: offers by (shop, external id); the shop's category ids onto shared categories by name (created when
new: two shops' "224" are unrelated); products are shared across shops by name (a product with the same name
and an offer of the same model first, else the oldest of that name), so one product lists every supplier's
offer. An existing product's category, description and `is_active` belong to staff: the importer never
changes them (a product staff deactivated stays off). Goods missing from the list are deactivated, never
deleted. Nothing that is already as the file says is written: importing the same file twice issues no
INSERT, UPDATE or DELETE the second time.

`run_import(import_id)` is the background job: fetch (URL) or read (upload), parse, apply, record the counts
and every problem on the ImportJob. Progress goes to the job row in separate short transactions, so the
page sees it while the import's own transaction is still open (on SQLite, whose single writer is the import,
only between phases); the counts and the data commit together.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storefront.catalog.cache import invalidate_catalog
from storefront.catalog.models import (
    Category,
    Offer,
    OfferParameter,
    Parameter,
    Product,
    ShopCategory,
)
from storefront.catalog.services import search_text_for
from storefront.database import utcnow
from storefront.errors import DomainError
from storefront.extensions import db
from storefront.suppliers.fetch import fetch_price_list
from storefront.suppliers.models import ImportJob, ImportState, Shop
from storefront.suppliers.pricelist import (
    Good,
    Limits,
    PriceList,
    PriceListInvalid,
    Problem,
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


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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
        found.update((name, id_) for name, id_ in db.session.execute(select(model.name, model.id).where(model.name.in_(batch))))
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


def _existing_offers(shop: Shop) -> tuple[dict, dict[int, tuple]]:
    offers = {row.external_id: row for row in db.session.execute(
        select(Offer.id, Offer.external_id, Offer.product_id, Offer.model, Offer.price, Offer.price_rrc,
               Offer.quantity, Offer.is_active, Product.name.label("product_name"))
        .join(Product, Product.id == Offer.product_id)
        .where(Offer.shop_id == shop.id)
    )}
    parameters: dict[int, list] = defaultdict(list)
    shared: dict[tuple, tuple] = {}  # one tuple per distinct (name, value, type), as the parser does
    for offer_id, name, value, value_type in db.session.execute(
        select(OfferParameter.offer_id, Parameter.name, OfferParameter.value, OfferParameter.value_type)
        .join(Parameter, Parameter.id == OfferParameter.parameter_id)
        .join(Offer, Offer.id == OfferParameter.offer_id)
        .where(Offer.shop_id == shop.id)
    ):
        row = (name, value, value_type)
        parameters[offer_id].append(shared.setdefault(row, row))
    return offers, {offer_id: tuple(sorted(rows)) for offer_id, rows in parameters.items()}


def _resolve_products(goods: list[Good], mapping: dict[int, int]) -> tuple[dict[str, int], set[int]]:
    """{name: product id} for these goods, by name (+ model), creating products for new names."""
    names = {good.name for good in goods}
    models = {(good.name, good.model) for good in goods}
    by_model: dict[tuple[str, str], int] = {}
    by_name: dict[str, int] = {}
    for batch in chunks(sorted(names)):
        for product_id, name, model in db.session.execute(
            select(Product.id, Product.name, Offer.model)
            .outerjoin(Offer, Offer.product_id == Product.id)
            .where(Product.name.in_(batch))
            .order_by(Product.id)
        ):
            by_name.setdefault(name, product_id)
            if model is not None:
                by_model.setdefault((name, model), product_id)
    resolved = {key: by_model.get(key, by_name.get(key[0])) for key in models}
    # New products: one per new name, in the category of its first good, searchable by its goods' models.
    first: dict[str, Good] = {}
    new_models: dict[str, list[str]] = defaultdict(list)
    for good in goods:
        if resolved[(good.name, good.model)] is None:
            first.setdefault(good.name, good)
            new_models[good.name].append(good.model)
    created: set[int] = set()
    rows = [{"name": name, "category_id": mapping[good.category_id], "description": "",
             "search_text": search_text_for(name, new_models[name], "")} for name, good in first.items()]
    # Plain executemany, then the ids by name: RETURNING with ordered rows falls back to one INSERT per row on
    # SQLite. Only names no product had are inserted, so the names find exactly the new rows.
    for batch in chunks(rows):
        db.session.execute(insert(Product), batch)
    for batch in chunks(list(first)):
        for product_id, name in db.session.execute(
            select(Product.id, Product.name).where(Product.name.in_(batch)).order_by(Product.id)
        ):
            if name not in by_name:
                by_name[name] = product_id
                created.add(product_id)
    return {key: resolved[key] or by_name[key[0]] for key in models}, created


def _refresh_search_text(product_ids: set[int]) -> None:
    """Recompute `search_text` (name + every offer's model) for products whose offers changed, where it differs."""
    updates = []
    for batch in chunks(sorted(product_ids)):
        models: dict[int, list[str]] = defaultdict(list)
        for product_id, model in db.session.execute(
            select(Offer.product_id, Offer.model).where(Offer.product_id.in_(batch)).order_by(Offer.id)
        ):
            models[product_id].append(model)
        for product_id, name, description, current in db.session.execute(
            select(Product.id, Product.name, Product.description, Product.search_text).where(Product.id.in_(batch))
        ):
            text = search_text_for(name, models[product_id], description or "")
            if text != current:
                updates.append({"id": product_id, "search_text": text})
    for batch in chunks(updates):
        db.session.execute(update(Product), batch)


def _write_parameters(offer_params: dict[int, tuple], replace: list[int]) -> None:
    for batch in chunks(replace):
        db.session.execute(delete(OfferParameter).where(OfferParameter.offer_id.in_(batch)))
    names = {name for params in offer_params.values() for name, _, _ in params}
    ids = _ids_by_name(Parameter, names, create=True)
    rows = ({"offer_id": offer_id, "parameter_id": ids[name], "value": value, "value_type": kind}
            for offer_id, params in offer_params.items() for name, value, kind in params)
    for batch in chunks(rows):
        db.session.execute(insert(OfferParameter), batch)


def apply_price_list(shop: Shop, price_list: PriceList, progress: Progress | None = None) -> ImportResult:
    """Make the shop's offers what the list says (see the module docstring); flush only, never commit."""
    progress = progress or (lambda _pct: None)
    if price_list.shop != shop.name:
        raise PriceListInvalid([Problem(
            f"This price list is for the shop “{price_list.shop}”, but your shop is “{shop.name}”; "
            "nothing was imported.", field="shop")])
    _lock_shop(shop)
    result = ImportResult()
    mapping = _map_categories(shop, price_list)
    existing, existing_params = _existing_offers(shop)
    progress(45)

    # Which goods need a product looked up: new ones, and ones whose name changed.
    needs_product = [good for good in price_list.goods
                     if good.external_id not in existing or existing[good.external_id].product_name != good.name]
    products, created_products = _resolve_products(needs_product, mapping)
    progress(55)

    now = utcnow()
    new_offers: list[dict] = []
    updates: list[dict] = []
    replaced_params: dict[int, tuple] = {}
    refresh: set[int] = set()
    for good in price_list.goods:
        old = existing.get(good.external_id)
        if old is None:
            product_id = products[(good.name, good.model)]
            new_offers.append({
                "product_id": product_id, "shop_id": shop.id, "external_id": good.external_id, "model": good.model,
                "price": good.price, "price_rrc": good.price_rrc, "quantity": good.quantity, "is_active": True,
            })
            result.created += 1
            result.touched_products.add(product_id)
            if product_id not in created_products:
                refresh.add(product_id)  # an existing product gains a model to be found by
            continue
        product_id = old.product_id if old.product_name == good.name else products[(good.name, good.model)]
        changes = {}
        if product_id != old.product_id:
            changes["product_id"] = product_id
            refresh.update((product_id, old.product_id))
            result.touched_products.add(old.product_id)
        if good.model != old.model:
            changes["model"] = good.model
            refresh.add(product_id)
        for name in ("price", "price_rrc", "quantity"):
            if getattr(good, name) != getattr(old, name):
                changes[name] = getattr(good, name)
        if not old.is_active:
            changes["is_active"] = True
        params_changed = good.parameters != existing_params.get(old.id, ())
        if params_changed:
            replaced_params[old.id] = good.parameters
        if changes or params_changed:
            result.updated += 1
            result.touched_products.add(product_id)
            if changes:
                updates.append({"id": old.id, "updated_at": now, **changes})
        else:
            result.unchanged += 1

    in_file = {good.external_id for good in price_list.goods}
    vanished = [row for ext, row in existing.items() if row.is_active and ext not in in_file]
    result.deactivated = len(vanished)
    result.touched_products.update(row.product_id for row in vanished)

    # Writes, each a set-based statement (executemany batches): nothing at all when nothing changed.
    for batch in chunks(updates):
        db.session.execute(update(Offer), batch)
    for batch in chunks([row.id for row in vanished]):
        db.session.execute(update(Offer).where(Offer.id.in_(batch)).values(is_active=False, updated_at=now)
                           .execution_options(synchronize_session=False))
    progress(70)
    offer_params = dict(replaced_params)
    for batch in chunks(new_offers):
        db.session.execute(insert(Offer), batch)
    params_by_external = {good.external_id: good.parameters for good in price_list.goods
                          if good.parameters and good.external_id not in existing}
    for batch in chunks(list(params_by_external)):
        offer_params.update(
            (offer_id, params_by_external[external_id]) for offer_id, external_id in db.session.execute(
                select(Offer.id, Offer.external_id).where(Offer.shop_id == shop.id, Offer.external_id.in_(batch))
            )
        )
    progress(80)
    if offer_params or replaced_params:
        _write_parameters(offer_params, list(replaced_params))
    progress(90)
    if refresh:
        _refresh_search_text(refresh)
    db.session.flush()
    return result


# -------------------------------------------------------------------------------------------------------- job


class _ProgressWriter:
    """Writes ImportJob.progress in its own short transaction, so the page can watch a running import."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.last = -1
        # SQLite has one writer at a time: while the import's transaction writes, a second one would wait.
        self.concurrent = db.engine.dialect.name != "sqlite"
        self.applying = False

    def __call__(self, pct: int) -> None:
        if pct <= self.last or (self.applying and not self.concurrent):
            return
        self.last = pct
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


def _finish_failed(import_id: int, exc: Exception) -> None:
    job = db.session.get(ImportJob, import_id)
    job.state = ImportState.FAILED
    job.errors = _problems(exc)
    job.finished_at = utcnow()
    job.payload = None
    db.session.commit()


def run_import(import_id: int) -> None:
    """The job: run one queued import to the end. A failure is recorded on the job, never raised to the worker."""
    job = db.session.get(ImportJob, import_id)
    if job is None or job.state in (ImportState.SUCCEEDED, ImportState.FAILED):
        return  # a second delivery of a finished job
    job.state, job.started_at, job.progress, job.errors = ImportState.RUNNING, utcnow(), 5, []
    source_kind, source, payload, shop_id = job.source_kind, job.source, job.payload, job.shop_id
    db.session.commit()
    write_progress = _ProgressWriter(import_id)
    try:
        config = current_app.config
        if source_kind == "url":
            payload = fetch_price_list(source, max_bytes=config["SUPPLIER_MAX_PRICELIST_BYTES"],
                                       timeout=config["SUPPLIER_FETCH_TIMEOUT"],
                                       allowlist=config["SUPPLIER_URL_ALLOWLIST"])
            write_progress(15)
        price_list = parse_price_list(payload or "", limits())
        payload = None  # the text is no longer needed: free it before the apply phase
        write_progress(35)
        write_progress.applying = True
        result = apply_price_list(db.session.get(Shop, shop_id), price_list, write_progress)
        job = db.session.get(ImportJob, import_id)
        job.state, job.progress, job.finished_at, job.payload = ImportState.SUCCEEDED, 100, utcnow(), None
        job.created_count, job.updated_count = result.created, result.updated
        job.unchanged_count, job.deactivated_count = result.unchanged, result.deactivated
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, DomainError):
            log.exception("price-list import %s failed", import_id)
        _finish_failed(import_id, exc)
        return
    if result.touched_products:
        invalidate_catalog(product_ids=result.touched_products)

