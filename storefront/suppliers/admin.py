"""Staff over suppliers: every shop, pausing and resuming its order acceptance, linking a supplier account to
it, and failed price-list imports with a retry. Staff only; each change is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storefront import policy
from storefront.accounts.management import get_user
from storefront.accounts.models import Role, User
from storefront.audit.services import record
from storefront.catalog.models import Shop
from storefront.domain_errors import Conflict, DomainError, NotFound
from storefront.extensions import db
from storefront.jobs import enqueue
from storefront.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from storefront.suppliers.importer import run_import
from storefront.suppliers.models import ImportJob, ImportState
from storefront.suppliers.services import switch_accepting


class ShopNotFound(NotFound):
    code = "shop_not_found"


def _require_staff(actor: User) -> None:
    policy.require_staff(actor, _("Only staff can manage shops."))


@dataclass(frozen=True)
class ShopRow:
    shop: Shop
    owners: list[User]
    active_offers: int


def list_shops(actor: User) -> list[ShopRow]:
    """Every shop by name, with its supplier accounts and how many goods it offers."""
    from storefront.catalog.models import Offer

    _require_staff(actor)
    counts = dict(db.session.execute(
        select(Offer.shop_id, func.count()).where(Offer.is_active.is_(True)).group_by(Offer.shop_id)
    ).all())
    shops = db.session.scalars(select(Shop).options(selectinload(Shop.owners)).order_by(Shop.name)).all()
    return [ShopRow(shop, sorted(shop.owners, key=lambda u: u.email), counts.get(shop.id, 0)) for shop in shops]


def shop_row(actor: User, shop_id: int) -> ShopRow:
    """One shop as `list_shops` shows it; ShopNotFound otherwise."""
    shop = get_shop(actor, shop_id)
    return next(row for row in list_shops(actor) if row.shop.id == shop.id)


def get_shop(actor: User, shop_id: int) -> Shop:
    _require_staff(actor)
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise ShopNotFound(_("No such shop."))
    return shop


def set_shop_accepting(actor: User, shop_id: int, accepting: bool) -> Shop:
    """Pause (or resume) a shop's order acceptance: while paused its goods cannot be bought."""
    shop = get_shop(actor, shop_id)
    if shop.accepting_orders != accepting:
        record(actor, "shop.resumed" if accepting else "shop.paused", "shop", shop.id, {"name": shop.name})
    return switch_accepting(shop, accepting)


def assign_supplier(actor: User, shop_id: int, email: str) -> User:
    """Link the account with this e-mail to the shop as its supplier (a shopper account becomes a supplier)."""
    from storefront.accounts.services import find_user_by_email

    shop = get_shop(actor, shop_id)
    user = find_user_by_email((email or "").strip())
    if user is None:
        raise NotFound(_("No account has this e-mail address."), field="email")
    if user.role is Role.STAFF:
        raise DomainError(_("A staff account cannot be a shop's supplier."), field="email", status=422)
    if user.shop_id == shop.id and user.role is Role.SUPPLIER:
        raise Conflict(_("%(email)s is already this shop's supplier.", email=user.email), field="email")
    record(actor, "shop.supplier_assigned", "shop", shop.id,
           {"name": shop.name, "user_id": user.id, "email": user.email, "previous_shop_id": user.shop_id})
    user.shop_id = shop.id
    user.role = Role.SUPPLIER
    db.session.flush()
    return user


def unassign_supplier(actor: User, shop_id: int, user_id: int) -> User:
    """Unlink a supplier account from the shop; it becomes a shopper account (its sessions keep working)."""
    shop = get_shop(actor, shop_id)
    user = get_user(actor, user_id)
    if user.shop_id != shop.id:
        raise NotFound(_("This account is not linked to the shop."))
    record(actor, "shop.supplier_removed", "shop", shop.id, {"name": shop.name, "user_id": user.id,
                                                             "email": user.email})
    user.shop_id = None
    if user.role is Role.SUPPLIER:
        user.role = Role.SHOPPER
    db.session.flush()
    return user


# ---------------------------------------------------------------------------------------------- failed imports


def failed_imports(actor: User, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[ImportJob]:
    """Imports that failed, newest first, with their shop."""
    _require_staff(actor)
    statement = (select(ImportJob).options(selectinload(ImportJob.shop))
                 .where(ImportJob.state == ImportState.FAILED)
                 .order_by(ImportJob.created_at.desc(), ImportJob.id.desc()))
    return paginate(statement, page, page_size)


def failed_import_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ImportJob).where(ImportJob.state == ImportState.FAILED)
    ) or 0


def can_retry(job: ImportJob) -> bool:
    """A URL import can be fetched again; an uploaded file is not kept after a failure (the supplier re-uploads)."""
    return job.state == ImportState.FAILED and job.source_kind == "url"


def retry_import(actor: User, import_id: int) -> ImportJob:
    """Queue a fresh import of a failed URL import's source (the failed one stays in the history)."""
    _require_staff(actor)
    job = db.session.get(ImportJob, import_id)
    if job is None:
        raise NotFound(_("No such import."))
    if not can_retry(job):
        raise Conflict(_("Only a failed import from a URL can be retried; ask the supplier to upload the file again."))
    again = ImportJob(shop_id=job.shop_id, requested_by_id=actor.id, source_kind="url", source=job.source,
                      state=ImportState.QUEUED, progress=0, errors=[])
    db.session.add(again)
    db.session.flush()
    record(actor, "import.retried", "import", job.id, {"shop_id": job.shop_id, "new_import_id": again.id})
    enqueue(run_import, queue="imports", import_id=again.id)
    return again
