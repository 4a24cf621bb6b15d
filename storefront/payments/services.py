"""Recording payments and refunds, the payment status they give, and cancelling overdue unpaid orders.

Staff record money against any order (a bank transfer arriving, a refund); a supplier records what its
courier took for its own part of an order paid on delivery. Each is a `Payment` row (the history) and a
conditional UPDATE of the order's running totals, so two clerks recording at once can never take an order
past its total nor refund more than was paid. Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from storefront import policy
from storefront.accounts.models import User
from storefront.audit.services import record
from storefront.database import utcnow
from storefront.domain_errors import Conflict, DomainError, Forbidden, NotFound
from storefront.extensions import db
from storefront.orders.locks import begin_write
from storefront.orders.models import Order, OrderPart, OrderStatus
from storefront.orders.status import InvalidTransition, change_status
from storefront.payments.models import Payment, PaymentKind, PaymentStatus
from storefront.payments.providers import method_label, methods, payment_terms, provider
from storefront.webhooks import services as webhooks

MAX_AMOUNT = Decimal("9999999999.99")  # Money is Numeric(12, 2)


class InvalidAmount(DomainError):
    code = "invalid_amount"


class PaymentRefused(Conflict):
    """The amount does not fit: more than is due, a refund of more than was paid, or a cancelled order."""

    code = "payment_refused"


def status_label(status: str) -> str:
    return {"unpaid": _("Unpaid"), "partly_paid": _("Partly paid"), "paid": _("Paid"),
            "refunded": _("Refunded")}.get(status, status)


def parse_amount(value: object) -> Decimal:
    """A positive amount with at most two decimals, else InvalidAmount."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise InvalidAmount(_("Enter an amount such as 1500.00."), field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount(_("Enter a positive amount with at most two decimals."), field="amount")
    return amount.quantize(Decimal("0.01"))


def payment_status(total: Decimal, paid: Decimal, refunded: Decimal) -> PaymentStatus:
    """unpaid → partly paid → paid; refunded once every paid unit went back."""
    net = paid - refunded
    if refunded > 0 and net <= 0:
        return PaymentStatus.REFUNDED
    if net <= 0:
        return PaymentStatus.UNPAID
    return PaymentStatus.PAID if net >= total else PaymentStatus.PARTLY_PAID


@dataclass(frozen=True)
class PaymentSummary:
    """What pages and the API show of an order's payment."""

    method: str
    label: str
    status_code: str
    status: str
    terms: str
    net: Decimal
    refunded: Decimal
    due: Decimal


def summary(order) -> PaymentSummary:
    return PaymentSummary(order.payment_method, method_label(order.payment_method), order.payment_status,
                          status_label(order.payment_status), payment_terms(order),
                          order.paid_amount - order.refunded_amount, order.refunded_amount, outstanding(order))


def outstanding(order: Order) -> Decimal:
    return max(order.total - (order.paid_amount - order.refunded_amount), Decimal("0.00"))


def record_payment(actor: User, order: Order, amount: object, *, kind: str = PaymentKind.PAYMENT.value,
                   note: str = "", reference: str = "") -> Payment:
    """Staff record money received for the order, or refunded (`kind="refund"`)."""
    policy.require_staff(actor, _("Only staff can record payments."))
    if kind not in (PaymentKind.PAYMENT.value, PaymentKind.REFUND.value):
        raise InvalidAmount(_("Choose a payment or a refund."), field="kind")
    return _record(order, None, parse_amount(amount), kind, actor, note, reference)


@dataclass(frozen=True)
class PartPayments:
    """One supplier's view of the money for its part: never the other parts' nor the whole order's."""

    order_id: int
    part_id: int
    method: str
    label: str
    collected_by_supplier: bool
    total: Decimal
    paid: Decimal
    due: Decimal
    payments: list


def supplier_part(user: User, order_id: int) -> OrderPart:
    """The part of order `order_id` from the supplier's own shop; 404 when it has none (as the portal does)."""
    shop_id = policy.supplier_shop_id(user)
    part = db.session.scalar(select(OrderPart).where(OrderPart.order_id == order_id, OrderPart.shop_id == shop_id)) \
        if shop_id is not None else None
    if part is None:
        raise NotFound(_("No such order."), code="order_not_found")
    return part


def _part_taken(part: OrderPart) -> Decimal:
    return Decimal(db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.part_id == part.id, Payment.kind == PaymentKind.PAYMENT.value)
    ) or 0)


def part_payments(user: User, order_id: int) -> PartPayments:
    part = supplier_part(user, order_id)
    method = provider(part.order.payment_method)
    total = part.subtotal + part.delivery_fee
    paid = _part_taken(part)
    return PartPayments(order_id, part.id, method.code, method.label(), method.collected_by_supplier, total, paid,
                        max(total - paid, Decimal("0.00")), payments_of(order_id, [part.id]))


def record_supplier_payment(user: User, order_id: int, amount: object, *, note: str = "",
                            reference: str = "") -> PartPayments:
    """The supplier's door: record what its courier took for its part of order `order_id`."""
    record_part_payment(user, supplier_part(user, order_id), amount, note=note, reference=reference)
    return part_payments(user, order_id)


def record_part_payment(actor: User, part: OrderPart, amount: object, *, note: str = "",
                        reference: str = "") -> Payment:
    """A supplier records what its courier took on delivery for its own part (staff may too)."""
    policy.require_part_actor(actor, part)
    order = part.order
    if not provider(order.payment_method).collected_by_supplier:
        raise Forbidden(_("Order #%(id)d is paid by bank transfer: staff record its payment.", id=order.id))
    amount = parse_amount(amount)
    due = part.subtotal + part.delivery_fee - _part_taken(part)
    if amount > due:
        raise PaymentRefused(_("Your part of order #%(id)d has %(due)s left to pay.", id=order.id, due=due),
                             field="amount")
    return _record(order, part, amount, PaymentKind.PAYMENT.value, actor, note, reference)


def _record(order: Order, part: OrderPart | None, amount: Decimal, kind: str, actor: User | None, note: str,
            reference: str) -> Payment:
    begin_write()
    if kind == PaymentKind.PAYMENT.value:
        if order.status == OrderStatus.CANCELLED:
            raise PaymentRefused(_("Order #%(id)d is cancelled: record a refund instead.", id=order.id))
        # The check is in the statement: a concurrent payment cannot slip between reading and writing.
        result = db.session.execute(
            update(Order).where(Order.id == order.id,
                                Order.paid_amount - Order.refunded_amount + amount <= Order.total)
            .values(paid_amount=Order.paid_amount + amount).execution_options(synchronize_session=False))
        refused = _("That is more than the %(due)s still due on order #%(id)d.", due=outstanding(order), id=order.id)
    else:
        result = db.session.execute(
            update(Order).where(Order.id == order.id, Order.refunded_amount + amount <= Order.paid_amount)
            .values(refunded_amount=Order.refunded_amount + amount).execution_options(synchronize_session=False))
        refused = _("That is more than was paid for order #%(id)d.", id=order.id)
    if result.rowcount != 1:
        db.session.refresh(order)
        raise PaymentRefused(refused, field="amount")
    payment = Payment(order_id=order.id, part_id=part.id if part else None, kind=kind, method=order.payment_method,
                      amount=amount, note=(note or "").strip()[:2000], reference=(reference or "").strip()[:120],
                      actor_id=actor.id if actor else None)
    db.session.add(payment)
    db.session.flush()
    db.session.refresh(order)
    before = order.payment_status
    order.payment_status = payment_status(order.total, order.paid_amount, order.refunded_amount).value
    order.updated_at = utcnow()
    db.session.flush()
    record(actor, f"order.{kind}_recorded", "order", order.id,
           {"amount": str(amount), "part": part.shop_name if part else None, "status": order.payment_status})
    if before != order.payment_status:
        webhooks.emit("order.payment_changed", {
            "order_id": order.id, "payment_status": order.payment_status, "previous_payment_status": before,
            "paid_amount": str(order.paid_amount - order.refunded_amount), "total": str(order.total),
            "currency": current_app.config["STOREFRONT_CURRENCY"]})
    return payment


def payments_of(order_id: int, part_ids: list[int] | None = None) -> list[Payment]:
    """An order's payment history (a supplier passes its parts: it sees only the money of those)."""
    query = select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
    if part_ids is not None:
        query = query.where(Payment.part_id.in_(part_ids))
    return list(db.session.scalars(query))


# --- overdue bank transfers ----------------------------------------------------------------------------------


def cancel_overdue(now=None, limit: int = 200) -> int:
    """Cancel orders still unpaid PAYMENT_DUE_DAYS after placing, for methods that ask so (bank transfer).

    The orders' own cancel path (`orders.status.change_status`) returns the stock and tells the shopper; an
    order already sent is left for staff. Returns how many were cancelled; the caller commits.
    """
    now = now or utcnow()
    due_before = now - timedelta(days=int(current_app.config["PAYMENT_DUE_DAYS"]))
    overdue_methods = [code for code in methods() if provider(code).cancels_when_overdue]
    if not overdue_methods:
        return 0
    ids = db.session.scalars(
        select(Order.id).where(
            Order.payment_method.in_(overdue_methods), Order.payment_status == PaymentStatus.UNPAID.value,
            Order.status.in_([OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.ASSEMBLED]),
            Order.created_at < due_before,
        ).order_by(Order.id).limit(limit)
    ).all()
    cancelled = 0
    for order_id in ids:
        order = db.session.get(Order, order_id)
        try:
            with db.session.begin_nested():
                db.session.refresh(order)
                if order.payment_status != PaymentStatus.UNPAID.value:
                    continue  # paid meanwhile
                change_status(order, OrderStatus.CANCELLED, None,
                              _("Not paid within %(days)d days.", days=int(current_app.config["PAYMENT_DUE_DAYS"])))
            cancelled += 1
        except InvalidTransition:
            continue  # moved on meanwhile (a part was sent): staff decide
    return cancelled
