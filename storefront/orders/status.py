"""The order status machine: whole orders (staff, or the shopper cancelling a new one) and each supplier's part.

Every move is a conditional UPDATE from the status the caller saw, recorded as an event, in the audit log and
to webhooks, and mailed to the shopper through the outbox (so only after the commit). Who may move what is
`storefront.policy`'s; the links in the e-mails come from the caller (`order_link`), as accounts does.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from storefront import policy
from storefront.accounts.models import User
from storefront.audit.services import record
from storefront.database import utcnow
from storefront.domain_errors import Conflict
from storefront.extensions import db
from storefront.jobs import enqueue_durable
from storefront.jobs.mail import mail_locale, send_mail
from storefront.orders import jobs
from storefront.orders.access import own_order
from storefront.orders.labels import STATUS_LABELS as STATUS_LABELS
from storefront.orders.labels import status_label
from storefront.orders.locks import begin_write
from storefront.orders.models import Order, OrderEvent, OrderPart, OrderStatus
from storefront.orders.stock import return_stock
from storefront.realtime import events as live
from storefront.webhooks import services as webhooks

OrderLink = Callable[[int], str]  # order id → the absolute URL of its page, for e-mails

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.ASSEMBLED, S.CANCELLED}),
    S.ASSEMBLED: frozenset({S.SENT, S.CANCELLED}),
    S.SENT: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL = frozenset({S.DELIVERED, S.CANCELLED})
# How far along the machine a status is: an order follows the least advanced of its live parts.
PROGRESS = {S.NEW: 0, S.CONFIRMED: 1, S.ASSEMBLED: 2, S.SENT: 3, S.DELIVERED: 4}


class InvalidTransition(Conflict):
    code = "invalid_transition"


class StaleOrder(InvalidTransition):
    """The order moved since the form was shown: refuse rather than overwrite someone else's change."""

    code = "stale_order"


def no_link(_order_id: int) -> str:
    """For callers without a request (jobs, the shell): the e-mail goes out without a link."""
    return ""


def allowed_transitions(status: OrderStatus) -> list[OrderStatus]:
    """The statuses `status` may move to, in the machine's order (for buttons and API docs)."""
    return [s for s in OrderStatus if s in TRANSITIONS[status]]


def _status(value: OrderStatus | str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        raise InvalidTransition(_("“%(value)s” is not an order status.", value=value), field="status") from None


def _check_transition(current: OrderStatus, to: OrderStatus, what: str) -> None:
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            _("%(what)s is %(current)s and cannot become %(to)s.", what=what,
              current=status_label(current).lower(), to=status_label(to).lower()),
            field="status",
        )


def _set_status(model, row_id: int, current: OrderStatus, to: OrderStatus) -> None:
    """Move a row from `current` to `to` only if nobody moved it meanwhile (two clerks, one click each)."""
    values = {"status": to}
    if model is Order:
        values["updated_at"] = utcnow()
    result = db.session.execute(
        update(model).where(model.id == row_id, model.status == current).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(_("The status was changed by someone else meanwhile; reload and try again."))


def _event(order: Order, frm: OrderStatus | None, to: OrderStatus, actor: User | None, note: str,
           part: OrderPart | None = None) -> None:
    db.session.add(OrderEvent(
        order_id=order.id, part_id=part.id if part else None, from_status=frm.value if frm else None,
        to_status=to.value, actor_id=actor.id if actor else None, note=(note or "").strip()[:2000],
    ))


def _notify(order: Order, status: OrderStatus, note: str, order_link: OrderLink, part: OrderPart | None = None,
            order_status: OrderStatus | None = None) -> None:
    """Tell the shopper what changed (the order, or one supplier's part of it) and what happens next, in their
    language; the template words the subject and the body (email/orders/status_changed)."""
    send_mail(
        order.buyer_email, "Order #%(order_id)s", "orders/status_changed", durable=True,
        locale=mail_locale(order.user), name=order.buyer_name, order_id=order.id, status=status.value,
        shop_name=part.shop_name if part is not None else "", note=note, link=order_link(order.id),
        order_status=order_status.value if order_status is not None else "",
    )


def webhook_data(order: Order, from_status: OrderStatus | None = None) -> dict:
    """What webhooks say about an order (no shopper contact details: receivers ask the API for those)."""
    return {
        "order_id": order.id, "status": order.status.value, "previous_status": from_status.value if from_status else None,
        "total": str(order.total), "currency": current_app.config["STOREFRONT_CURRENCY"],
        "created_at": order.created_at.isoformat(),
        "parts": [{"shop_id": p.shop_id, "shop_name": p.shop_name, "status": p.status.value} for p in order.parts],
    }


def change_status(order: Order, to_status: OrderStatus | str, actor: User | None, note: str = "",
                  expected: OrderStatus | str | None = None, *, order_link: OrderLink = no_link) -> Order:
    """Move the whole order one step along the machine (staff; None = the system). Parts in step follow it.

    `expected` is the status the clerk saw: if the order moved since, StaleOrder and nothing is overwritten.
    """
    if actor is not None:
        policy.require_staff(actor, _("Only staff can change an order's status."))
    return _change_order_status(order, _status(to_status), actor, note, _status(expected) if expected else None,
                                order_link)


def _change_order_status(order: Order, to: OrderStatus, actor: User | None, note: str,
                         expected: OrderStatus | None, order_link: OrderLink) -> Order:
    begin_write()
    db.session.refresh(order)
    current = order.status
    if expected is not None and current != expected:
        raise StaleOrder(_("Order #%(id)s was changed meanwhile: it is now %(status)s. Nothing was changed; check it "
                           "and choose again.", id=order.id, status=status_label(current).lower()))
    _check_transition(current, to, _("Order #%(id)s", id=order.id))
    parts = list(order.parts)
    if to == S.CANCELLED:
        gone = [p for p in parts if p.status in (S.SENT, S.DELIVERED)]
        if gone:
            raise InvalidTransition(
                _("Order #%(id)s cannot be cancelled: the part from %(shop)s was already sent.", id=order.id,
                  shop=gone[0].shop_name)
            )
    _set_status(Order, order.id, current, to)
    _event(order, current, to, actor, note)
    moved: list[tuple[OrderPart, OrderStatus]] = []
    for part in parts:
        # Parts that were in step with the order follow it; a cancelled order cancels every live part.
        follows = part.status == current or (to == S.CANCELLED and part.status != S.CANCELLED)
        if follows and part.status != to:
            moved.append((part, part.status))
            _set_status(OrderPart, part.id, part.status, to)
            _event(order, part.status, to, actor, "", part)
            if to == S.CANCELLED:
                return_stock(list(part.items))
    db.session.flush()
    db.session.refresh(order)
    for part in parts:
        db.session.refresh(part)
    _order_changed(order, current, to, actor, note)
    for part, previous in moved:
        # Someone else moved this supplier's part (the shopper, staff, the system): its shop is told.
        _part_changed(order, part, previous, actor, note, tell_supplier=True)
    live.order_changed(order.id, order.user_id)
    _notify(order, to, note, order_link)
    return order


def _order_changed(order: Order, frm: OrderStatus, to: OrderStatus, actor: User | None, note: str) -> None:
    """The order's own status moved: the audit log and the webhooks hear of it, in this transaction."""
    record(actor, "order.status_changed", "order", order.id, {"from": frm.value, "to": to.value, "note": note})
    webhooks.emit("order.status_changed", webhook_data(order, frm))
    if to == S.SENT:
        webhooks.emit("order.shipped", webhook_data(order, frm))


def cancel_order(user: User, order_id: int, note: str = "", *, order_link: OrderLink = no_link) -> Order:
    """The shopper cancels their own order while it is still new; the stock goes back on sale."""
    order = own_order(user, order_id)
    if order.status != S.NEW:
        raise InvalidTransition(
            _("Order #%(id)s is already %(status)s: only a new order can be cancelled here. Please contact support.",
              id=order.id, status=status_label(order.status).lower())
        )
    return cancel(order, user, note or "Cancelled by the shopper.", order_link=order_link)


def change_part_status(part: OrderPart, to_status: OrderStatus | str, actor: User | None, note: str = "", *,
                       order_link: OrderLink = no_link) -> OrderPart:
    """Move one supplier's part along the same machine (that shop's verified owners, or staff); cancelling
    returns its stock."""
    to = _status(to_status)
    if actor is not None:
        policy.require_part_actor(actor, part)
    begin_write()
    db.session.refresh(part)
    order = part.order
    current = part.status
    _check_transition(current, to, _("The part of order #%(id)s from %(shop)s", id=order.id, shop=part.shop_name))
    _set_status(OrderPart, part.id, current, to)
    _event(order, current, to, actor, note, part)
    record(actor, "order.part_status_changed", "order", order.id,
           {"shop": part.shop_name, "from": current.value, "to": to.value, "note": note})
    if to == S.CANCELLED:
        return_stock(list(part.items))
    db.session.flush()
    db.session.refresh(part)
    db.session.refresh(order)
    # Staff moving a supplier's part tell that supplier; the supplier acting on its own part needs no e-mail.
    _part_changed(order, part, current, actor, note, tell_supplier=not policy.owns_shop(actor, part.shop_id))
    moved = follow_parts(order, actor) is not None
    live.order_changed(order.id, order.user_id)
    if moved and (to != S.CANCELLED or order.status == S.CANCELLED):
        # The order moved with its part (or all parts are cancelled): one e-mail about where the order now is.
        # A part cancelled while the rest moves on is the news itself: that mail names the supplier.
        _notify(order, order.status, note, order_link)
    else:
        _notify(order, to, note, order_link, part, order.status if moved else None)
    return part


def derived_status(statuses: list[OrderStatus]) -> OrderStatus | None:
    """The status an order with parts in `statuses` takes, or None while some live part is still new.

    Cancelled parts do not count; with every part cancelled the order is cancelled; otherwise the least
    advanced of the live parts."""
    live = [status for status in statuses if status != S.CANCELLED]
    if not live:
        return S.CANCELLED if statuses else None
    least = min(live, key=PROGRESS.__getitem__)
    return None if least == S.NEW else least


def follow_parts(order: Order, actor: User | None) -> OrderStatus | None:
    """Move the order to the status its parts have reached (`derived_status`); only forward, never back
    past a status staff moved it to by hand, and never out of a final status. Every door that changes a part
    calls this (through `change_part_status`). Returns the order's previous status when it moved, else None.

    The move is recorded as an event, in the audit log and to webhooks (in this transaction); the caller
    mails the shopper, once."""
    statuses = list(db.session.scalars(select(OrderPart.status).where(OrderPart.order_id == order.id)))
    target = derived_status(statuses)
    current = order.status
    if target is None or target == current or current in FINAL:
        return None
    if target == S.CANCELLED and S.CANCELLED not in TRANSITIONS[current]:
        return None  # staff moved the order past cancelling by hand: it stays where they put it
    if target != S.CANCELLED and PROGRESS[target] <= PROGRESS[current]:
        return None
    note = (_("Every supplier cancelled their part.") if target == S.CANCELLED
            else _("Every supplier's part has reached this status."))
    _set_status(Order, order.id, current, target)
    _event(order, current, target, None, note)
    db.session.flush()
    db.session.refresh(order)
    _order_changed(order, current, target, actor, note)
    return current


def part_webhook_data(order: Order, part: OrderPart, from_status: OrderStatus | None) -> dict:
    """What the part webhooks say: the part's shop, its status and the order's (no other shop's details)."""
    return {
        "order_id": order.id, "order_status": order.status.value, "shop_id": part.shop_id,
        "shop_name": part.shop_name, "status": part.status.value,
        "previous_status": from_status.value if from_status else None,
        "subtotal": str(part.subtotal), "currency": current_app.config["STOREFRONT_CURRENCY"],
    }


def _part_changed(order: Order, part: OrderPart, frm: OrderStatus, actor: User | None, note: str, *,
                  tell_supplier: bool) -> None:
    """A part moved: webhooks hear of it; its shop's owners get an e-mail when someone else moved it."""
    data = part_webhook_data(order, part, frm)
    webhooks.emit(webhooks.PART_STATUS_CHANGED, data)
    if part.status == S.CANCELLED:
        webhooks.emit(webhooks.PART_CANCELLED, data)
    if tell_supplier and part.shop_id is not None:
        enqueue_durable(jobs.mail_supplier_part_changed, queue="mail", part_id=part.id,
                        from_status=frm.value, to_status=part.status.value, note=(note or "").strip()[:500])


def cancel(order: Order, actor: User | None, note: str = "", *, order_link: OrderLink = no_link) -> Order:
    """Cancel a whole order (any status the machine allows), returning the stock of its live parts, telling
    the shopper, the suppliers and the webhooks. The one cancellation every caller uses: the shopper's
    `cancel_order`, staff, and jobs (actor None = the system; authorization is the caller's)."""
    return _change_order_status(order, S.CANCELLED, actor, note, None, order_link)
