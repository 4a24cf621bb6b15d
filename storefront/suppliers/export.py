"""Export a shop's price list in the import format (DESIGN.md §4), so export → import changes nothing.

Small shops download it at once; for large ones (`SUPPLIER_EXPORT_SYNC_LIMIT` active goods and more) a job
writes it to `SUPPLIER_EXPORT_DIR/shop-<id>/<token>.yaml` and the page offers the download when it is ready.
The web process and the worker must share that folder (as they share the invoices folder). While the job runs,
its `<token>.pending` marker holds its percentage (a number, replaced atomically), moved per CHUNK goods read
and written: a file there needs no database write (the job only reads) and no Redis, on every backend and mode.

Only active offers are exported (deactivated goods are not on the supplier's list). A good's category is the
shop's own category id that maps onto the product's shared category; the parameters come back with the type
they were imported with (int, float, bool or text).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from storefront.catalog.models import (
    Offer,
    OfferParameter,
    Parameter,
    Product,
    Shop,
    ShopCategory,
)
from storefront.extensions import db
from storefront.jobs import enqueue
from storefront.jobs.progress import ProgressFile, Stage
from storefront.media.models import OfferImage
from storefront.suppliers.pricelist import dump_price_list_parts, export_value

log = logging.getLogger(__name__)
TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600
CHUNK = 2000  # goods per progress step (and per piece of YAML written)


def _number(amount):
    """Whole prices as integers, others as the decimal number they are (110000, 199.9).

    Exact: a Numeric(12, 2) amount has at most 12 significant digits, and YAML writes a float's shortest repr,
    which reads back to the same Decimal (the importer parses via str)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def price_list_yaml(shop: Shop) -> str:
    """The shop's active goods as a YAML price list."""
    return "".join(price_list_parts(shop))


def price_list_parts(shop: Shop, progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The price list in pieces of CHUNK goods; `progress(pct)` as the goods are read (0–50) and dumped (50–99)."""
    progress = progress or (lambda _pct: None)
    total = active_goods(shop)
    links = db.session.execute(
        select(ShopCategory.external_id, ShopCategory.name, ShopCategory.category_id)
        .where(ShopCategory.shop_id == shop.id).order_by(ShopCategory.external_id)
    ).all()
    by_shared: dict[int, int] = {}
    for link in links:
        by_shared.setdefault(link.category_id, link.external_id)
    fallback = links[0].external_id if links else 0
    parameters: dict[int, dict] = defaultdict(dict)
    for offer_id, name, value, value_type in db.session.execute(
        select(OfferParameter.offer_id, Parameter.name, OfferParameter.value, OfferParameter.value_type)
        .join(Parameter, Parameter.id == OfferParameter.parameter_id)
        .join(Offer, Offer.id == OfferParameter.offer_id)
        .where(Offer.shop_id == shop.id, Offer.is_active)
        .order_by(OfferParameter.offer_id, Parameter.name)
    ):
        parameters[offer_id][name] = export_value(value, value_type)
    images: dict[int, list[str]] = defaultdict(list)
    for offer_id, url in db.session.execute(
        select(OfferImage.offer_id, OfferImage.url).join(Offer, Offer.id == OfferImage.offer_id)
        .where(Offer.shop_id == shop.id, Offer.is_active).order_by(OfferImage.offer_id, OfferImage.position)
    ):
        images[offer_id].append(url)
    progress(10)
    reading = Stage(progress, 10, 50)
    goods = []
    for row in db.session.execute(
        select(Offer.id, Offer.external_id, Offer.model, Offer.price, Offer.price_rrc, Offer.quantity,
               Product.name, Product.category_id)
        .join(Product, Product.id == Offer.product_id)
        .where(Offer.shop_id == shop.id, Offer.is_active)
        .order_by(Offer.external_id)
    ):
        good = {"id": row.external_id, "category": by_shared.get(row.category_id, fallback)}
        if row.model:
            good["model"] = row.model
        good.update(name=row.name, price=_number(row.price), price_rrc=_number(row.price_rrc), quantity=row.quantity)
        if row.id in parameters:
            good["parameters"] = parameters[row.id]
        if row.id in images:
            good["image"] = images[row.id][0]
            if len(images[row.id]) > 1:
                good["images"] = images[row.id][1:]
        goods.append(good)
        if len(goods) % CHUNK == 0:
            reading.step(len(goods), total)
    progress(50)
    categories = [{"id": link.external_id, "name": link.name} for link in links]
    writing = Stage(progress, 50, 99)
    # The first piece is the head (shop, categories); each next one CHUNK goods.
    for number, piece in enumerate(dump_price_list_parts(shop.name, categories, goods, CHUNK)):
        yield piece
        writing.step(number * CHUNK, len(goods))


def active_goods(shop: Shop) -> int:
    return db.session.scalar(select(func.count()).where(Offer.shop_id == shop.id, Offer.is_active)) or 0


def needs_job(shop: Shop) -> bool:
    return active_goods(shop) >= current_app.config["SUPPLIER_EXPORT_SYNC_LIMIT"]


def export_file_name(shop: Shop) -> str:
    return f"price-list-shop-{shop.id}.yaml"


def _folder(shop_id: int) -> Path:
    return Path(current_app.config["SUPPLIER_EXPORT_DIR"]) / f"shop-{shop_id}"


def start_export(shop: Shop) -> str:
    """Queue an export job (it runs after the caller commits); returns the token to poll and download with."""
    token = secrets.token_hex(16)
    folder = _folder(shop.id)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():  # a shop's old exports are not kept forever
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    (folder / f"{token}.pending").touch()
    enqueue(run_export, queue="imports", shop_id=shop.id, token=token)
    return token


def export_state(shop: Shop, token: str) -> str | None:
    """"pending", "ready" or "failed" for this shop's export `token`; None if the shop has no such export."""
    if not TOKEN.match(token or ""):
        return None
    folder = _folder(shop.id)
    for state, suffix in (("ready", "yaml"), ("failed", "failed"), ("pending", "pending")):
        if (folder / f"{token}.{suffix}").exists():
            return state
    return None


def export_progress(shop: Shop, token: str) -> int:
    """The percentage of a pending export (0 until its job starts); 100 once ready."""
    if not TOKEN.match(token or ""):
        return 0
    folder = _folder(shop.id)
    if (folder / f"{token}.yaml").exists():
        return 100
    try:
        text = (folder / f"{token}.pending").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return 0
    return max(0, min(100, int(text))) if text.isdigit() else 0


def export_path(shop: Shop, token: str) -> Path | None:
    return _folder(shop.id) / f"{token}.yaml" if export_state(shop, token) == "ready" else None


def run_export(shop_id: int, token: str) -> None:
    """The job: write the shop's price list next to its marker, atomically (readers never see half a file)."""
    folder = _folder(shop_id)
    shop = db.session.get(Shop, shop_id)
    try:
        partial = folder / f"{token}.part"
        with partial.open("w", encoding="utf-8") as out:
            for piece in price_list_parts(shop, ProgressFile(folder, token)):
                out.write(piece)
        partial.replace(folder / f"{token}.yaml")
    except Exception:
        log.exception("price-list export %s for shop %s failed", token, shop_id)
        (folder / f"{token}.failed").touch()
    finally:
        (folder / f"{token}.pending").unlink(missing_ok=True)

