"""Supplier portal rules: a supplier works only on its own shop — its imports, exports, switch and order parts.

Every function takes the signed-in user and finds the data through the user's shop, so another shop's import,
export or order simply does not exist for them (NotFound). What changes something — imports, exports, order
acceptance, order-part actions — needs a verified e-mail (`policy.require_verified`: 403 `email_unverified`),
the same through the portal pages and the partner API. Services flush; the caller commits, and queued jobs
(imports, exports) run only after that commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storefront import policy
from storefront.accounts.models import User
from storefront.catalog.cache import invalidate_catalog_after_commit
from storefront.catalog.models import Offer, Shop
from storefront.domain_errors import Conflict, DomainError, NotFound
from storefront.extensions import db
from storefront.jobs import enqueue
from storefront.orders import status as order_status
from storefront.orders.access import OrderNotFound, SupplierPart, supplier_part
from storefront.orders.models import Order, OrderPart, OrderStatus
from storefront.orders.status import OrderLink, no_link
from storefront.outbound import check_url
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from storefront.suppliers import export
from storefront.suppliers.importer import run_import
from storefront.suppliers.models import ImportJob, ImportState
from storefront.suppliers.pricelist import PriceListInvalid, decode

WAITING = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.ASSEMBLED)  # the supplier still has work to do
MAX_FILENAME = 200


class NoShop(NotFound):
    code = "no_shop"


class ImportNotFound(NotFound):
    code = "import_not_found"


class ExportNotFound(NotFound):
    code = "export_not_found"


class UploadTooLarge(DomainError):
    status = 413
    code = "too_large"


# ------------------------------------------------------------------------------------------------- the shop


def shop_of(user: User) -> Shop:
    """The supplier's own shop; NotFound for anyone else (or a supplier staff has not linked to a shop yet)."""
    shop_id = policy.supplier_shop_id(user)
    shop = db.session.get(Shop, shop_id) if shop_id is not None else None
    if shop is None or not policy.owns_shop(user, shop.id):
        raise NoShop(_("Your account is not linked to a shop yet; please contact the staff."))
    return shop


def _acting_shop(user: User) -> Shop:
    """The supplier's shop, for an action that changes something: the account must be verified."""
    policy.require_verified(user)
    return shop_of(user)


def set_accepting_orders(user: User, accepting: bool) -> Shop:
    """Switch the shop's order acceptance; while off, its offers cannot be bought (the catalog shows that)."""
    return switch_accepting(_acting_shop(user), accepting)


def switch_accepting(shop: Shop, accepting: bool) -> Shop:
    """Turn a shop's order acceptance on or off (the supplier from the portal, staff from the back-office)."""
    if shop.accepting_orders != accepting:
        shop.accepting_orders = accepting
        db.session.flush()
        invalidate_catalog_after_commit(shop_ids=[shop.id])
    return shop


@dataclass(frozen=True)
class Dashboard:
    shop: Shop
    active_goods: int
    inactive_goods: int
    latest_imports: list[ImportJob]
    waiting_count: int
    waiting_parts: list[SupplierPart]


def dashboard(user: User, latest: int = 5) -> Dashboard:
    """What the supplier's home page shows: the shop, its goods, the latest imports, orders waiting for it."""
    shop = shop_of(user)
    counts = dict(db.session.execute(
        select(Offer.is_active, func.count()).where(Offer.shop_id == shop.id).group_by(Offer.is_active)
    ).all())
    imports = db.session.scalars(
        select(ImportJob).where(ImportJob.shop_id == shop.id).order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
        .limit(latest)
    ).all()
    waiting = select(OrderPart).where(OrderPart.shop_id == shop.id, OrderPart.status.in_(WAITING))
    waiting_count = db.session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    parts = db.session.scalars(
        waiting.options(selectinload(OrderPart.order), selectinload(OrderPart.items))
        .order_by(OrderPart.order_id).limit(latest)
    ).all()
    return Dashboard(shop, counts.get(True, 0), counts.get(False, 0), list(imports), waiting_count,
                     [supplier_part(part) for part in parts])


# ---------------------------------------------------------------------------------------------------- imports


def _queue(shop: Shop, user: User, kind: str, source: str, payload: str | None) -> ImportJob:
    job = ImportJob(shop_id=shop.id, requested_by_id=user.id, source_kind=kind, source=source, payload=payload,
                    state=ImportState.QUEUED, progress=0, errors=[])
    db.session.add(job)
    db.session.flush()
    enqueue(run_import, queue="imports", import_id=job.id)
    return job


def start_file_import(user: User, filename: str, raw: bytes) -> ImportJob:
    """Queue the import of an uploaded file. A file that is not UTF-8 text is recorded as a failed import."""
    shop = _acting_shop(user)
    limit = current_app.config["SUPPLIER_MAX_PRICELIST_BYTES"]
    if len(raw) > limit:
        raise UploadTooLarge(_("The file is larger than the limit of %(limit)s bytes.", limit=format_number(limit)), field="file")
    if not raw.strip():
        raise PriceListInvalid.single(_("The file is empty."), field="file")
    name = (Path(filename or "").name or "price-list.yaml")[:MAX_FILENAME]
    try:
        text = decode(raw)
    except PriceListInvalid as exc:
        job = ImportJob(shop_id=shop.id, requested_by_id=user.id, source_kind="file", source=name,
                        state=ImportState.FAILED, progress=0, errors=[p.as_dict() for p in exc.problems])
        db.session.add(job)
        db.session.flush()
        return job
    if "\x00" in text:
        raise PriceListInvalid.single(_("The file contains NUL characters; it is not a text price list."), field="file")
    return _queue(shop, user, "file", name, text)


def start_url_import(user: User, url: str) -> ImportJob:
    """Queue the import of the price list at `url` (fetched by the job, with the address rules of `fetch`)."""
    shop = _acting_shop(user)
    target = check_url(url)
    return _queue(shop, user, "url", target.url, None)


def get_import(user: User, import_id: int) -> ImportJob:
    """One of the supplier's own imports; another shop's is NotFound."""
    job = db.session.scalar(
        select(ImportJob).where(ImportJob.id == import_id, ImportJob.shop_id == shop_of(user).id)
    )
    if job is None:
        raise ImportNotFound(_("No such import."))
    return job


def list_imports(user: User, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[ImportJob]:
    """The shop's imports, newest first."""
    statement = (select(ImportJob).where(ImportJob.shop_id == shop_of(user).id)
                 .order_by(ImportJob.created_at.desc(), ImportJob.id.desc()))
    return paginate(statement, page, page_size)


def is_finished(job: ImportJob) -> bool:
    return job.state in (ImportState.SUCCEEDED, ImportState.FAILED)


# ---------------------------------------------------------------------------------------------------- exports


def export_now(user: User) -> tuple[str, str]:
    """(file name, YAML) of the shop's price list, built right away."""
    shop = _acting_shop(user)
    return export.export_file_name(shop), export.price_list_yaml(shop)


def export_needs_job(user: User) -> bool:
    return export.needs_job(shop_of(user))


def active_goods(user: User) -> int:
    return export.active_goods(shop_of(user))


def start_export(user: User) -> str:
    """Queue an export job for the shop; returns its token."""
    return export.start_export(_acting_shop(user))


def export_state(user: User, token: str) -> str:
    """"pending", "ready" or "failed"; another shop's (or an unknown) export is NotFound."""
    state = export.export_state(shop_of(user), token)
    if state is None:
        raise ExportNotFound(_("No such export."))
    return state


@dataclass(frozen=True)
class ExportStatus:
    state: str  # "pending", "ready" or "failed"
    progress: int  # 0..100, moved by the job as it reads and writes the goods


def export_status(user: User, token: str) -> ExportStatus:
    """An export's state and percentage; another shop's (or an unknown) export is NotFound."""
    state = export_state(user, token)
    return ExportStatus(state, export.export_progress(shop_of(user), token))


def export_download(user: User, token: str) -> tuple[Path, str]:
    """(path, download name) of a finished export; Conflict while it is still being written."""
    shop = _acting_shop(user)
    if export_state(user, token) != "ready":
        raise Conflict(_("The export is not ready yet."))
    return export.export_path(shop, token), export.export_file_name(shop)


# ----------------------------------------------------------------------------------------------------- orders


def list_order_parts(user: User, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE,
                     status: OrderStatus | None = None) -> Page[SupplierPart]:
    """The shop's parts of orders (never another shop's), newest order first; optionally one status only.

    Handed out as detached `SupplierPart`s: nothing in them leads to the order's other parts."""
    statement = (select(OrderPart).join(Order, Order.id == OrderPart.order_id)
                 .where(OrderPart.shop_id == shop_of(user).id)
                 .options(selectinload(OrderPart.order), selectinload(OrderPart.items))
                 .order_by(Order.created_at.desc(), Order.id.desc()))
    if status is not None:
        statement = statement.where(OrderPart.status == status)
    found = paginate(statement, page, page_size)
    return Page(items=[supplier_part(part) for part in found.items], page=found.page, page_size=found.page_size,
                total=found.total)


def _own_part(user: User, order_id: int) -> OrderPart:
    shop = shop_of(user)
    part = db.session.scalar(
        select(OrderPart).where(OrderPart.order_id == order_id, OrderPart.shop_id == shop.id)
        .options(selectinload(OrderPart.order), selectinload(OrderPart.items))
    )
    if part is None:
        raise OrderNotFound(_("No such order."))
    return part


def get_order_part(user: User, order_id: int) -> SupplierPart:
    """The shop's part of order `order_id` with only its own lines; NotFound when the shop has no part in it."""
    return supplier_part(_own_part(user, order_id))


def next_statuses(part: OrderPart | SupplierPart) -> list[OrderStatus]:
    """The statuses the supplier may move its part to now (buttons, API docs)."""
    return order_status.allowed_transitions(part.status)


def change_part_status(user: User, order_id: int, to_status: OrderStatus | str, note: str = "", *,
                       order_link: OrderLink = no_link) -> SupplierPart:
    """Move the shop's part of an order one step (recorded in the order's events; the shopper is told).

    Who may is `policy.require_part_actor` (the shop's verified supplier), checked by the status machine."""
    part = _own_part(user, order_id)
    return supplier_part(order_status.change_part_status(part, to_status, user, note, order_link=order_link))


def confirm_part(user: User, order_id: int, *, order_link: OrderLink = no_link) -> SupplierPart:
    return change_part_status(user, order_id, OrderStatus.CONFIRMED, order_link=order_link)


def ship_part(user: User, order_id: int, note: str = "", *, order_link: OrderLink = no_link) -> SupplierPart:
    """Send the shop's part: a confirmed part is assembled and sent in one go (two events)."""
    part = _own_part(user, order_id)
    if part.status == OrderStatus.CONFIRMED:
        part = order_status.change_part_status(part, OrderStatus.ASSEMBLED, user, "", order_link=order_link)
    return supplier_part(order_status.change_part_status(part, OrderStatus.SENT, user, note, order_link=order_link))
