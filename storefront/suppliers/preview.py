"""Price-list previews: what an import would change, recorded for the supplier to read (paged) before applying.

A preview runs the whole validation and the comparison of `importer` and writes no goods: only the import's
counts, the goods it would create, update or deactivate (ImportPreviewItem) and a fingerprint of the shop's
goods. Applying the preview applies its stored file, and only while the fingerprint still matches: if anyone
changed the shop's goods meanwhile (another import, staff), the supplier previews again.

The fingerprint covers what the comparison reads — each offer's id, external id, product (and its name),
model, prices and active flag, and a sum over its parameters — but not `quantity`: stock moves with every sale, and a busy shop
could otherwise never apply a preview (the file's quantities are applied as they are).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from storefront.catalog.models import Offer, OfferParameter, Product
from storefront.database import insert_rows, one_of, utcnow
from storefront.extensions import db
from storefront.suppliers.models import ImportJob, ImportPayload, ImportPreviewItem, ImportState

if TYPE_CHECKING:
    from storefront.suppliers.importer import _Plan

BATCH = 5000


def goods_fingerprint(shop_id: int) -> str:
    """A digest of the shop's goods as an import compares them (see the module docstring)."""
    digest = hashlib.sha256()
    connection = db.session.connection()
    rows = connection.execute(
        select(Offer.id, Offer.external_id, Offer.product_id, Product.name, Offer.model, Offer.price,
               Offer.price_rrc, Offer.is_active)
        .join(Product, Product.id == Offer.product_id)
        .where(Offer.shop_id == shop_id).order_by(Offer.id)
        .execution_options(yield_per=BATCH)
    )
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    # Parameters summed up in SQL (one row, not one per parameter): a change of any moves one of these.
    parameters = connection.execute(
        select(func.count(), func.sum(OfferParameter.offer_id * 7 + OfferParameter.parameter_id),
               func.sum(func.length(OfferParameter.value)), func.sum(func.length(OfferParameter.value_type)))
        .select_from(OfferParameter)
        .join(Offer, Offer.id == OfferParameter.offer_id).where(Offer.shop_id == shop_id)
    ).one()
    digest.update(repr(tuple(parameters)).encode())
    return digest.hexdigest()


def too_many_deactivated(active: int, deactivated: int) -> bool:
    """Would a plain upload deactivate more than IMPORT_DEACTIVATE_CONFIRM_SHARE of the shop's active goods?"""
    share = float(current_app.config["IMPORT_DEACTIVATE_CONFIRM_SHARE"])
    return active > 0 and deactivated > share * active


def _one_of(column, values: list):
    return one_of(column, values, db.session.get_bind().dialect.name)


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _preview_rows(import_id: int, plan: _Plan) -> Iterator[dict]:
    for good in plan.new:
        yield {"import_id": import_id, "action": "created", "external_id": good.external_id, "name": good.name,
               "model": good.model, "old_price": None, "new_price": good.price, "changes": ""}
    for batch in _chunks(plan.changed):
        old = dict(db.session.connection().execute(
            select(Offer.id, Offer.price).where(_one_of(Offer.id, [change.offer_id for change in batch]))).all())
        for change in batch:
            what = [*(["name"] if change.renamed else []), *change.columns,
                    *(["parameters"] if change.parameters else [])]
            yield {"import_id": import_id, "action": "updated", "external_id": change.good.external_id,
                   "name": change.good.name, "model": change.good.model, "old_price": old.get(change.offer_id),
                   "new_price": change.good.price, "changes": ",".join(what)[:200]}
    for batch in _chunks([offer_id for offer_id, _product_id in plan.vanished]):
        for external_id, name, model, price in db.session.connection().execute(
            select(Offer.external_id, Product.name, Offer.model, Offer.price)
            .join(Product, Product.id == Offer.product_id).where(_one_of(Offer.id, batch)).order_by(Offer.id)
        ).all():
            yield {"import_id": import_id, "action": "deactivated", "external_id": external_id, "name": name,
                   "model": model, "old_price": price, "new_price": None, "changes": ""}


def record_preview_items(import_id: int, plan: _Plan) -> None:
    """Store the goods the plan would create, update or deactivate (in file order, then the deactivated)."""
    batch: list[dict] = []
    for row in _preview_rows(import_id, plan):
        batch.append(row)
        if len(batch) == BATCH:
            insert_rows(db.session.connection(), ImportPreviewItem.__table__, batch)
            batch = []
    if batch:
        insert_rows(db.session.connection(), ImportPreviewItem.__table__, batch)


def expire_previews() -> int:
    """Previews left unapplied for IMPORT_PREVIEW_TTL_HOURS become failed imports and their stored file goes
    (a file may be tens of MB). Returns how many expired; safe to run twice."""
    cutoff = utcnow() - timedelta(hours=float(current_app.config["IMPORT_PREVIEW_TTL_HOURS"]))
    ids = list(db.session.scalars(select(ImportJob.id).where(
        ImportJob.state == ImportState.PREVIEWED, ImportJob.finished_at < cutoff)))
    if not ids:
        return 0
    problem = {"item": "file", "field": None,
               "message": _("This preview expired without being applied; upload the file again.")}
    db.session.execute(update(ImportJob).where(ImportJob.id.in_(ids), ImportJob.state == ImportState.PREVIEWED)
                       .values(state=ImportState.FAILED, errors=[problem], confirmation_required=False)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(ImportPayload).where(ImportPayload.import_id.in_(ids)))
    return len(ids)
