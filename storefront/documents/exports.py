"""Spreadsheets for staff (orders with the list's filters, users, products) and for a supplier (its own order
parts), as CSV (UTF-8 with a BOM, so Excel reads the Cyrillic right) or XLSX (openpyxl; numbers and dates as
such).

Up to EXPORT_SYNC_LIMIT rows the file is made in the request. Larger ones are written by a job into
`EXPORT_DIR/<owner id>/<token>.<format>`; while it runs, its `<token>.pending` marker holds its percentage
(replaced atomically, as the price-list export does: no database write, no Redis, on every backend and mode),
and only the account that asked can download it. The web processes and the workers must share that folder.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import pgettext
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storefront import policy
from storefront.accounts import management
from storefront.accounts.models import Role, User
from storefront.catalog.models import Category, Offer, Product, Shop
from storefront.documents.numbering import shop_time
from storefront.domain_errors import DomainError, NotFound
from storefront.extensions import db
from storefront.jobs import enqueue
from storefront.jobs.progress import ProgressFile, Stage
from storefront.orders import reports
from storefront.orders.models import Order, OrderPart, OrderStatus
from storefront.suppliers.services import shop_of

log = logging.getLogger(__name__)
# Werkzeug adds "; charset=utf-8" to text types itself (naming it here too sent it twice).
FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
KINDS = ("orders", "users", "products", "parts")
TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600
CHUNK = 500  # rows per database batch and progress step


class UnknownFormat(DomainError):
    status = 400
    code = "unknown_format"


class ExportNotFound(NotFound):
    code = "export_not_found"


# Column headers are in the asker's language, msgctxt "export" (these short words mean columns here).
@dataclass(frozen=True)
class Table:
    name: str  # the file's stem
    headers: list[Any]
    count: int
    rows: Callable[[], Iterator[list[Any]]]


def _moment(value: datetime | None) -> datetime | None:
    # XLSX has no time zones: the shop's clock, as the pages and documents show it.
    return shop_time(value).replace(tzinfo=None) if value is not None else None


def _count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def _batched(statement, build: Callable[[Any], list[Any]]) -> Iterator[list[Any]]:
    for row in db.session.scalars(statement.execution_options(yield_per=CHUNK)):
        yield build(row)


# ------------------------------------------------------------------------------------------------- the tables


def orders_table(viewer: User, filters: reports.OrderFilters = reports.OrderFilters()) -> Table:
    """Every order the back-office list shows with these filters, in its sort."""
    statement = reports.orders_statement(viewer, filters)
    headers = [
        pgettext("export", "Order"),
        pgettext("export", "Placed"),
        pgettext("export", "Status"),
        pgettext("export", "Shopper"),
        pgettext("export", "E-mail"),
        pgettext("export", "Suppliers"),
        pgettext("export", "Goods"),
        pgettext("export", "Delivery"),
        pgettext("export", "Total"),
        pgettext("export", "Recipient"),
        pgettext("export", "Address"),
        pgettext("export", "Phone"),
    ]

    def build(order: Order) -> list[Any]:
        return [order.id, _moment(order.created_at), order.status.value, order.buyer_name, order.buyer_email,
                ", ".join(part.shop_name for part in order.parts), order.items_total, order.delivery_total,
                order.total, order.delivery_recipient, order.delivery_address, order.delivery_phone]

    return Table("orders", headers, _count(statement), lambda: _batched(statement, build))


def users_table(viewer: User, *, role: Role | None = None, verified: bool | None = None,
                active: bool | None = None, q: str | None = None) -> Table:
    statement = management.users_statement(viewer, role=role, verified=verified, active=active, q=q)
    headers = [
        pgettext("export", "Id"),
        pgettext("export", "E-mail"),
        pgettext("export", "Name"),
        pgettext("export", "Role"),
        pgettext("export", "Verified"),
        pgettext("export", "Active"),
        pgettext("export", "Shop id"),
        pgettext("export", "Registered"),
        pgettext("export", "Last sign-in"),
    ]

    def build(user: User) -> list[Any]:
        return [user.id, user.email, user.name, user.role.value, "yes" if user.is_verified else "no",
                "yes" if user.is_active else "no", user.shop_id, _moment(user.created_at),
                _moment(user.last_login_at)]

    return Table("users", headers, _count(statement), lambda: _batched(statement, build))


def products_table(viewer: User) -> Table:
    """One row per offer (a product as each shop sells it); a product nobody offers gets one row of its own."""
    policy.require_staff(viewer)
    statement = (select(Product.id, Product.name, Category.name.label("category"), Shop.name.label("shop"),
                        Offer.external_id, Offer.model, Offer.price, Offer.price_rrc, Offer.quantity, Offer.is_active)
                 .join(Category, Category.id == Product.category_id)
                 .outerjoin(Offer, Offer.product_id == Product.id).outerjoin(Shop, Shop.id == Offer.shop_id)
                 .order_by(Product.id, Offer.id))
    headers = [
        pgettext("export", "Product id"),
        pgettext("export", "Product"),
        pgettext("export", "Category"),
        pgettext("export", "Shop"),
        pgettext("export", "Shop's item id"),
        pgettext("export", "Model"),
        pgettext("export", "Price"),
        pgettext("export", "Recommended price"),
        pgettext("export", "Stock"),
        pgettext("export", "On sale"),
    ]

    def rows() -> Iterator[list[Any]]:
        for row in db.session.execute(statement.execution_options(yield_per=CHUNK)):
            on_sale = None if row.is_active is None else ("yes" if row.is_active else "no")
            yield [row.id, row.name, row.category, row.shop, row.external_id, row.model, row.price, row.price_rrc,
                   row.quantity, on_sale]

    return Table("products", headers, _count(statement), rows)


def parts_table(user: User, status: OrderStatus | None = None) -> Table:
    """A supplier's own parts of orders, one row per line (never another shop's)."""
    shop = shop_of(user)
    statement = (select(OrderPart).join(Order, Order.id == OrderPart.order_id).where(OrderPart.shop_id == shop.id)
                 .options(selectinload(OrderPart.order), selectinload(OrderPart.items))
                 .order_by(Order.created_at.desc(), Order.id.desc()))
    if status is not None:
        statement = statement.where(OrderPart.status == status)
    headers = [
        pgettext("export", "Order"),
        pgettext("export", "Placed"),
        pgettext("export", "Status"),
        pgettext("export", "Product"),
        pgettext("export", "Model"),
        pgettext("export", "Quantity"),
        pgettext("export", "Unit price"),
        pgettext("export", "Sum"),
        pgettext("export", "Delivery"),
        pgettext("export", "Recipient"),
        pgettext("export", "Address"),
        pgettext("export", "Phone"),
    ]

    def rows() -> Iterator[list[Any]]:
        for part in db.session.scalars(statement.execution_options(yield_per=CHUNK)):
            order = part.order
            for item in part.items:
                yield [order.id, _moment(order.created_at), part.status.value, item.product_name, item.model,
                       item.quantity, item.price, item.line_total, part.delivery_fee, order.delivery_recipient,
                       order.delivery_address, order.delivery_phone]

    return Table(f"orders-{shop.id}", headers, _count(statement), rows)


# ------------------------------------------------------------------------------------------------- the files


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write(table: Table, fmt: str, out, progress: Callable[[int], None] | None = None) -> None:
    """Write `table` as `fmt` to the binary stream `out`; `progress(pct)` as rows go."""
    if fmt not in FORMATS:
        raise UnknownFormat("Choose CSV or XLSX.", field="format")
    stage = Stage(progress or (lambda _pct: None), 0, 99)
    headers = [str(h) for h in table.headers]
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")  # the BOM tells Excel it is UTF-8
        writer = csv.writer(text)
        writer.writerow(headers)
        for number, row in enumerate(table.rows(), start=1):
            writer.writerow([_cell(v) for v in row])
            if number % CHUNK == 0:
                stage.step(number, table.count)
        text.flush()
        text.detach()
        return
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.name[:31])
    sheet.append(headers)
    for number, row in enumerate(table.rows(), start=1):
        sheet.append([v if isinstance(v, (int, float, Decimal, datetime)) or v is None else str(v) for v in row])
        if number % CHUNK == 0:
            stage.step(number, table.count)
    book.save(out)


def render(table: Table, fmt: str) -> bytes:
    buffer = io.BytesIO()
    write(table, fmt, buffer)
    return buffer.getvalue()


def file_name(table: Table, fmt: str) -> str:
    return f"{table.name}-{shop_time(datetime.now().astimezone()):%Y%m%d-%H%M}.{fmt}"


def needs_job(table: Table) -> bool:
    return table.count > current_app.config["EXPORT_SYNC_LIMIT"]


# ------------------------------------------------------------------------------------------- the large ones


def _folder(owner_id: int) -> Path:
    return Path(current_app.config["EXPORT_DIR"]) / str(owner_id)


def start_export(actor: User, kind: str, fmt: str, filters: dict[str, Any] | None = None) -> str:
    """Queue a job writing the export (after the caller commits); returns the token to poll and download with.

    `filters` must be JSON-friendly (dates as ISO strings): the job may run in another process."""
    if kind not in KINDS:
        raise ExportNotFound("No such export.")
    if fmt not in FORMATS:
        raise UnknownFormat("Choose CSV or XLSX.", field="format")
    table_for(actor, kind, filters or {})  # refuses now (403/404) rather than in the job
    token = secrets.token_hex(16)
    folder = _folder(actor.id)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():  # one's old exports are not kept forever
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    (folder / f"{token}.pending").write_text("0", encoding="ascii")
    (folder / f"{token}.kind").write_text(f"{kind}.{fmt}", encoding="ascii")
    enqueue(run_export, queue="imports", actor_id=actor.id, kind=kind, fmt=fmt, token=token, filters=filters or {})
    return token


def table_for(actor: User, kind: str, filters: dict[str, Any]) -> Table:
    if kind == "orders":
        values = dict(filters)
        for key in ("date_from", "date_to"):
            if isinstance(values.get(key), str):
                values[key] = date.fromisoformat(values[key])
        if values.get("status"):
            values["status"] = OrderStatus(values["status"])
        return orders_table(actor, reports.OrderFilters(**values))
    if kind == "users":
        values = dict(filters)
        if values.get("role"):
            values["role"] = Role(values["role"])
        return users_table(actor, **values)
    if kind == "products":
        return products_table(actor)
    if kind == "parts":
        status = filters.get("status")
        return parts_table(actor, OrderStatus(status) if status else None)
    raise ExportNotFound("No such export.")


def run_export(actor_id: int, kind: str, fmt: str, token: str, filters: dict[str, Any]) -> None:
    """The job: write the file next to its marker, atomically; a failure leaves a `.failed` marker."""
    folder = _folder(actor_id)
    try:
        actor = db.session.get(User, actor_id)
        table = table_for(actor, kind, filters)
        partial = folder / f"{token}.part"
        with partial.open("wb") as out:
            write(table, fmt, out, ProgressFile(folder, token))
        partial.replace(folder / f"{token}.{fmt}")
    except Exception:
        log.exception("export %s (%s) for user %s failed", token, kind, actor_id)
        (folder / f"{token}.failed").touch()
    finally:
        (folder / f"{token}.pending").unlink(missing_ok=True)


@dataclass(frozen=True)
class ExportStatus:
    state: str  # "pending" | "ready" | "failed"
    progress: int
    kind: str
    fmt: str


def export_status(actor: User, token: str) -> ExportStatus:
    """The state of one of `actor`'s exports; someone else's (or none) is 404."""
    folder = _folder(actor.id)
    if not TOKEN.match(token or "") or not (folder / f"{token}.kind").exists():
        raise ExportNotFound("No such export.")
    kind, _, fmt = (folder / f"{token}.kind").read_text(encoding="ascii").partition(".")
    if (folder / f"{token}.{fmt}").exists():
        return ExportStatus("ready", 100, kind, fmt)
    if (folder / f"{token}.failed").exists():
        return ExportStatus("failed", 0, kind, fmt)
    try:
        text = (folder / f"{token}.pending").read_text(encoding="ascii").strip()
    except OSError:
        text = ""
    return ExportStatus("pending", max(0, min(100, int(text))) if text.isdigit() else 0, kind, fmt)


def export_download(actor: User, token: str) -> tuple[Path, str, str]:
    """(path, download name, mimetype) of a ready export of `actor`'s."""
    status = export_status(actor, token)
    if status.state != "ready":
        raise ExportNotFound("The export is not ready.")
    return (_folder(actor.id) / f"{token}.{status.fmt}", f"{status.kind}.{status.fmt}", FORMATS[status.fmt])
