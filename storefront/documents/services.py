"""Who may print what: a supplier part's packing slip (staff, or the shop that fulfils the part)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from storefront import policy
from storefront.accounts.models import User
from storefront.documents.pdf import packing_slip_pdf
from storefront.domain_errors import NotFound
from storefront.extensions import db
from storefront.orders.models import OrderPart
from storefront.suppliers.services import shop_of


class PartNotFound(NotFound):
    code = "order_not_found"


def _slip(part: OrderPart) -> tuple[str, bytes]:
    """(file name, PDF) — the number is issued on the first print and kept."""
    return f"packing-slip-{part.order_id}-{part.shop_id or 0}.pdf", packing_slip_pdf(part)


def packing_slip(actor: User, order_id: int, part_id: int) -> tuple[str, bytes]:
    """Staff print any part's slip; anyone else gets 404 here (suppliers use `own_packing_slip`)."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.order_id != order_id or not policy.may_print_part(actor, part):
        raise PartNotFound(_("No such order."))
    return _slip(part)


def own_packing_slip(user: User, order_id: int) -> tuple[str, bytes]:
    """The supplier's own part of `order_id` (404 when the shop has no part in it)."""
    shop = shop_of(user)
    part = db.session.scalar(select(OrderPart).where(OrderPart.order_id == order_id, OrderPart.shop_id == shop.id))
    if part is None:
        raise PartNotFound(_("No such order."))
    return _slip(part)
